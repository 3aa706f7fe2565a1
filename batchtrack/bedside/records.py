"""What the bedside reads: the lot's release and alerts, the bag's recorded contents, checks and their infusions;
and who may act at the bedside."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlalchemy.orm import Session
from sqlmodel import col, select

from batchtrack.auth.principal import Principal
from batchtrack.bedside import gate
from batchtrack.errors import Forbidden, NotFound
from batchtrack.i18n.text import _
from batchtrack.models.bedside import BedsideCheck, Infusion
from batchtrack.models.lot import Lot
from batchtrack.models.quality import Alert, QcResult, ReleaseDecision, ReleaseDecisionKind, ResultStatus
from batchtrack.models.signature import Signature
from batchtrack.models.user import Role
from batchtrack.processing import service as step_service

# The formulation step records what each final container holds (processes/BM-MSC-EXP.json).
FORMULATION = "formulation"
VIABLE_CELLS = "viable_cells"
VOLUME = "volume"
STERILITY = "sterility"
CLINICIANS = frozenset({Role.INVESTIGATOR, Role.NURSE})
RELEASED = frozenset({ReleaseDecisionKind.RELEASED.value, ReleaseDecisionKind.RELEASED_PENDING_STERILITY.value})


@dataclass(frozen=True, slots=True)
class ReleaseState:
    """QA's decision on the lot as the bedside sees it."""

    released: bool
    pending_sterility: bool
    final_sterility_conforms: bool | None  # None: no final sterility result in force
    open_alerts: int


def _final_sterility(session: Session, lot: Lot) -> bool | None:
    rows = list(session.execute(
        select(QcResult).where(col(QcResult.lot_id) == lot.id, col(QcResult.test_code) == STERILITY)
        .order_by(col(QcResult.id))
    ).scalars())
    replaced = {row.replaces_id for row in rows if row.replaces_id is not None}
    final = [row for row in rows if row.id not in replaced and row.status == ResultStatus.FINAL]
    if not final:
        return None
    return final[-1].conforms is True


def release_state(*, session: Session, lot: Lot) -> ReleaseState:
    """Whether QA released the lot (fully or pending sterility), whether sterility is still out, open alerts."""
    decision = session.execute(
        select(col(ReleaseDecision.decision)).where(col(ReleaseDecision.lot_id) == lot.id)
    ).scalar_one_or_none()
    sterility = _final_sterility(session, lot)
    alerts = session.execute(
        select(func.count()).select_from(Alert).where(col(Alert.lot_id) == lot.id, col(Alert.acknowledged_at).is_(None))
    ).scalar_one()
    return ReleaseState(
        released=decision in RELEASED,
        pending_sterility=decision == ReleaseDecisionKind.RELEASED_PENDING_STERILITY.value and sterility is not True,
        final_sterility_conforms=sterility, open_alerts=int(alerts),
    )


def per_bag_value(*, session: Session, lot: Lot, name: str) -> float | None:
    """A value the formulation step records per final container (viable cells, volume), as in force now."""
    step = step_service.steps_of(session=session, lot=lot).get(FORMULATION)
    if step is None or step.id is None:
        return None
    value = step_service.current_values(session=session, step_ids=[step.id]).get((step.id, name))
    return value.value if value is not None else None


def signature(*, session: Session, signature_id: int) -> Signature:
    """One signature by id; NotFound otherwise."""
    found = session.get(Signature, signature_id)
    if found is None:
        raise NotFound(_("no signature {id}", id=signature_id))
    return found


def get_check(*, session: Session, check_id: int) -> BedsideCheck:
    """One bedside check; NotFound otherwise."""
    row = session.get(BedsideCheck, check_id)
    if row is None:
        raise NotFound(_("no bedside check {id}", id=check_id), code="bedside.check_unknown")
    return row


def infusion_of_check(*, session: Session, check_id: int) -> Infusion | None:
    """The infusion recorded on a check, if any."""
    return session.execute(select(Infusion).where(col(Infusion.check_id) == check_id)).scalar_one_or_none()


def clinician_of(principal: Principal) -> gate.Clinician:
    """A signed-in person as the bedside rules see them."""
    assert principal.user_id is not None
    return gate.Clinician(principal.user_id, frozenset(r.value for r in principal.roles), principal.full_name)


def require_clinician(actor: Principal) -> None:
    """Refuse anyone but an investigator or a nurse (the routes declare the same roles)."""
    if not actor.has_any(CLINICIANS) or actor.user_id is None:
        raise Forbidden(_("bedside checks and infusions are recorded by an investigator or a nurse"), code="role")
