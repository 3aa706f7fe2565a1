"""The pure rules of rejection and co-signature (batchtrack.release.gate), without a database."""

from __future__ import annotations

from datetime import UTC, datetime

from batchtrack.errors import Reason
from batchtrack.models.quality import ApprovalRole
from batchtrack.models.user import Role
from batchtrack.release import gate

NOW = datetime(2026, 5, 4, 9, 30, tzinfo=UTC)


def _facts(*, lot_state: str = "in_qc", actor_is_qa: bool = True) -> gate.ReleaseFacts:
    return gate.ReleaseFacts(lot_din="W000026000001", lot_state=lot_state, now=NOW, expires_at=None,
                             specification="MSC-FP v1", actor_id=7, actor_is_qa=actor_is_qa)


def _codes(reasons: list[Reason]) -> list[str]:
    return [r.code for r in reasons]


def test_the_co_signer_roles_are_spelled_as_the_tables_spell_them() -> None:
    assert set(gate.CO_SIGNERS) == {r.value for r in ApprovalRole} == set(gate.CO_SIGNER_ROLES)
    assert set(gate.CO_SIGNER_ROLES.values()) <= {r.value for r in Role}


def test_a_rejection_needs_qa_a_lot_in_qc_and_a_reason() -> None:
    assert gate.rejection_refusals(_facts(), reason="Viability below limit") == []
    assert _codes(gate.rejection_refusals(_facts(lot_state="released", actor_is_qa=False), reason="  ")) == [
        "lot.wrong_state", "actor.role", "release.reason_required"]


def test_a_co_signature_needs_the_matching_role_once_per_role_by_two_different_people() -> None:
    def refusals(role: str, roles: set[str], signed: dict[str, int], state: str = "in_qc") -> list[str]:
        return _codes(gate.co_signature_refusals(lot_din="W000026000001", lot_state=state, role=role,
                                                 actor_roles=frozenset(roles), actor_id=7, signed_by=signed))

    assert refusals("medical_director", {"medical_director"}, {}) == []
    assert refusals("treating_physician", {"investigator"}, {"medical_director": 8}) == []
    assert refusals("medical_director", {"investigator"}, {}) == ["actor.role"]
    assert refusals("treating_physician", {"investigator"}, {"treating_physician": 9}) == [
        "release.co_signature_exists"]
    assert refusals("treating_physician", {"investigator", "medical_director"}, {"medical_director": 7}) == [
        "release.co_signer_same_person"]
    assert refusals("pharmacist", {"qa"}, {}, state="released") == ["lot.wrong_state", "release.co_signer_unknown"]
