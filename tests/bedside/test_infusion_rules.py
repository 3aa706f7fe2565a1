"""The infusion record's rules (pure): a check is valid for the start of an infusion for an hour, once."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from batchtrack.bedside import gate
from batchtrack.bedside.gate import Clinician, InfusionFacts

NOW = datetime(2026, 11, 25, 11, 0, tzinfo=UTC)
NURSE = Clinician(1, frozenset({"nurse"}), "Hana Lee")
DOCTOR = Clinician(2, frozenset({"investigator"}), "Dr. Mina Park")
GOOD = InfusionFacts(now=NOW, check_ok=True, check_used=False, checked_at=NOW - timedelta(minutes=50, seconds=20),
                     bag_status="in_use", expires_at=NOW + timedelta(hours=6),
                     started_at=NOW - timedelta(minutes=50), ended_at=NOW - timedelta(minutes=5), volume_ml=50,
                     bag_volume_ml=50, first=NURSE, second=DOCTOR, check_clinicians=(2, 1))


def codes(facts: InfusionFacts) -> list[str]:
    return [r.code for r in gate.infusion_refusals(facts)]


def test_an_infusion_started_within_the_hour_after_its_check_is_accepted() -> None:
    assert codes(GOOD) == []
    # Times are entered to the minute: the minute of the check counts as after it.
    assert codes(replace(GOOD, started_at=NOW - timedelta(minutes=51))) == []


def test_a_check_older_than_an_hour_at_the_start_must_be_repeated() -> None:
    late = replace(GOOD, checked_at=NOW - timedelta(hours=2), started_at=NOW - timedelta(minutes=50))
    assert codes(late) == ["infusion.check_stale"]
    on_the_hour = GOOD.checked_at + timedelta(minutes=60)
    assert codes(replace(GOOD, started_at=on_the_hour, ended_at=on_the_hour + timedelta(minutes=20),
                         now=on_the_hour + timedelta(minutes=30))) == []


def test_times_volume_and_expiry() -> None:
    assert codes(replace(GOOD, ended_at=GOOD.started_at)) == ["infusion.end_before_start"]
    assert codes(replace(GOOD, ended_at=NOW + timedelta(minutes=10))) == ["infusion.in_future"]
    assert codes(replace(GOOD, ended_at=NOW + timedelta(minutes=1))) == []  # the bedside clock may run ahead
    assert codes(replace(GOOD, volume_ml=52.5)) == []
    assert codes(replace(GOOD, volume_ml=53)) == ["infusion.volume_exceeds_bag"]
    assert codes(replace(GOOD, volume_ml=500, bag_volume_ml=None)) == []
    assert codes(replace(GOOD, expires_at=GOOD.started_at)) == ["infusion.after_expiry"]


def test_a_used_or_refused_check_or_an_unusable_bag_is_refused() -> None:
    assert codes(replace(GOOD, check_used=True, bag_status="infused")) == ["infusion.check_used"]
    assert codes(replace(GOOD, bag_status="destroyed")) == ["infusion.bag_destroyed"]
    assert codes(replace(GOOD, check_ok=False)) == ["infusion.check_not_passed"]


def test_the_two_clinicians_of_the_check_sign() -> None:
    assert codes(replace(GOOD, second=NURSE)) == ["infusion.same_clinician"]
    stranger = Clinician(3, frozenset({"nurse"}), "Someone Else")
    assert codes(replace(GOOD, second=stranger)) == ["infusion.not_the_checking_clinicians"]
    courier = Clinician(2, frozenset({"courier"}), "Courier Kim")
    assert codes(replace(GOOD, second=courier)) == ["infusion.not_clinician"]
