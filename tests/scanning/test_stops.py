"""A STOP is pending at a station until an acknowledgement covers it; its reasons are kept to be shown again in the
reader's language (pure)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

from batchtrack.errors import Reason
from batchtrack.i18n import catalogs
from batchtrack.i18n.text import _
from batchtrack.scanning import expectations, stops

WHEN = datetime(2026, 12, 8, 1, 0, tzinfo=UTC)


def _acknowledged(seq: int) -> stops.Acknowledgement:
    return stops.Acknowledgement(refusal_seq=seq, occurred_at=WHEN, actor_name="Kim Operator")


def test_a_refusal_after_the_last_acknowledged_one_is_pending() -> None:
    assert not stops.is_pending(None, None)
    assert stops.is_pending(5, None)
    assert not stops.is_pending(5, _acknowledged(5))
    assert stops.is_pending(7, _acknowledged(5))


def test_an_acknowledgement_covers_only_a_stop_not_yet_acknowledged() -> None:
    assert stops.acknowledgement_refusals(refusal_seq=5, last_refusal_seq=5, acknowledged=None) == []
    assert stops.acknowledgement_refusals(refusal_seq=5, last_refusal_seq=7, acknowledged=_acknowledged(3)) == []
    assert [r.code for r in stops.acknowledgement_refusals(
        refusal_seq=5, last_refusal_seq=7, acknowledged=_acknowledged(5))] == ["station.stop_already_acknowledged"]
    assert [r.code for r in stops.acknowledgement_refusals(
        refusal_seq=9, last_refusal_seq=7, acknowledged=None)] == ["station.no_stop"]
    assert [r.code for r in stops.acknowledgement_refusals(
        refusal_seq=1, last_refusal_seq=None, acknowledged=None)] == ["station.no_stop"]


def test_recorded_reasons_read_again_in_korean_as_they_first_did() -> None:
    kind = expectations.kind_name("final_product")
    reasons = [
        Reason("scan.wrong_lot", _("{thing} belongs to {found}, but {expected} is expected{where}",
                                   thing=_("{kind} {din} (container {number})", kind=kind, din="W000026000001",
                                           number=7),
                                   found=_("lot {din}", din="W000026000001"),
                                   expected=_("lot {din}", din="W000026000002"), where="")),
        Reason("din.check", "plain {text} not marked"),
        Reason("scan.odd", _("{value} cells", value=Decimal("5.5"))),
    ]
    recorded = json.loads(json.dumps(stops.reasons_record(reasons)))  # as the audit trail stores it
    again = stops.reasons_from_record(recorded)
    korean = catalogs.translations("ko")
    assert [r.as_dict(korean) for r in again] == [r.as_dict(korean) for r in reasons[:2]] + [
        {"code": "scan.odd", "message": "5.5 cells"}]
    assert "로트 W000026000002" in again[0].as_dict(korean)["message"]
    assert [r.message for r in again] == [r.message for r in reasons]


def test_a_reason_recorded_before_its_text_was_kept_shows_its_english() -> None:
    again = stops.reasons_from_record([{"code": "scan.wrong_lot", "message": "W is not V"}, "junk"])
    assert [(r.code, r.message) for r in again] == [("scan.wrong_lot", "W is not V")]
