"""API: the audit trail, read-only."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from sqlmodel import col, select

from batchtrack.audit import schemas, verdict
from batchtrack.auth.principal import Principal
from batchtrack.models.audit import AuditEntry
from batchtrack.models.user import Role
from batchtrack.web.deps import ANY_ROLE, Allow, DatabaseDep, SessionDep, SettingsDep
from batchtrack.web.pagination import PageDep

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
def verify_chain(database: DatabaseDep, settings: SettingsDep, _auditor: Auditor) -> schemas.ChainReport:
    """Verify the records as `batchtrack audit verify` does: the whole chain, the checkpoint log, every signature,
    state column and custody event; every finding is listed."""
    found = verdict.verify_all(database, folders=settings.checkpoint_folders)
    result = found.chain
    return schemas.ChainReport(
        ok=found.ok, count=result.count, head_hash=result.head_hash, broken_seq=result.broken_seq,
        problem=result.problem, checkpoints=found.checkpoints,
        findings=[schemas.FindingOut(check=f.check.value, subject=f.subject, problem=f.problem)
                  for f in found.findings])
