"""Electronic signatures: re-enter the password, state the meaning, hash what is signed."""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy.orm import Session

from batchtrack.audit import chain
from batchtrack.audit import service as audit_service
from batchtrack.auth import passwords
from batchtrack.auth.principal import Principal
from batchtrack.errors import AuditedRefusal, SignatureRefused
from batchtrack.models.base import utcnow
from batchtrack.models.signature import Signature, SignatureMeaning
from batchtrack.models.user import User


def content_hash(content: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON of the signed content."""
    return hashlib.sha256(chain.canonical_json(content).encode("utf-8")).hexdigest()


def sign(
    *,
    session: Session,
    signer: Principal,
    password: str,
    meaning: SignatureMeaning,
    entity_type: str,
    entity_id: str | int,
    content: dict[str, Any],
) -> Signature:
    """Sign `content` as `signer` after re-checking their password; recorded in the audit trail."""
    user = session.get(User, signer.user_id) if signer.user_id is not None else None
    if user is None or not user.is_active or not passwords.verify_password(user.password_hash, password):
        raise SignatureRefused(
            "the password does not match the signer: the signature was not applied",
            code="signature.password",
            audit=AuditedRefusal(signer, "signature.refused", entity_type, str(entity_id),
                                 {"meaning": meaning.value}),
        )
    signature = Signature(
        signer_id=user.id or 0,
        printed_name=user.full_name,
        meaning=meaning.value,
        signed_at=utcnow(),
        entity_type=entity_type,
        entity_id=str(entity_id),
        content_hash=content_hash(content),
    )
    session.add(signature)
    session.flush()
    audit_service.record(
        session=session, actor=signer, action="signature.applied", entity_type=entity_type,
        entity_id=entity_id,
        new={"signature_id": signature.id, "meaning": meaning.value, "printed_name": user.full_name,
             "content_hash": signature.content_hash},
    )
    return signature


def is_intact(signature: Signature, content: dict[str, Any]) -> bool:
    """True when `content` is exactly what was signed; False shows the signature as broken."""
    return signature.content_hash == content_hash(content)
