"""The periodic access review: who may sign in, with which roles, qualifications and tokens; signed by QA.

The report is built from the records, stored as canonical JSON with its SHA-256, and QA's signature (meaning:
reviewed) covers that hash: a report changed after signing shows the signature broken.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session
from sqlmodel import col, select

from batchtrack.audit import chain
from batchtrack.audit import service as audit_service
from batchtrack.auth import service as auth_service
from batchtrack.auth import signatures, tokens
from batchtrack.auth.principal import Principal
from batchtrack.errors import Conflict, Forbidden, NotFound
from batchtrack.i18n.text import _
from batchtrack.models.base import utcnow
from batchtrack.models.review import AccessReview
from batchtrack.models.signature import Signature, SignatureMeaning
from batchtrack.models.user import ApiToken, Role, User, UserRole
from batchtrack.qualifications import service as qualification_service
from batchtrack.review import csv_lines, schemas

SIGNED_ENTITY = "access_review"
SIGNED = "access_review.signed"
REVIEWERS = frozenset({Role.QA})
CSV_COLUMNS = ("username", "full_name", "active", "locked", "roles", "qualifications", "last_login_at", "tokens")


def _time(value: datetime | None) -> str | None:
    return chain.timestamp_text(value) if value is not None else None


def _qualifications(held: dict[str, qualification_service.Held], today: date) -> list[dict[str, Any]]:
    return [{"code": h.code, "expires_on": h.expires_on.isoformat(), "expired": h.expires_on <= today}
            for h in sorted(held.values(), key=lambda h: h.code)]


def _token(token: ApiToken, now: datetime) -> dict[str, Any]:
    return {"name": token.name, "roles": sorted(r.value for r in tokens.roles_of_text(token.roles)),
            "station": token.station, "expires_at": _time(token.expires_at), "last_used_at": _time(token.last_used_at),
            "state": tokens.state_of(token, now=now)}


def report(*, session: Session) -> dict[str, Any]:
    """Every account: active or not, locked, roles, qualifications in force, last sign-in and tokens (not revoked)."""
    now = utcnow()
    users = list(session.execute(select(User).order_by(col(User.username))).scalars())
    ids = [u.id for u in users if u.id is not None]
    roles: dict[int, list[str]] = {}
    for user_id, role in session.execute(select(col(UserRole.user_id), col(UserRole.role))
                                         .where(col(UserRole.user_id).in_(ids)).order_by(col(UserRole.role))).all():
        roles.setdefault(user_id, []).append(role)
    held = qualification_service.held_by(session=session, user_ids=ids)
    by_user: dict[int, list[ApiToken]] = {}
    for token in tokens.tokens_of(session=session):
        if token.revoked_at is None:
            by_user.setdefault(token.user_id, []).append(token)
    return {
        "generated_at": chain.timestamp_text(now),
        "users": [{
            "username": u.username, "full_name": u.full_name, "active": u.is_active,
            "locked": auth_service.is_locked(u, now), "roles": roles.get(u.id or 0, []),
            "qualifications": _qualifications(held.get(u.id or 0, {}), now.date()),
            "last_login_at": _time(u.last_login_at),
            "tokens": [_token(t, now) for t in sorted(by_user.get(u.id or 0, []), key=lambda t: t.id or 0)],
        } for u in users],
    }


def report_hash(text: str) -> str:
    """SHA-256 of the stored report text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def public(data: dict[str, Any]) -> schemas.AccessReport:
    """The report as the API and the page show it, with its accounts' hash."""
    return schemas.AccessReport.model_validate({**data, "accounts_sha256": accounts_hash(data)})


def review_content(*, report_sha256: str, comment: str) -> dict[str, Any]:
    """What QA's access review signature covers (pure): the report's hash and the comment."""
    return {"report_sha256": report_sha256, "comment": comment}


def report_text(data: dict[str, Any]) -> str:
    """The report as stored and hashed: canonical JSON."""
    return chain.canonical_json(data)


def accounts_hash(data: dict[str, Any]) -> str:
    """SHA-256 of the report's accounts alone (not of when it was made): what a reader saw, to compare at signing."""
    return report_hash(chain.canonical_json(data["users"]))


def sign(*, session: Session, actor: Principal, username: str, password: str, comment: str,
         accounts_sha256: str = "") -> AccessReview:
    """Build the report now and sign it as QA's access review; refused if its accounts are not those read
    (`accounts_sha256`, when given: see `accounts_hash`)."""
    if Role.QA not in actor.roles:
        raise Forbidden(_("only QA signs the access review"), code="actor.role")
    assert actor.user_id is not None
    data = report(session=session)
    text = report_text(data)
    digest = report_hash(text)
    if accounts_sha256 and accounts_sha256 != accounts_hash(data):
        raise Conflict(_("the access report changed since you read it: read it again before signing"),
                       code="access_review.report_changed")
    comment = comment.strip()
    signature = signatures.sign(session=session, signer=actor, username=username, password=password,
                                meaning=SignatureMeaning.REVIEWED, entity_type=SIGNED_ENTITY, entity_id=digest,
                                content=review_content(report_sha256=digest, comment=comment))
    assert signature.id is not None
    review = AccessReview(report=text, report_hash=digest, comment=comment, signature_id=signature.id,
                          reviewed_by=actor.user_id, reviewed_at=signature.signed_at)
    session.add(review)
    session.flush()
    audit_service.record(session=session, actor=actor, action=SIGNED, entity_type=SIGNED_ENTITY,
                         entity_id=review.id or 0, new={"signature_id": signature.id, "report_sha256": digest,
                                                        "users": len(json.loads(text)["users"])}, reason=comment)
    return review


def reviews(*, session: Session, limit: int = 100) -> list[AccessReview]:
    """The past access reviews, newest first."""
    return list(session.execute(select(AccessReview).order_by(col(AccessReview.id).desc()).limit(limit)).scalars())


def get(*, session: Session, review_id: int) -> AccessReview:
    """One past access review; NotFound if there is none by that number."""
    review = session.get(AccessReview, review_id)
    if review is None:
        raise NotFound(_("no access review {review_id}", review_id=review_id), code="access_review.not_found")
    return review


def signed_content_of(*, session: Session, signature: Signature) -> dict[str, Any] | None:
    """What an access review signature covers, rebuilt from the stored report (its hash computed again)."""
    review = session.execute(select(AccessReview).where(col(AccessReview.signature_id) == signature.id)
                             ).scalars().first()
    if review is None:
        return None
    return review_content(report_sha256=report_hash(review.report), comment=review.comment)


def report_csv(data: dict[str, Any]) -> Iterator[str]:
    """The report as CSV lines: one row per account, lists joined with '; '."""
    yield csv_lines.line(CSV_COLUMNS)
    for user in data["users"]:
        yield csv_lines.line((
            user["username"], user["full_name"], "yes" if user["active"] else "no", "yes" if user["locked"] else "no",
            "; ".join(user["roles"]),
            "; ".join(f"{q['code']} until {q['expires_on']}{' (expired)' if q['expired'] else ''}"
                      for q in user["qualifications"]),
            user["last_login_at"] or "",
            "; ".join(f"{t['name']} [{', '.join(t['roles'])}] {t['state']}, expires {t['expires_at']}, last used "
                      f"{t['last_used_at'] or 'never'}" for t in user["tokens"]),
        ))


def review_out(*, session: Session, review: AccessReview) -> schemas.AccessReviewOut:
    """A past review with its signature checked against the stored report."""
    signature = session.get(Signature, review.signature_id)
    assert signature is not None
    content = review_content(report_sha256=report_hash(review.report), comment=review.comment)
    return schemas.AccessReviewOut(
        id=review.id or 0, report_sha256=review.report_hash, users=len(json.loads(review.report)["users"]),
        comment=review.comment,
        signature=schemas.SignatureOut(printed_name=signature.printed_name, meaning=signature.meaning,
                                       signed_at=signature.signed_at,
                                       intact=signatures.intact(session=session, signature=signature, content=content)))
