"""Every printed record carries the audit checkpoint it is under: "audit trail through entry N, hash H,
checkpoint C", written when the PDF is produced."""

from __future__ import annotations

from collections.abc import Callable

from document_builders import pages
from fastapi.testclient import TestClient

from batchtrack.audit import keys
from batchtrack.audit import service as audit_service
from batchtrack.audit.checkpoint_files import CheckpointFiles
from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.models.user import Role

from builders import UserHandle, seed_lot

ClientFactory = Callable[..., tuple[TestClient, UserHandle]]


def test_a_batch_record_and_a_coi_report_carry_the_checkpoint_written_for_them(
    database: Database, settings: Settings, as_role: ClientFactory
) -> None:
    keys.create(settings.checkpoint_key_path)
    lot = seed_lot(database, settings)
    client, _ = as_role(Role.QA)
    record = client.get(f"/api/v1/lots/{lot.din}/batch-record.pdf")
    assert record.status_code == 200
    reading, _ = CheckpointFiles(settings.checkpoint_folders).read()
    newest = reading.checkpoints[-1]
    assert newest.hash == audit_service.verify_chain(database).head_hash
    line = f"Audit trail through entry {newest.seq}, hash {newest.hash}, checkpoint {newest.n}"
    printed = pages(record.content)
    assert all(line.replace(" ", "") in page.replace(" ", "") for page in printed), printed[-1]
    # Nothing recorded since: the next printout is under the same checkpoint, and no new one is written.
    report = client.get(f"/therapies/{lot.coi}/report.pdf", headers={"accept": "text/html"})
    assert report.status_code == 200
    assert line.replace(" ", "") in pages(report.content)[0].replace(" ", "")
    assert CheckpointFiles(settings.checkpoint_folders).read()[0].lines == reading.lines


def test_without_a_key_the_printout_says_it_is_not_checkpointed(
    database: Database, settings: Settings, as_role: ClientFactory
) -> None:
    lot = seed_lot(database, settings)
    client, _ = as_role(Role.QA)
    record = client.get(f"/api/v1/lots/{lot.din}/batch-record.pdf")
    assert record.status_code == 200
    assert "notcheckpointed" in pages(record.content)[0].replace(" ", "")
