"""Qualifications held: the gates' check, the trainer's signed grant, QA's signed revocation.

A user holds a qualification through the latest grant of it, unless that grant was revoked; retraining is a new
grant with a new expiry. Grants and revocations are rows written once, each with its signature and audit entry.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlmodel import col, select

from batchtrack.audit import service as audit_service
from batchtrack.auth import signatures
from batchtrack.auth.principal import Principal
from batchtrack.errors import AuditedRefusal, BadRequest, Conflict, Forbidden, NotFound, Reason
from batchtrack.i18n.text import _
from batchtrack.models.base import utcnow
from batchtrack.models.qualification import QualificationGrant, QualificationRevocation
from batchtrack.models.signature import Signature, SignatureMeaning
from batchtrack.models.user import Role, User
from batchtrack.qualifications import gates, requirements, schemas
from batchtrack.qualifications.requirements import Activity

# The signatures: a grant (the trainer's), and a revocation (QA's) which names the grant, not the user.
GRANT_ENTITY = "qualification"
REVOCATION_ENTITY = "qualification_revocation"
GRANTED = "qualification.granted"
REVOKED = "qualification.revoked"
REFUSED = "qualification.refused"


def today() -> date:
    """The date the qualification rules judge by (UTC, as every time batchtrack records)."""
    return utcnow().date()


@dataclass(frozen=True, slots=True)
class Held:
    """A qualification in force for one user: the grant that gives it (expired or not)."""

    grant_id: int
    code: str
    expires_on: date
    may_train: bool
    granted_at: datetime
    trainer_id: int


def held_by(*, session: Session, user_ids: Iterable[int]) -> dict[int, dict[str, Held]]:
    """For each user, the grant in force of each qualification they hold (the latest, unless revoked)."""
    ids = sorted(set(user_ids))
    if not ids:
        return {}
    rows = session.execute(
        select(QualificationGrant, col(QualificationRevocation.id))
        .outerjoin(QualificationRevocation, col(QualificationRevocation.grant_id) == col(QualificationGrant.id))
        .where(col(QualificationGrant.user_id).in_(ids)).order_by(col(QualificationGrant.id))).all()
    latest: dict[tuple[int, str], tuple[QualificationGrant, bool]] = {}
    for grant, revocation_id in rows:
        latest[(grant.user_id, grant.qualification)] = (grant, revocation_id is not None)
    found: dict[int, dict[str, Held]] = {user_id: {} for user_id in ids}
    for (user_id, code), (grant, revoked) in latest.items():
        if not revoked:
            found[user_id][code] = Held(grant.id or 0, code, grant.expires_on, grant.may_train, grant.granted_at,
                                        grant.trainer_id)
    return found


def expiries_of(*, session: Session, user_id: int | None) -> dict[str, date]:
    """The qualifications a user holds, code -> expiry date (expired ones included: the rule names them)."""
    if user_id is None:
        return {}
    return {code: held.expires_on for code, held in held_by(session=session, user_ids=[user_id])[user_id].items()}


def refusals(*, session: Session, user_id: int | None, name: str, activity: Activity) -> list[Reason]:
    """Why the user may not do `activity` today (not qualified, or the qualification expired); empty if they may."""
    needs = requirements.load()
    code = needs.needed_for(activity)
    return gates.activity_refusals(activity=activity, needed=needs.catalogue.get(code) if code else None,
                                   held=expiries_of(session=session, user_id=user_id), today=today(), person=name)


def require(*, session: Session, actor: Principal, activity: Activity, entity_type: str, entity_id: str | int,
            person_id: int | None = None) -> None:
    """Refuse (403, audited) unless the actor (or the user `person_id`, a second person taking part) holds a
    current qualification for `activity`.

    Called by each gate's service before it writes anything; the refusal is recorded against the entity acted on.
    """
    user_id, name = actor.user_id, actor.full_name
    if person_id is not None:
        person = session.get(User, person_id)
        user_id, name = person_id, person.full_name if person is not None else f"user {person_id}"
    reasons = refusals(session=session, user_id=user_id, name=name, activity=activity)
    if reasons:
        raise Forbidden(reasons[0].message, code=reasons[0].code, reasons=reasons,
                        audit=AuditedRefusal(actor, REFUSED, entity_type, str(entity_id),
                                             {"activity": activity.key, "person_id": user_id}))


def _user(session: Session, username: str, *, for_update: bool = False) -> User:
    query = select(User).where(col(User.username) == username.strip().lower())
    if for_update:
        query = query.with_for_update()
    user = session.execute(query).scalar_one_or_none()
    if user is None:
        raise NotFound(_("no user {username}", username=repr(username[:64])), code="user.unknown")
    return user


def grant_content(*, holder_id: int, holder: str, qualification: str, expires_on: date, may_train: bool,
                  note: str) -> dict[str, Any]:
    """What the trainer's signature on a grant covers (pure)."""
    return {"holder_id": holder_id, "holder": holder, "qualification": qualification,
            "expires_on": expires_on.isoformat(), "may_train": may_train, "note": note}


def revocation_content(*, grant_id: int, holder: str, qualification: str, reason: str) -> dict[str, Any]:
    """What QA's signature on a revocation covers (pure)."""
    return {"grant": grant_id, "holder": holder, "qualification": qualification, "reason": reason}


def grant(*, session: Session, actor: Principal, username: str, data: schemas.GrantCreate) -> QualificationGrant:
    """Grant a qualification to a user as the trainer's signed act (QA, or a current trainer of it), audited."""
    user = _user(session, username, for_update=True)
    assert user.id is not None
    needs = requirements.load()
    code = data.qualification.strip().upper()
    mine = held_by(session=session, user_ids=[actor.user_id])[actor.user_id] if actor.user_id is not None else {}
    trainer = mine.get(code)
    now = today()
    expires_on = data.expires_on
    qualification = needs.catalogue.get(code)
    if expires_on is None and qualification is not None:
        expires_on = gates.add_months(now, qualification.validity_months)
    reasons = gates.grant_refusals(gates.GrantFacts(
        qualification=qualification, code=code, expires_on=expires_on or now, may_train=data.may_train, today=now,
        grantee_id=user.id, grantee_active=user.is_active, trainer_id=actor.user_id,
        trainer_is_qa=Role.QA in actor.roles,
        trainer_trains_it=trainer is not None and trainer.may_train and trainer.expires_on > now))
    if reasons:
        # Who may grant is a permission (403); the rest is what was asked for (400).
        error = Forbidden if any(r.code in gates.PERMISSION_CODES for r in reasons) else BadRequest
        raise error(_("{code} cannot be granted to {holder} by {trainer}", code=code[:32], holder=user.username,
                      trainer=actor.username), code=reasons[0].code,
                    reasons=reasons, audit=AuditedRefusal(actor, "qualification.grant_refused", "user",
                                                          user.username, {"qualification": code[:32]}))
    assert expires_on is not None and actor.user_id is not None
    note = data.note.strip()
    content = grant_content(holder_id=user.id, holder=user.username, qualification=code, expires_on=expires_on,
                            may_train=data.may_train, note=note)
    signature = signatures.sign(session=session, signer=actor, username=data.username, password=data.password,
                                meaning=SignatureMeaning.APPROVED, entity_type=GRANT_ENTITY,
                                entity_id=f"{user.id}/{code}", content=content)
    assert signature.id is not None
    row = QualificationGrant(user_id=user.id, qualification=code, granted_at=signature.signed_at,
                             expires_on=expires_on, may_train=data.may_train, trainer_id=actor.user_id,
                             signature_id=signature.id, note=note)
    session.add(row)
    session.flush()
    audit_service.record(session=session, actor=actor, action=GRANTED, entity_type="user", entity_id=user.username,
                         new={"grant_id": row.id, "signature_id": signature.id, **content}, reason=note)
    return row


def revoke(*, session: Session, actor: Principal, username: str, grant_id: int,
           data: schemas.RevokeRequest) -> QualificationRevocation:
    """End a grant in force before its expiry, as QA's signed act with the reason, audited."""
    user = _user(session, username, for_update=True)
    row = session.get(QualificationGrant, grant_id)
    if row is None or row.user_id != user.id:
        raise NotFound(_("{username} has no qualification grant {grant_id}", username=user.username, grant_id=grant_id),
                       code="qualification.no_grant")
    in_force = held_by(session=session, user_ids=[user.id or 0]).get(user.id or 0, {}).get(row.qualification)
    reason = data.reason.strip()
    reasons = gates.revoke_refusals(current=in_force is not None and in_force.grant_id == row.id,
                                    revoker_id=actor.user_id, holder_id=row.user_id, reason=reason)
    if reasons:
        raise Conflict(_("grant {grant_id} of {qualification} cannot be revoked", grant_id=grant_id,
                         qualification=row.qualification), code=reasons[0].code,
                       reasons=reasons, audit=AuditedRefusal(actor, "qualification.revoke_refused", "user",
                                                             user.username, {"grant_id": grant_id}))
    assert row.id is not None and actor.user_id is not None
    content = revocation_content(grant_id=row.id, holder=user.username, qualification=row.qualification,
                                 reason=reason)
    signature = signatures.sign(session=session, signer=actor, username=data.username, password=data.password,
                                meaning=SignatureMeaning.APPROVED, entity_type=REVOCATION_ENTITY, entity_id=row.id,
                                content=content)
    assert signature.id is not None
    revocation = QualificationRevocation(grant_id=row.id, revoked_at=signature.signed_at, revoked_by=actor.user_id,
                                         signature_id=signature.id, reason=reason)
    session.add(revocation)
    try:
        session.flush()
    except IntegrityError as exc:  # revoked at the same moment by someone else
        raise Conflict(_("grant {grant_id} was revoked already", grant_id=grant_id),
                       code="qualification.not_current") from exc
    audit_service.record(session=session, actor=actor, action=REVOKED, entity_type="user", entity_id=user.username,
                         old={"grant_id": row.id, "qualification": row.qualification,
                              "expires_on": row.expires_on.isoformat()},
                         new={"revocation_id": revocation.id, "signature_id": signature.id, **content}, reason=reason)
    return revocation


def signed_content_of(*, session: Session, signature: Signature) -> dict[str, Any] | None:
    """What a trainer's signature on a grant covers, rebuilt from the grant row; None if no grant names it."""
    row = session.execute(select(QualificationGrant).where(col(QualificationGrant.signature_id) == signature.id)
                          ).scalars().first()
    holder = session.get(User, row.user_id) if row is not None else None
    if row is None or holder is None:
        return None
    return grant_content(holder_id=row.user_id, holder=holder.username, qualification=row.qualification,
                         expires_on=row.expires_on, may_train=row.may_train, note=row.note)


def revocation_content_of(*, session: Session, signature: Signature) -> dict[str, Any] | None:
    """What QA's signature on a revocation covers, rebuilt from the revocation and its grant; None if not found."""
    row = session.execute(select(QualificationRevocation)
                          .where(col(QualificationRevocation.signature_id) == signature.id)).scalars().first()
    granted = session.get(QualificationGrant, row.grant_id) if row is not None else None
    holder = session.get(User, granted.user_id) if granted is not None else None
    if row is None or granted is None or holder is None:
        return None
    return revocation_content(grant_id=row.grant_id, holder=holder.username, qualification=granted.qualification,
                              reason=row.reason)
