"""The release gate names times in the site's zone, with the zone: a lot's expiry and a break in the chain of
custody read "2026-11-25 17:30 KST" at a site in Seoul (the gate stays pure: the zone comes in its facts)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from batchtrack.errors import Reason
from batchtrack.i18n import catalogs
from batchtrack.release import gate

SEOUL = ZoneInfo("Asia/Seoul")
EXPIRED = datetime(2026, 11, 25, 8, 30, tzinfo=UTC)


def _expired(zone: ZoneInfo | None = None) -> Reason:
    facts = gate.ReleaseFacts(lot_din="W000026000001", lot_state="in_qc", now=datetime(2026, 11, 26, tzinfo=UTC),
                              expires_at=EXPIRED, specification=None, **({"zone": zone} if zone else {}))
    return next(r for r in gate.release_refusals(facts) if r.code == "lot.expired")


def test_an_expired_lot_is_named_in_the_sites_time_with_its_zone() -> None:
    assert _expired(SEOUL).message == "the lot expired at 2026-11-25 17:30 KST"
    assert _expired(SEOUL).as_dict(catalogs.translations("ko"))["message"] == \
        "로트의 유효기한이 2026-11-25 17:30 KST에 지났습니다"
    assert _expired().message == "the lot expired at 2026-11-25 08:30 UTC"  # a site that keeps UTC


def test_a_break_in_custody_names_the_hand_over_in_the_sites_time() -> None:
    hand_overs = [gate.HandOver(1, 2, EXPIRED), gate.HandOver(3, 4, datetime(2026, 11, 25, 9, tzinfo=UTC))]
    [gap] = gate.custody_gaps(hand_overs, names={2: "Kim Sua", 3: "Lee Jiwoo"}, zone=SEOUL)
    assert str(gap) == "Kim Sua received the bag at 2026-11-25 17:30 KST but Lee Jiwoo handed it over next"
