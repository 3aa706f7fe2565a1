"""Label content: fixed-format identity fields, UTC data shown in a display zone, refusals that name the rule."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from batchtrack import labels
from batchtrack.labels import content as label_content
from batchtrack.labels import layouts
from batchtrack.labels.content import DIRECTED_USE, LabelContent, LabelContentError


def test_recipient_name_is_family_in_capitals_then_given_name() -> None:
    assert label_content.format_recipient_name(family=" van  der Berg ", given="Anna  Maria") == (
        "VAN DER BERG, Anna Maria"
    )
    with pytest.raises(LabelContentError):
        label_content.format_recipient_name(family="", given="Anna")


def test_a_blank_recipient_name_is_refused() -> None:
    with pytest.raises(LabelContentError):
        dataclasses.replace(label_content.preview_content(), recipient_name="   ")


def test_dates_use_a_fixed_language_neutral_form() -> None:
    assert label_content.format_date(date(1980, 3, 5)) == "1980-03-05"


def test_expiry_is_encoded_in_utc_and_shown_in_the_display_zone() -> None:
    content = label_content.preview_content()  # 2026-12-31 06:30 UTC, shown in Asia/Seoul
    texts = label_content.text_values(content)
    data = label_content.encoded_barcodes(layouts.load_layout("final_product"), content)
    assert texts["expiry"] == "2026-12-31 15:30 KST"
    assert data["expiry_barcode"][1] == "&>0263650630"
    in_utc = dataclasses.replace(content, display_zone="UTC")
    assert label_content.text_values(in_utc)["expiry"] == "2026-12-31 06:30 UTC"


def test_an_aware_expiry_in_another_zone_is_stored_as_utc() -> None:
    seoul = timezone(timedelta(hours=9))
    content = dataclasses.replace(
        label_content.preview_content(), expires_at=datetime(2026, 12, 31, 15, 30, tzinfo=seoul)
    )
    assert content.expires_at == datetime(2026, 12, 31, 6, 30, tzinfo=UTC)


def test_naive_times_and_unknown_zones_are_refused() -> None:
    base = label_content.preview_content()
    with pytest.raises(LabelContentError):
        dataclasses.replace(base, expires_at=datetime(2026, 12, 31, 6, 30))
    with pytest.raises(LabelContentError):
        dataclasses.replace(base, display_zone="Mars/Olympus")


def test_use_statement_follows_the_collection_type() -> None:
    directed = label_content.preview_content(directed=True)
    assert directed.use_statement == DIRECTED_USE
    with pytest.raises(LabelContentError) as error:
        dataclasses.replace(directed, use_statement="FOR AUTOLOGOUS USE ONLY")
    assert "contradicts" in error.value.message


def test_text_the_printers_cannot_show_is_refused_rather_than_garbled() -> None:
    with pytest.raises(LabelContentError):
        dataclasses.replace(label_content.preview_content(), recipient_name="\ud64d\uae38\ub3d9\U0001f600")
    with pytest.raises(LabelContentError):  # Hangul prints in the recipient's name only
        dataclasses.replace(label_content.preview_content(), facility_name="\uc11c\uc6b8")


def test_final_product_without_recipient_is_refused_with_the_missing_field() -> None:
    content = dataclasses.replace(label_content.preview_content(), recipient_name=None, recipient_dob=None)
    with pytest.raises(LabelContentError) as error:
        labels.render_label("final_product", content, "zpl")
    assert error.value.code == "label.content_missing"
    assert "recipient_name" in error.value.message


def test_text_too_long_for_its_field_is_refused_not_cut() -> None:
    content = dataclasses.replace(label_content.preview_content(), product_description="X" * 80)
    with pytest.raises(LabelContentError) as error:
        labels.render_label("final_product", content, "png")
    assert error.value.code == "label.text_too_long"


def test_compound_message_counts_its_structures() -> None:
    layout = layouts.load_layout("final_product")
    data = label_content.encoded_barcodes(layout, label_content.preview_content())["compound_datamatrix"][1]
    assert data.startswith("=+04000")
    rest = data[7:]
    assert rest == "=G12341765432170" + "=<S1234100" + "&>0263650630" + "&/CHG123426000001"


def test_qc_sample_carries_the_sample_flag_instead_of_the_check_flags() -> None:
    layout = layouts.load_layout("qc_sample")
    data = label_content.encoded_barcodes(layout, label_content.preview_content())["sample_datamatrix"][1]
    assert data == "=+02000=G12341765432101&/CHG123426000001"
    without_flag = dataclasses.replace(label_content.preview_content(), sample_flag=None)
    with pytest.raises(LabelContentError):
        label_content.encoded_barcodes(layout, without_flag)


def test_unknown_format_is_refused() -> None:
    with pytest.raises(LabelContentError) as error:
        labels.render(layouts.load_layout("qc_sample"), label_content.preview_content(), "bmp")  # type: ignore[arg-type]
    assert error.value.code == "label.format"


def test_content_is_immutable() -> None:
    content: LabelContent = label_content.preview_content()
    with pytest.raises(dataclasses.FrozenInstanceError):
        content.recipient_name = "DOE, Jane"  # type: ignore[misc]
