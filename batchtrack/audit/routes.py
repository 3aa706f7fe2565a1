"""API: verifying the audit trail. Reading it, filtered and paged by seq, is the review's (review.routes)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from batchtrack.audit import schemas, verdict
from batchtrack.auth.principal import Principal
from batchtrack.models.user import Role
from batchtrack.web.deps import Allow, DatabaseDep, SettingsDep

router = APIRouter(prefix="/audit-entries", tags=["audit"])
Auditor = Annotated[Principal, Depends(Allow(Role.QA, Role.ADMIN))]


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
