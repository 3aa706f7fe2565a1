"""A material lot is used only when QA released it, it has not expired, and the step calls for its kind;
QA releases only a quarantined, unexpired lot, and never one it rejected."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from batchtrack.errors import Reason
from batchtrack.materials import gates
from batchtrack.materials.gates import MaterialFacts
from batchtrack.models.material import MaterialStatus

NOW = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
GOOD = MaterialFacts(code="MT2600001", kind="medium", status="released", expires_at=NOW + timedelta(days=30))
STEP_KINDS = ("medium", "platelet_lysate", "pen_strep")


def _codes(reasons: list[Reason]) -> list[str]:
    return [r.code for r in reasons]


def test_the_rules_spell_statuses_as_the_table_does() -> None:
    spelled = {"QUARANTINE": gates.QUARANTINE, "RELEASED": gates.RELEASED, "REJECTED": gates.REJECTED}
    assert spelled == {status.name: status.value for status in MaterialStatus}


def test_a_released_unexpired_material_of_a_needed_kind_is_allowed() -> None:
    assert gates.use_refusals(GOOD, kinds_needed=STEP_KINDS, now=NOW) == []


def test_an_expired_material_is_refused_from_its_expiry_time_on() -> None:
    at_expiry = replace(GOOD, expires_at=NOW)
    reasons = gates.use_refusals(at_expiry, kinds_needed=STEP_KINDS, now=NOW)
    assert _codes(reasons) == ["material.expired"]
    assert "MT2600001" in reasons[0].message
    assert gates.use_refusals(at_expiry, kinds_needed=STEP_KINDS, now=NOW - timedelta(seconds=1)) == []


def test_a_material_in_quarantine_or_rejected_is_refused() -> None:
    for status in ("quarantine", "rejected"):
        reasons = gates.use_refusals(replace(GOOD, status=status), kinds_needed=STEP_KINDS, now=NOW)
        assert _codes(reasons) == ["material.not_released"]
        assert status in reasons[0].message


def test_a_material_the_step_does_not_call_for_is_refused() -> None:
    reasons = gates.use_refusals(replace(GOOD, kind="trypsin"), kinds_needed=STEP_KINDS, now=NOW)
    assert _codes(reasons) == ["material.not_for_step"]
    assert "trypsin" in reasons[0].message and "pen_strep" in reasons[0].message


def test_every_reason_is_given_at_once() -> None:
    bad = MaterialFacts(code="MT2600002", kind="saline", status="rejected", expires_at=NOW - timedelta(days=1))
    assert _codes(gates.use_refusals(bad, kinds_needed=STEP_KINDS, now=NOW)) == [
        "material.not_for_step", "material.not_released", "material.expired"]


def test_qa_releases_a_quarantined_unexpired_lot_only() -> None:
    quarantined = replace(GOOD, status="quarantine")
    assert gates.release_refusals(quarantined, now=NOW) == []
    assert _codes(gates.release_refusals(replace(GOOD, status="rejected"), now=NOW)) == ["material.rejected"]
    assert _codes(gates.release_refusals(GOOD, now=NOW)) == ["material.not_in_quarantine"]
    expired = replace(quarantined, expires_at=NOW - timedelta(minutes=1))
    assert _codes(gates.release_refusals(expired, now=NOW)) == ["material.expired"]


def test_qa_may_reject_a_quarantined_or_released_lot_but_not_a_rejected_one() -> None:
    assert gates.reject_refusals(replace(GOOD, status="quarantine")) == []
    assert gates.reject_refusals(GOOD) == []
    assert _codes(gates.reject_refusals(replace(GOOD, status="rejected"))) == ["material.already_rejected"]
