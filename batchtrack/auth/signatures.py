"""Electronic signatures: re-enter the password (and the user id when needed), state the meaning, hash what is
signed and the signature itself.

A signature is intact when three records agree: the row (its own hash over every column), the `signature.applied`
audit entry written with it (who, what, and both hashes), and the content rebuilt from the signed record now.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from batchtrack.audit import chain
from batchtrack.audit import service as audit_service
from batchtrack.auth import passwords, sessions, signed_records, signing_rules
from batchtrack.auth import service as auth_service
from batchtrack.auth.principal import Principal
from batchtrack.errors import AuditedRefusal, SignatureRefused
from batchtrack.i18n.text import _
from batchtrack.models.audit import AuditEntry
from batchtrack.models.base import utcnow
from batchtrack.models.signature import Signature, SignatureMeaning
from batchtrack.models.user import User, UserSession

APPLIED = "signature.applied"
# Names the layout of `signature_hash`: a later layout gets a new tag, so old hashes stay checkable.
HASH_LAYOUT = "batchtrack-signature-v1"


def content_hash(content: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON of the signed content."""
    return hashlib.sha256(chain.canonical_json(content).encode("utf-8")).hexdigest()


def signature_hash(signature: Signature) -> str:
    """SHA-256 over everything a signature attests, so that no column of its row can change unseen.

    Hashed: the canonical JSON array (no spaces, UTF-8) of, in this order, the layout tag, signer id, printed name,
    meaning, signing time (UTC, ISO 8601 with microseconds and 'Z'), entity type, entity id and content hash.
    """
    fields = [HASH_LAYOUT, signature.signer_id, signature.printed_name, signature.meaning,
              chain.timestamp_text(signature.signed_at), signature.entity_type, signature.entity_id,
              signature.content_hash]
    text = json.dumps(fields, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def sign(
    *,
    session: Session,
    signer: Principal,
    username: str | None,
    password: str,
    meaning: SignatureMeaning,
    entity_type: str,
    entity_id: str | int,
    content: dict[str, Any],
) -> Signature:
    """Sign `content` as `signer` after checking the user id they typed (when needed) and their password.

    Refused, audited: a locked account; a missing user id where the rule needs it; a wrong user id or password, each
    of which also counts toward the signer's lockout once the request is rolled back (see `signing_rules`).
    """
    # A kind of record the signature check cannot rebuild would be a signature nobody can verify: refuse to make it.
    signed_records.require_known(entity_type, meaning.value)
    user = session.get(User, signer.user_id) if signer.user_id is not None else None
    refused = AuditedRefusal(signer, "signature.refused", entity_type, str(entity_id), {"meaning": meaning.value})
    if user is None or not user.is_active:
        passwords.verify_password(None, password)  # the same work as for anyone else
        raise SignatureRefused(_("the password does not match the signer: the signature was not applied"),
                               code=signing_rules.WRONG_PASSWORD, audit=refused)
    locked = auth_service.is_locked(user, utcnow())
    attempt = signing_rules.Attempt(
        signer_username=user.username, typed_username=username or "",
        # A locked account is verified against nothing: the same work, and even the right password refused.
        password_matches=passwords.verify_password(None if locked else user.password_hash, password),
        locked=locked, user_id_needed=asks_user_id(session=session, signer=signer),
    )
    reason = signing_rules.signing_refusal(attempt)
    if reason is not None:
        counted = signing_rules.counts_toward_lockout(reason)
        raise SignatureRefused(reason.text, code=reason.code, reasons=[reason], audit=replace(
            refused, details={**refused.details, "refused_because": reason.code},
            failed_attempt_of=user.id if counted else None))
    signature = Signature(
        signer_id=user.id or 0,
        printed_name=user.full_name,
        meaning=meaning.value,
        signed_at=utcnow(),
        entity_type=entity_type,
        entity_id=str(entity_id),
        content_hash=content_hash(content),
        hash="",
    )
    signature.hash = signature_hash(signature)
    session.add(signature)
    session.flush()
    audit_service.record(
        session=session, actor=signer, action=APPLIED, entity_type=entity_type,
        entity_id=entity_id,
        new={"signature_id": signature.id, "meaning": meaning.value, "printed_name": user.full_name,
             "content_hash": signature.content_hash, "signature_hash": signature.hash},
    )
    if signer.session_id is not None and signer.token_id is None:
        # Later signings in this browser session may then be made with the password alone.
        sessions.mark_signed(session=session, session_id=signer.session_id)
    return signature


def asks_user_id(*, session: Session, signer: Principal) -> bool:
    """Whether `signer`'s next signature needs their user id as well as the password (see `signing_rules`)."""
    first_signed_at: datetime | None = None
    if signer.session_id is not None and signer.token_id is None:
        first_signed_at = session.execute(select(col(UserSession.first_signed_at))
                                          .where(col(UserSession.id) == signer.session_id)).scalar_one_or_none()
    return signing_rules.user_id_needed(session_id=signer.session_id, token_id=signer.token_id,
                                        first_signed_at=first_signed_at)


@dataclass(frozen=True, slots=True)
class Applied:
    """What the `signature.applied` audit entry of one signature recorded (`signature_hash` only since it was)."""

    seq: int
    signature_id: int
    actor_id: int | None
    entity_type: str
    entity_id: str
    printed_name: Any
    meaning: Any
    content_hash: Any
    signature_hash: Any


def applied_of(seq: int, actor_id: int | None, entity_type: str, entity_id: str, new_values: str) -> Applied | None:
    """The signature an applied entry records, from its columns; None if its values name no signature."""
    try:
        new = json.loads(new_values)
    except ValueError:
        return None
    if not isinstance(new, dict) or not isinstance(new.get("signature_id"), int):
        return None
    return Applied(seq=seq, signature_id=new["signature_id"], actor_id=actor_id, entity_type=entity_type,
                   entity_id=entity_id, printed_name=new.get("printed_name"), meaning=new.get("meaning"),
                   content_hash=new.get("content_hash"), signature_hash=new.get("signature_hash"))


def applied_entries(*, session: Session, of: Sequence[Signature] | None = None) -> dict[int, list[Applied]]:
    """The applied entries by signature id, of the signatures `of` (found by their entity) or of all (None)."""
    query = select(col(AuditEntry.seq), col(AuditEntry.actor_id), col(AuditEntry.entity_type),
                   col(AuditEntry.entity_id), col(AuditEntry.new_values)).where(col(AuditEntry.action) == APPLIED)
    if of is not None:
        if not of:
            return {}
        query = query.where(col(AuditEntry.entity_type).in_({s.entity_type for s in of}),
                            col(AuditEntry.entity_id).in_({s.entity_id for s in of}))
    found: dict[int, list[Applied]] = {}
    for row in session.execute(query.order_by(col(AuditEntry.seq))).all():
        applied = applied_of(*row)
        if applied is not None:
            found.setdefault(applied.signature_id, []).append(applied)
    return found


def disagreements(signature: Signature, applied: Applied) -> list[str]:
    """Where the row and its applied entry disagree (pure): one sentence per field, both values named."""
    pairs: Iterable[tuple[str, object, object]] = (
        ("signer", signature.signer_id, applied.actor_id),
        ("printed name", signature.printed_name, applied.printed_name),
        ("meaning", signature.meaning, applied.meaning),
        ("entity type", signature.entity_type, applied.entity_type),
        ("entity id", signature.entity_id, applied.entity_id),
        ("content hash", signature.content_hash, applied.content_hash),
    )
    found = [f"{name} {row!r} differs from the audit entry #{applied.seq} ({entry!r})"
             for name, row, entry in pairs if row != entry]
    if applied.signature_hash is not None and applied.signature_hash != signature.hash:
        found.append(f"signature hash {signature.hash!r} differs from the audit entry #{applied.seq} "
                     f"({applied.signature_hash!r})")
    return found


def row_problems(signature: Signature, applied: Sequence[Applied]) -> list[str]:
    """Every way the row disagrees with its own hash and with its applied entry (pure)."""
    found = []
    computed = signature_hash(signature)
    if signature.hash != computed:
        found.append(f"its columns do not match its own hash (stored {signature.hash!r}, computed {computed!r})")
    if not applied:
        found.append(f"no {APPLIED} audit entry records it")
    elif len(applied) > 1:
        found.append(f"{len(applied)} {APPLIED} audit entries claim it: #{', #'.join(str(a.seq) for a in applied)}")
    else:
        found.extend(disagreements(signature, applied[0]))
    return found


def content_problem(signature: Signature, content: dict[str, Any]) -> str | None:
    """Why `content` (the record as it is now) is not what was signed; None when it is (pure)."""
    now = content_hash(content)
    if now == signature.content_hash:
        return None
    return f"the signed record changed after signing (signed {signature.content_hash!r}, now {now!r})"


def is_intact(signature: Signature, content: dict[str, Any], applied: Sequence[Applied] | None = None) -> bool:
    """True when `content` is exactly what was signed and the row matches its own hash (and, when given, its
    applied entries); False shows the signature as broken."""
    if signature.hash != signature_hash(signature) or content_problem(signature, content) is not None:
        return False
    return applied is None or not row_problems(signature, applied)


def intact(*, session: Session, signature: Signature, content: dict[str, Any]) -> bool:
    """Whether the signature is intact: its row, its applied audit entry and `content` all agree."""
    applied = applied_entries(session=session, of=[signature]).get(signature.id or 0, [])
    return is_intact(signature, content, applied)
