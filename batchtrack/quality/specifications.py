"""Specification versions: drafted by QA (or installed from the shipped default), made effective by QA's
electronic signature, superseding the version they replace. A version never changes once it exists."""

from __future__ import annotations

import json
import math
from typing import Any

from sqlalchemy.orm import Session
from sqlmodel import col, func, select

from batchtrack.audit import service as audit_service
from batchtrack.auth import signatures
from batchtrack.auth.principal import Principal
from batchtrack.errors import AuditedRefusal, BadRequest, Conflict, Forbidden, NotFound, Reason
from batchtrack.i18n.text import _
from batchtrack.models.quality import Specification, SpecificationStatus
from batchtrack.models.signature import Signature, SignatureMeaning
from batchtrack.models.user import Role, User
from batchtrack.quality import gates, schemas, specification
from batchtrack.quality.specification import SpecificationContent, SpecificationError


def content_of(spec: Specification) -> SpecificationContent:
    """The tests and limits of a stored specification version."""
    return specification.parse(spec.content)


_ONLY_QA = {"drafts": _("only QA drafts a specification"), "approves": _("only QA approves a specification")}


def _require_qa(actor: Principal, what: str) -> None:
    if Role.QA not in actor.roles:
        raise Forbidden(_ONLY_QA[what], code="actor.role")


def get(*, session: Session, code: str, version: int, for_update: bool = False) -> Specification:
    """One specification version; NotFound otherwise."""
    query = select(Specification).where(col(Specification.code) == code, col(Specification.version) == version)
    if for_update:
        query = query.with_for_update()
    spec = session.execute(query).scalar_one_or_none()
    if spec is None:
        raise NotFound(_("no specification {code} version {version}", code=code[:32], version=version),
                       code="specification.unknown")
    return spec


def effective(*, session: Session, code: str = specification.DEFAULT_CODE) -> Specification | None:
    """The version of `code` QA last made effective, if any."""
    return session.execute(select(Specification).where(
        col(Specification.code) == code, col(Specification.status) == SpecificationStatus.EFFECTIVE)
    ).scalars().first()


def versions(*, session: Session, code: str | None = None) -> list[Specification]:
    """Every stored version, newest first (of one code, or of all)."""
    query = select(Specification).order_by(col(Specification.code), col(Specification.version).desc())
    if code is not None:
        query = query.where(col(Specification.code) == code)
    return list(session.execute(query).scalars())


def draft(*, session: Session, actor: Principal, text: str) -> Specification:
    """Store a new draft version from its JSON; it must validate and carry the next version number."""
    _require_qa(actor, "drafts")
    try:
        content = specification.parse(text)
    except SpecificationError as exc:
        raise BadRequest(_("the specification is not valid: {problems}", problems=str(exc)),
                         code="specification.invalid") from exc
    latest = session.execute(select(func.max(Specification.version)).where(
        col(Specification.code) == content.code)).scalar_one_or_none()
    expected = (latest or 0) + 1
    if content.version != expected:
        raise Conflict(_("{code} version {version} cannot be stored: the next version is {expected}",
                         code=content.code, version=content.version, expected=expected),
                       code="specification.version")
    assert actor.user_id is not None
    spec = Specification(code=content.code, version=content.version, title=content.title,
                         content=specification.canonical(content), created_by=actor.user_id)
    session.add(spec)
    session.flush()
    audit_service.record(session=session, actor=actor, action="specification.drafted", entity_type="specification",
                         entity_id=f"{spec.code} v{spec.version}",
                         new={"title": spec.title, "tests": len(content.tests)})
    return spec


def draft_shipped_default(*, session: Session, actor: Principal) -> Specification:
    """Store the shipped default as a draft for QA to review and approve (once; later calls return it)."""
    content = specification.shipped_default()
    existing = session.execute(select(Specification).where(
        col(Specification.code) == content.code, col(Specification.version) == content.version)
    ).scalar_one_or_none()
    if existing is not None:
        return existing
    return draft(session=session, actor=actor, text=specification.canonical(content))


def approve(*, session: Session, actor: Principal, code: str, version: int, username: str,
            password: str) -> Specification:
    """Make a draft effective with QA's signature (approved); the version it replaces is superseded."""
    _require_qa(actor, "approves")
    spec = get(session=session, code=code, version=version, for_update=True)
    if spec.status != SpecificationStatus.DRAFT:
        raise Conflict(_("{code} version {version} is {status}; only a draft is approved", code=code,
                         version=version, status=spec.status),
                       code="specification.not_draft",
                       reasons=[Reason("specification.not_draft", _("{code} v{version} is {status}", code=code,
                                                                    version=version, status=spec.status))],
                       audit=AuditedRefusal(actor, "specification.approve_refused", "specification",
                                            f"{code} v{version}", {"status": spec.status}))
    signature = signatures.sign(session=session, signer=actor, username=username, password=password,
                                meaning=SignatureMeaning.APPROVED, entity_type="specification",
                                entity_id=f"{code} v{version}", content={"content": spec.content})
    previous = effective(session=session, code=code)
    if previous is not None:
        previous.status = SpecificationStatus.SUPERSEDED.value
        session.add(previous)
        audit_service.record(session=session, actor=actor, action="specification.superseded",
                             entity_type="specification", entity_id=f"{code} v{previous.version}",
                             old={"status": SpecificationStatus.EFFECTIVE.value},
                             new={"status": previous.status, "by_version": version})
    spec.status, spec.approved_signature_id, spec.effective_at = (
        SpecificationStatus.EFFECTIVE.value, signature.id, signature.signed_at)
    session.add(spec)
    audit_service.record(session=session, actor=actor, action="specification.approved", entity_type="specification",
                         entity_id=f"{code} v{version}", old={"status": SpecificationStatus.DRAFT.value},
                         new={"status": spec.status, "signature_id": signature.id})
    session.flush()
    return spec


def signed_content(spec: Specification) -> dict[str, str]:
    """What QA's approval signature covers (to show whether it is still intact)."""
    return {"content": spec.content}


def signed_content_of(*, session: Session, signature: Signature) -> dict[str, Any] | None:
    """What an approval signature covers, rebuilt from the version it made effective; None if none names it."""
    spec = session.execute(select(Specification).where(col(Specification.approved_signature_id) == signature.id)
                           ).scalars().first()
    return dict(signed_content(spec)) if spec is not None else None


def require_effective(*, session: Session) -> Specification:
    """The effective default specification; a refusal that says QA must approve one otherwise."""
    spec = effective(session=session)
    if spec is None:
        raise Conflict(_("no release specification is effective: QA must approve one"), code="specification.none")
    return spec



def _refuse_constant(name: str) -> float:
    raise SpecificationError(f"{name} is not a number a specification can hold")


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise SpecificationError(f"{text[:20]} is too large for a specification")
    return number


def draft_from_json(*, session: Session, actor: Principal, text: str) -> Specification:
    """Store a draft from JSON as QA wrote it; a number that is not finite (NaN, Infinity, 1e999) is refused."""
    _require_qa(actor, "drafts")
    try:
        json.loads(text, parse_constant=_refuse_constant, parse_float=_finite)
    except SpecificationError as exc:
        raise BadRequest(_("the specification is not valid: {problems}", problems=str(exc)),
                         code="specification.invalid") from exc
    except RecursionError as exc:
        raise BadRequest(_("the specification is not valid: nested too deeply"),
                         code="specification.invalid") from exc
    except ValueError:
        pass  # not JSON at all: `draft` says where
    return draft(session=session, actor=actor, text=text)


def draft_default(*, session: Session, actor: Principal, code: str) -> Specification:
    """Store the specification shipped under `code` as a draft (once; later calls return it)."""
    _require_qa(actor, "drafts")
    if code != specification.DEFAULT_CODE:
        raise NotFound(_("no specification {code} is shipped; the shipped one is {shipped}", code=code[:32],
                         shipped=specification.DEFAULT_CODE), code="specification.unknown")
    return draft_shipped_default(session=session, actor=actor)


def label(spec: Specification) -> str:
    """How a version is named: 'MSC-FP v1'."""
    return f"{spec.code} v{spec.version}"


def summaries(*, session: Session, specs: list[Specification]) -> list[schemas.SpecificationSummary]:
    """Versions as a list shows them, with who drafted each."""
    people = {s.created_by for s in specs}
    names = dict(session.execute(select(col(User.id), col(User.full_name)).where(col(User.id).in_(people))).all())
    return [
        schemas.SpecificationSummary(
            code=s.code, version=s.version, title=s.title, status=s.status, tests=len(content_of(s).tests),
            created_by=names.get(s.created_by, "?"), created_at=s.created_at, effective_at=s.effective_at)
        for s in specs
    ]


def to_public(*, session: Session, spec: Specification) -> schemas.SpecificationPublic:
    """A version with its tests, its stored content, and QA's approval signature (and whether it is intact)."""
    content = content_of(spec)
    approval = None
    if spec.approved_signature_id is not None:
        signed = session.get(Signature, spec.approved_signature_id)
        assert signed is not None
        approval = schemas.SignaturePublic(printed_name=signed.printed_name, meaning=signed.meaning,
                                           signed_at=signed.signed_at,
                                           intact=signatures.intact(session=session, signature=signed,
                                                                    content=dict(signed_content(spec))))
    return schemas.SpecificationPublic(
        **summaries(session=session, specs=[spec])[0].model_dump(),
        test_list=[schemas.SpecTestPublic(code=t.code, title=t.title, stage=t.stage, method=t.method, kind=t.kind,
                                          unit=t.unit, limit=gates.specification_limit(t),
                                          final_after_days=t.final_after_days) for t in content.tests],
        content=json.loads(spec.content), approval=approval,
    )
