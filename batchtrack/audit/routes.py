"""API: verifying the audit trail. Reading it, filtered and paged by seq, is the review's (review.routes)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from batchtrack.audit import schemas, verdict
from batchtrack.auth.principal import Principal
from batchtrack.errors import Conflict
from batchtrack.i18n.text import _
from batchtrack.models.user import Role
from batchtrack.web.deps import Allow, DatabaseDep, SettingsDep

router = APIRouter(prefix="/audit-entries", tags=["audit"])
Auditor = Annotated[Principal, Depends(Allow(Role.QA, Role.ADMIN))]
FromCheckpoint = Annotated[bool, Query(description="walk the chain from the newest standing checkpoint only (the "
                                                   "signed checkpoint log vouches for the entries before it)")]

# A request verifies in the server's own worker thread, over one connection: it starts no processes, and one
# verification at a time runs per server process, so QA pressing the button twice does not take two of the few
# threads that serve the stations. Starting one worker process per processor, as `batchtrack audit verify` does on
# a large trail, is left to the command line, where nothing else waits for the processors.
_JOBS_PER_REQUEST = 1
_running = threading.Lock()


@contextmanager
def _one_at_a_time() -> Iterator[None]:
    """Hold this process's verification slot, or refuse (409) while another verification runs."""
    if not _running.acquire(blocking=False):
        raise Conflict(_("a verification of the records is already running on this server: ask again when it "
                         "has finished"), code="audit.verification_running")
    try:
        yield
    finally:
        _running.release()


@router.get("/verify", responses={409: {"description": "Another verification is running on this server"}})
def verify_chain(database: DatabaseDep, settings: SettingsDep, _auditor: Auditor,
                 from_checkpoint: FromCheckpoint = False) -> schemas.ChainReport:
    """Verify the records as `batchtrack audit verify` does, in this server's process alone: the chain (whole, or
    from the newest checkpoint), the checkpoint log, every signature, state column and custody event; every finding
    is listed."""
    with _one_at_a_time():
        found = verdict.verify_all(database, folders=settings.checkpoint_folders, jobs=_JOBS_PER_REQUEST,
                                   since_checkpoint=from_checkpoint)
    result = found.chain
    return schemas.ChainReport(
        ok=found.ok, count=result.count, head_hash=result.head_hash, broken_seq=result.broken_seq,
        problem=result.problem, checkpoints=found.checkpoints,
        findings=[schemas.FindingOut(check=f.check.value, subject=f.subject, problem=f.problem)
                  for f in found.findings])
