"""The training matrix: every person, each qualification they hold until when, and what their roles need."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session
from sqlmodel import col, select

from batchtrack.errors import BadRequest
from batchtrack.i18n.text import _
from batchtrack.models.qualification import QualificationGrant, QualificationRevocation
from batchtrack.models.user import Role, User, UserRole
from batchtrack.qualifications import gates, requirements, schemas
from batchtrack.qualifications import service as qualification_service

STANDINGS = ("current", "expiring", "expired", "attention", "missing")


def catalogue() -> list[schemas.QualificationPublic]:
    """The qualifications of the catalogue, each with the activities that need it."""
    needs = requirements.load()
    return [schemas.QualificationPublic(code=q.code, title=q.title, validity_months=q.validity_months,
                                        activities=sorted(k for k, code in needs.needs.items() if code == q.code))
            for q in needs.catalogue.values()]


def _check_filters(role: str | None, qualification: str | None, standing: str | None) -> None:
    if role and role not in {r.value for r in Role}:
        raise BadRequest(_("unknown role {role}", role=repr(role[:32])), code="filter.role")
    if qualification and qualification not in requirements.load().catalogue:
        raise BadRequest(_("no qualification {code} is in the catalogue", code=repr(qualification[:32])),
                         code="filter.qualification")
    if standing and standing not in STANDINGS:
        raise BadRequest(_("unknown standing {standing}; use one of {standings}", standing=repr(standing[:32]),
                           standings=", ".join(STANDINGS)),
                         code="filter.standing")


def _shown(row: schemas.MatrixRow, qualification: str | None, standing: str | None) -> bool:
    held = [h for h in row.held if qualification in (None, "", h.qualification)]
    missing = [m for m in row.missing if qualification in (None, "", m)]
    if not standing:
        return bool(held or missing) if qualification else True
    if standing == "missing":
        return bool(missing)
    wanted = {"expiring", "expired"} if standing == "attention" else {standing}
    return any(h.standing in wanted for h in held)


def training_matrix(*, session: Session, role: str | None = None, qualification: str | None = None,
                    standing: str | None = None, include_inactive: bool = False,
                    today: date | None = None) -> schemas.TrainingMatrix:
    """Who holds what until when, filtered by role, qualification and standing (expired, expiring soon, missing)."""
    _check_filters(role, qualification, standing)
    on = today or qualification_service.today()
    needs = requirements.load()
    query = select(User).order_by(col(User.username))
    if not include_inactive:
        query = query.where(col(User.is_active))
    if role:
        query = query.where(col(User.id).in_(select(col(UserRole.user_id)).where(col(UserRole.role) == role)))
    users = list(session.execute(query).scalars())
    ids = [u.id for u in users if u.id is not None]
    roles: dict[int, set[str]] = {}
    if ids:
        for user_id, name in session.execute(select(col(UserRole.user_id), col(UserRole.role))
                                             .where(col(UserRole.user_id).in_(ids))).all():
            roles.setdefault(user_id, set()).add(name)
    held = qualification_service.held_by(session=session, user_ids=ids)
    rows = []
    for user in users:
        mine = held.get(user.id or 0, {})
        user_roles = roles.get(user.id or 0, set())
        needed = needs.for_roles({Role(r) for r in user_roles})
        row = schemas.MatrixRow(
            username=user.username, full_name=user.full_name, roles=sorted(user_roles), active=user.is_active,
            held=[schemas.HeldPublic(qualification=h.code, grant_id=h.grant_id, expires_on=h.expires_on,
                                     standing=gates.standing(h.expires_on, on),
                                     may_train=h.may_train) for h in sorted(mine.values(), key=lambda h: h.code)],
            missing=sorted(needed - set(mine)))
        if _shown(row, qualification, standing):
            rows.append(row)
    return schemas.TrainingMatrix(today=on, expiring_within_days=gates.EXPIRING_DAYS, qualifications=catalogue(),
                                  rows=rows)


def grant_public(*, session: Session, grant: QualificationGrant) -> schemas.GrantPublic:
    """A grant as the API returns it."""
    holder, trainer = session.get(User, grant.user_id), session.get(User, grant.trainer_id)
    assert holder is not None and trainer is not None and grant.id is not None
    return schemas.GrantPublic(id=grant.id, holder=holder.username, qualification=grant.qualification,
                               granted_at=grant.granted_at, expires_on=grant.expires_on, may_train=grant.may_train,
                               trainer=trainer.username, signature_id=grant.signature_id, note=grant.note)


def revocation_public(*, session: Session, revocation: QualificationRevocation) -> schemas.RevocationPublic:
    """A revocation as the API returns it."""
    granted = session.get(QualificationGrant, revocation.grant_id)
    assert granted is not None and revocation.id is not None
    holder, revoker = session.get(User, granted.user_id), session.get(User, revocation.revoked_by)
    assert holder is not None and revoker is not None
    return schemas.RevocationPublic(id=revocation.id, grant_id=revocation.grant_id, holder=holder.username,
                                    qualification=granted.qualification, revoked_at=revocation.revoked_at,
                                    revoked_by=revoker.username, signature_id=revocation.signature_id,
                                    reason=revocation.reason)
