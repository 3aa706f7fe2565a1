"""The match screen's ticks and crosses are the bedside gate's own refusals, field by field (pure)."""

from __future__ import annotations

from batchtrack.bedside import gate
from batchtrack.errors import Reason
from batchtrack.i18n.text import Text


def _marks(*codes: str) -> dict[str, bool]:
    return {m.key: m.ok for m in gate.field_matches([Reason(code, Text(code)) for code in codes])}


def test_every_field_is_ticked_when_the_gate_refuses_nothing() -> None:
    assert _marks() == dict.fromkeys(gate.MATCH_FIELDS, True)


def test_another_recipients_bag_crosses_out_the_recipient_and_the_coi_only() -> None:
    marks = _marks("bedside.wrong_recipient")
    assert [key for key, ok in marks.items() if not ok] == ["recipient", "coi"]


def test_each_refusal_crosses_out_its_own_field() -> None:
    assert not _marks("bedside.expired")["expiry"]
    assert not _marks("bedside.dose_out_of_tolerance")["dose"]
    assert not _marks("bedside.not_released")["release"]
    assert not _marks("bedside.lot_alert")["release"]
    assert not _marks("bedside.not_a_product_bag")["product"]
    assert [k for k, ok in _marks("bedside.bag_infused").items() if not ok] == ["din", "product"]


def test_a_refusal_about_the_clinicians_crosses_out_no_field() -> None:
    assert all(_marks("bedside.same_clinician", "bedside.not_clinician").values())
