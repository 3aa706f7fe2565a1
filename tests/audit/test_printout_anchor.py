"""Every printed record carries the audit checkpoint it is under: "audit trail through entry N, hash H,
checkpoint C", written when the PDF is produced."""

from __future__ import annotations

import json
from collections.abc import Callable

from conftest import api_client
from document_builders import pages
from fastapi import FastAPI
from fastapi.testclient import TestClient

from batchtrack.audit import keys
from batchtrack.audit import service as audit_service
from batchtrack.audit.checkpoint_files import LOG_NAME, CheckpointFiles
from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.lots import service as lot_service
from batchtrack.models.container import ContainerKind
from batchtrack.models.user import Role
from batchtrack.release import service as release_service

from bedside_builders import ProductLot, bag_scan, check_body, clinic, infusion_body, ship_and_receive, wristband
from builders import UserHandle, seed_lot
from release_builders import ready_lot

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


def test_a_release_decision_and_an_infusion_are_each_checkpointed_once_committed(
    app: FastAPI, database: Database, settings: Settings
) -> None:
    keys.create(settings.checkpoint_key_path)  # the app's anchor signs from now on
    lot = ready_lot(database, settings)
    with database.transaction() as session:
        release_service.release(session=session, actor=lot.qa.principal, din=lot.din,
                                username=lot.qa.username, password=lot.qa.password,
                                pending_sterility=False)
    assert _reasons(settings)[-1] == f"release decision: lot {lot.din} released"
    with database.transaction(write=False) as session:
        bags = [c.id for c in lot_service.containers_of(session=session, lot=lot_service.get_by_din(
            session=session, din=lot.din)) if c.kind == ContainerKind.FINAL_PRODUCT and c.id is not None]
    people = clinic(database)
    ship_and_receive(database, ProductLot(lot.din, lot.coi, lot.bench, lot.qa, bags), people)
    nurse = api_client(app, people.nurse)
    checked = nurse.post("/api/v1/bedside/checks", json=check_body(
        wristband(lot.coi), bag_scan(database, bags[0]), people.doctor))
    assert checked.status_code == 200 and checked.json()["ok"], checked.text
    infused = nurse.post("/api/v1/bedside/infusions",
                         json=infusion_body(checked.json()["id"], people.nurse, people.doctor))
    assert infused.status_code == 201, infused.text
    assert _reasons(settings)[-1] == f"infusion {infused.json()['id']}: lot {lot.din}"
    reading, findings = CheckpointFiles(settings.checkpoint_folders).read()
    assert findings == [] and reading.checkpoints[-1].seq == audit_service.head_seq(database)


def _reasons(settings: Settings) -> list[str]:
    log = settings.checkpoint_folders[0] / LOG_NAME
    return [json.loads(line).get("reason", "") for line in log.read_bytes().splitlines()]
