"""The DIN's check character and type-3 flags agree with python-stdnum's ISO 7064 MOD 37-2."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.iso7064 import mod_37_2

from batchtrack.identifiers import coi as coi_ids
from batchtrack.identifiers import din as din_ids
from batchtrack.labels import content as label_content
from batchtrack.labels import layouts

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ*"
PUBLISHED = [("G123417654321", "A", "70"), ("W000009123456", "G", "76"), ("A999820123456", "E", "74")]

dins = st.builds(
    lambda first, digits: first + digits,
    st.sampled_from("ABCDEFGHIJKLMNPQRSTUVWXYZ123456789"),
    st.text("0123456789", min_size=12, max_size=12),
)


def _label_for(din: str) -> tuple[dict[str, str | None], str]:
    """The eye-readable values and the DIN barcode data of a culture-vessel label for `din`."""
    content = label_content.LabelContent(
        din=din_ids.parse(din),
        product_code="S1234100",
        product_description="MSC, BONE MARROW, FRESH",
        coi=coi_ids.build(fin="G1234", year=2026, sequence=1),
    )
    barcodes = label_content.encoded_barcodes(layouts.load_layout("culture_vessel"), content)
    return label_content.text_values(content), barcodes["din_barcode"][1]


@pytest.mark.parametrize(("din", "check", "flags"), PUBLISHED)
def test_label_check_character_and_flags_match_the_published_examples(din: str, check: str, flags: str) -> None:
    texts, din_data = _label_for(din)
    assert mod_37_2.calc_check_digit(din) == check
    assert texts["din_check"] == check
    assert texts["din_flags"] == flags
    assert din_data == f"={din}{flags}"


@given(dins)
def test_every_din_gets_stdnums_check_character_and_60_plus_its_value(din: str) -> None:
    texts, din_data = _label_for(din)
    check = mod_37_2.calc_check_digit(din)
    assert texts["din_check"] == check
    assert mod_37_2.is_valid(din + check)
    assert din_data == f"={din}{60 + ALPHABET.index(check)}"


def test_eye_readable_din_is_the_encoded_din() -> None:
    texts, din_data = _label_for("G123417654321")
    assert texts["din"] == "G1234 17 65 4321"
    assert din_data[1:14] == "G123417654321"
