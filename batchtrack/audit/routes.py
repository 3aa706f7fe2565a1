"""API: the audit trail, read-only."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from sqlmodel import col, select

from batchtrack.audit import schemas
from batchtrack.audit import service as audit_service
from batchtrack.auth.principal import Principal
from batchtrack.deps import ANY_ROLE, Allow, DatabaseDep, SessionDep
from batchtrack.models.audit import AuditEntry
from batchtrack.models.user import Role
from batchtrack.pagination import PageDep

router = APIRouter(prefix="/audit-entries", tags=["audit"])
Reader = Annotated[Principal, Depends(ANY_ROLE)]
Auditor = Annotated[Principal, Depends(Allow(Role.QA, Role.ADMIN))]


@router.get("")
def list_entries(
    session: SessionDep, _viewer: Reader, page: PageDep,
    entity_type: Annotated[str | None, Query(max_length=32, pattern=r"^[a-z_]+$")] = None,
    entity_id: Annotated[str | None, Query(max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")] = None,
) -> list[schemas.AuditEntryPublic]:
    """List audit entries in chain order, optionally about one record."""
    query = select(AuditEntry)
    if entity_type:
        query = query.where(col(AuditEntry.entity_type) == entity_type)
    if entity_id:
        query = query.where(col(AuditEntry.entity_id) == entity_id)
    rows = session.execute(
        query.order_by(col(AuditEntry.seq)).offset(page.offset).limit(page.limit)
    ).scalars()
    return [schemas.AuditEntryPublic.model_validate(row, from_attributes=True) for row in rows]


@router.get("/verify")
def verify_chain(database: DatabaseDep, _auditor: Auditor) -> schemas.ChainReport:
    """Walk the whole chain and report its length and head hash, or the first broken entry."""
    result = audit_service.verify_chain(database)
    return schemas.ChainReport(ok=result.ok, count=result.count, head_hash=result.head_hash,
                               broken_seq=result.broken_seq, problem=result.problem)
