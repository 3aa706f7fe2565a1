"""Check characters and identifier parsing, against the published worked examples (DESIGN.md section 2)."""

from __future__ import annotations

import pytest
from stdnum.iso7064 import mod_37_2

from batchtrack.identifiers import checkchar, coi, din, isbt
from batchtrack.identifiers.din import IdentifierError

PUBLISHED = [("G123417654321", "A"), ("W000009123456", "G"), ("A999820123456", "E")]


@pytest.mark.parametrize(("value", "expected"), PUBLISHED)
def test_din_check_character_matches_published_example(value: str, expected: str) -> None:
    assert din.parse(value).check == expected
    assert mod_37_2.is_valid(value + expected)


def test_type3_flags_carry_the_checksum_as_published() -> None:
    assert isbt.din_structure(din.parse("G123417654321")) == "=G12341765432170"
    assert checkchar.type3_flag("W000009123456") == f"{60 + checkchar.ALPHABET.index('G')}"
    assert checkchar.flag_value("70") == 10
    assert checkchar.flag_value("00") is None


def test_eye_readable_din_with_correct_k_parses() -> None:
    parsed = din.parse_eye_readable("G1234 17 65 4321 A")
    assert parsed.value == "G123417654321"
    assert din.eye_readable(parsed).endswith(" A")


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("G123417654321B", "din.check_character"),
        ("O123417654321A", "din.fin_first"),
        ("0123417654321A", "din.fin_first"),
        ("g123417654321A", "din.lower_case"),
        ("G12341765432A", "din.length"),
        ("G1234176543210A", "din.length"),
        ("GA23417654321A", "din.characters"),
    ],
)
def test_din_parsing_refuses_malformed_input(text: str, code: str) -> None:
    with pytest.raises(IdentifierError) as refused:
        din.parse_eye_readable(text)
    assert refused.value.code == code


def test_check_character_can_be_star_or_letter_o() -> None:
    # Both are legitimate values of K; find one of each among consecutive DINs and round-trip them.
    seen = {din.build(fin="W0000", year=26, sequence=n).check for n in range(1, 400)}
    assert {"*", "O"} <= seen
    star = next(din.build(fin="W0000", year=26, sequence=n) for n in range(1, 400)
                if din.build(fin="W0000", year=26, sequence=n).check == "*")
    assert din.parse_eye_readable(star.value + "*") == star


def test_coi_identifier_round_trips_with_its_check_character() -> None:
    built = coi.build(fin="W0000", year=2026, sequence=42)
    assert built.value == "CHW000026000042"
    assert built.check == mod_37_2.calc_check_digit(built.value)
    assert coi.parse_eye_readable(coi.eye_readable(built)) == built


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("CHW000026000042", "coi.length"),
        ("chW0000260000420", "coi.lower_case"),
        ("XXW0000260000420", "coi.prefix"),
        ("CHO0000260000420", "coi.fin_first"),
        ("CH00000260000420", "coi.fin_first"),
    ],
)
def test_coi_parsing_refuses_malformed_input(text: str, code: str) -> None:
    with pytest.raises(IdentifierError) as refused:
        coi.parse_eye_readable(text)
    assert refused.value.code == code


def test_coi_parsing_refuses_a_wrong_check_character() -> None:
    built = coi.build(fin="W0000", year=2026, sequence=42)
    wrong = next(c for c in checkchar.ALPHABET if c != built.check)
    with pytest.raises(IdentifierError) as refused:
        coi.parse(built.value, check=wrong)
    assert refused.value.code == "coi.check_character"
