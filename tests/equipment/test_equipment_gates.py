"""An instrument is used only when the step calls for its kind, it is in service, and calibration is not due;
a calibration sets a due time in the future."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from batchtrack.equipment import gates
from batchtrack.equipment.gates import EquipmentFacts
from batchtrack.errors import Reason

NOW = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
GOOD = EquipmentFacts(code="INC-01", kind="incubator", active=True, calibration_due=NOW + timedelta(days=10))
STEP_KINDS = ("biosafety_cabinet", "cell_counter", "incubator")


def _codes(reasons: list[Reason]) -> list[str]:
    return [r.code for r in reasons]


def test_an_instrument_in_service_and_calibrated_of_a_needed_kind_is_allowed() -> None:
    assert gates.use_refusals(GOOD, kinds_needed=STEP_KINDS, now=NOW) == []
    assert not gates.calibration_overdue(GOOD, now=NOW)


def test_an_instrument_overdue_for_calibration_is_refused() -> None:
    overdue = replace(GOOD, calibration_due=NOW)
    reasons = gates.use_refusals(overdue, kinds_needed=STEP_KINDS, now=NOW)
    assert _codes(reasons) == ["equipment.calibration_overdue"]
    assert "INC-01" in reasons[0].message
    assert gates.calibration_overdue(overdue, now=NOW)


def test_an_instrument_out_of_service_is_refused() -> None:
    reasons = gates.use_refusals(replace(GOOD, active=False), kinds_needed=STEP_KINDS, now=NOW)
    assert _codes(reasons) == ["equipment.retired"]


def test_an_instrument_the_step_does_not_call_for_is_refused() -> None:
    reasons = gates.use_refusals(replace(GOOD, kind="centrifuge"), kinds_needed=STEP_KINDS, now=NOW)
    assert _codes(reasons) == ["equipment.not_for_step"]
    assert "centrifuge" in reasons[0].message


def test_a_calibration_must_set_a_due_time_in_the_future() -> None:
    assert gates.calibration_refusals(GOOD, due=NOW + timedelta(days=365), now=NOW) == []
    for due in (NOW, NOW - timedelta(days=1)):
        assert _codes(gates.calibration_refusals(GOOD, due=due, now=NOW)) == ["calibration.due_not_future"]


def test_an_instrument_out_of_service_is_neither_calibrated_nor_retired_again() -> None:
    retired = replace(GOOD, active=False)
    assert _codes(gates.calibration_refusals(retired, due=NOW + timedelta(days=1), now=NOW)) == ["equipment.retired"]
    assert _codes(gates.retire_refusals(retired)) == ["equipment.retired"]
    assert gates.retire_refusals(GOOD) == []
