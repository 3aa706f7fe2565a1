"""Lifting a lot's hold: QA's own signed decision (meaning: approved), with a reason, never a side effect.

An open deviation puts a lot on hold, and closing the deviation leaves it there (DESIGN.md section 3: only QA lifts
it). QA then decides that the lot may go on: the guard (lots.workflow.guard_lift_hold) refuses while any deviation
of the lot is open, the decision is signed, and the lot returns to the state it was in before the hold.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.orm import Session
from sqlmodel import col, select

from batchtrack.audit import service as audit_service
from batchtrack.auth import signatures
from batchtrack.auth.principal import Principal
from batchtrack.errors import AuditedRefusal, InvalidTransition
from batchtrack.i18n.text import _
from batchtrack.lots import service as lot_service
from batchtrack.lots import workflow
from batchtrack.models.audit import AuditEntry
from batchtrack.models.lot import Lot
from batchtrack.models.signature import Signature, SignatureMeaning

# The signature names the lot's hold, not the lot: a lot's own "approved" signatures are release co-signatures.
SIGNED_ENTITY = "lot_hold"
LIFTED = "hold.lifted"


def hold_content(*, din: str, resumed_state: str, reason: str) -> dict[str, Any]:
    """What QA's signature lifting a hold covers (pure): the lot, the state it goes back to, and why."""
    return {"lot": din, "resumed_state": resumed_state, "reason": reason}


def offered(*, session: Session, lot: Lot, actor: Principal) -> bool:
    """Whether a page offers `actor` the signed form that lifts the lot's hold now."""
    return workflow.may_offer_lift_hold(lot_service.facts_for(session=session, lot=lot, actor=actor))


def lift(*, session: Session, actor: Principal, din: str, reason: str, username: str, password: str) -> Lot:
    """Lift the lot's hold as QA's signed decision with a reason; refused while any deviation of the lot is open."""
    lot = lot_service.get_by_din(session=session, din=din, for_update=True)
    text = reason.strip()
    facts = lot_service.facts_for(session=session, lot=lot, actor=actor, signed_decision=True, reason=text)
    refusals = workflow.guard_lift_hold(facts)
    if refusals:
        raise InvalidTransition(_("the hold on lot {din} cannot be lifted", din=lot.din), reasons=refusals,
                                audit=AuditedRefusal(actor, "lot.lift_hold_refused", "lot", lot.din,
                                                     {"state": lot.state}))
    resumed = workflow.target_state(workflow.LIFT_HOLD, facts).value
    content = hold_content(din=lot.din, resumed_state=resumed, reason=text)
    signature = signatures.sign(session=session, signer=actor, username=username, password=password,
                                meaning=SignatureMeaning.APPROVED,
                                entity_type=SIGNED_ENTITY, entity_id=lot.din, content=content)
    lifted = lot_service.transition(session=session, actor=actor, din=lot.din, name=workflow.LIFT_HOLD.name,
                                    reason=text, signed_decision=True)
    audit_service.record(session=session, actor=actor, action=LIFTED, entity_type="lot", entity_id=lot.din,
                         new={"signature_id": signature.id, **content}, reason=text)
    return lifted


def signed_content_of(*, session: Session, signature: Signature) -> dict[str, Any] | None:
    """What a signature lifting a hold covers, rebuilt from the entry that recorded the decision; None if none."""
    entries = session.execute(select(AuditEntry.new_values).where(
        col(AuditEntry.action) == LIFTED, col(AuditEntry.entity_type) == "lot",
        col(AuditEntry.entity_id) == signature.entity_id)).scalars()
    for values in entries:
        recorded = json.loads(values)
        if recorded.get("signature_id") == signature.id:
            return hold_content(din=str(recorded["lot"]), resumed_state=str(recorded["resumed_state"]),
                                reason=str(recorded["reason"]))
    return None
