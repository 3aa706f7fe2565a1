"""Every signature checked against its own hash, its audit entry and the record it signed: an untouched database
has no findings; an edited signature row or an edited signed record is named, even with every hash recomputed."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from conftest import api_client
from fastapi import FastAPI
from sqlalchemy import event, text
from sqlalchemy.orm import Session
from sqlmodel import col, select
from tampering import guards_off

from batchtrack.accounts import service as account_service
from batchtrack.audit import signature_check
from batchtrack.audit.findings import Check, Finding
from batchtrack.auth import signatures, signed_records
from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.deviations import service as deviation_service
from batchtrack.lots import holds
from batchtrack.lots import service as lot_service
from batchtrack.materials import schemas as material_schemas
from batchtrack.materials import service as material_service
from batchtrack.models.base import utcnow
from batchtrack.models.container import ContainerKind
from batchtrack.models.lot import Lot
from batchtrack.models.material import MaterialStatus
from batchtrack.models.quality import QcResult, ReleaseDecision
from batchtrack.models.signature import Signature, SignatureMeaning
from batchtrack.models.user import Role
from batchtrack.processing import definition
from batchtrack.processing import service as step_service
from batchtrack.qualifications import service as qualification_service
from batchtrack.qualifications.schemas import RevokeRequest
from batchtrack.release import service as release_service
from batchtrack.review import access_review

from batch_record_builders import add_step, add_value
from bedside_builders import ProductLot, bag_scan, check_body, clinic, infusion_body, ship_and_receive, wristband
from builders import make_user, seed_lot
from deviation_builders import open_deviation
from material_builders import material_lot, released_material
from processing_builders import add_material
from release_builders import co_sign, enter_result, ready_lot

STEP_CODES = [s.code for s in definition.plan(definition.load()).steps]


def _findings(database: Database) -> list[Finding]:
    with database.transaction(write=False) as session:
        return signature_check.check_signatures(session=session)


@dataclass(frozen=True)
class Signed:
    """A database with a signature of every kind the application makes."""

    din: str
    decision_signature_id: int


def _every_kind_signed(app: FastAPI, database: Database, settings: Settings) -> Signed:
    """Eligibility, steps, a specification, QC, co-signatures, the lot's record review, a release pending sterility,
    an infusion, a closed deviation and the lot's hold lifted, a material lot released and another rejected, an
    access review, qualifications granted and one revoked, and an account's roles changed: all through the services
    and the API."""
    lot = ready_lot(database, settings, skip=("sterility",))
    enter_result(database, lot.din, lot.analyst, "sterility", text="no growth", status="preliminary")
    co_sign(database, lot.din, lot.director, "medical_director")
    co_sign(database, lot.din, lot.physician, "treating_physician")
    with database.transaction() as session:
        decision = release_service.release(session=session, actor=lot.qa.principal, din=lot.din,
                                           username=lot.qa.username, password=lot.qa.password, pending_sterility=True)
        decision_signature_id = decision.signature_id
    # Results entered after the co-signatures and the decision are not what they signed: still intact.
    enter_result(database, lot.din, lot.analyst, "sterility", text="no growth")
    with database.transaction(write=False) as session:
        found = lot_service.get_by_din(session=session, din=lot.din)
        bags = [c.id for c in lot_service.containers_of(session=session, lot=found)
                if c.kind == ContainerKind.FINAL_PRODUCT and c.id is not None]
    product = ProductLot(lot.din, lot.coi, lot.bench, lot.qa, bags)
    people = clinic(database)
    ship_and_receive(database, product, people)
    nurse = api_client(app, people.nurse)
    checked = nurse.post("/api/v1/bedside/checks", json=check_body(
        wristband(lot.coi), bag_scan(database, bags[0]), people.doctor, acknowledge=True))
    assert checked.status_code == 200 and checked.json()["ok"], checked.text
    infused = nurse.post("/api/v1/bedside/infusions",
                         json=infusion_body(checked.json()["id"], people.nurse, people.doctor))
    assert infused.status_code == 201, infused.text
    number = open_deviation(database, lot.din, lot.bench.operator)
    with database.transaction() as session:
        deviation_service.close_deviation(session=session, actor=lot.qa.principal, number=number,
                                          closure="root cause found; no impact on the product",
                                          username=lot.qa.username, password=lot.qa.password)
        holds.lift(session=session, actor=lot.qa.principal, din=lot.din, reason=f"{number} closed",
                   username=lot.qa.username, password=lot.qa.password)
    # In quarantine under codes of their own (the stock of the bench took the first codes of the sequence).
    released = add_material(database, "medium", "MT2690001", status=MaterialStatus.QUARANTINE)
    rejected = add_material(database, "trypsin", "MT2690002", status=MaterialStatus.QUARANTINE)
    with database.transaction() as session:
        material_service.release(session=session, actor=lot.qa.principal, code=released,
                                 data=material_schemas.MaterialDecision(username=lot.qa.username,
                                                                        password=lot.qa.password))
        material_service.reject(session=session, actor=lot.qa.principal, code=rejected,
                                data=material_schemas.MaterialDecision(username=lot.qa.username,
                                                                       password=lot.qa.password,
                                                                       reason="certificate of analysis missing"))
        access_review.sign(session=session, actor=lot.qa.principal, username=lot.qa.username,
                           password=lot.qa.password, comment="")
        # Every user was qualified by a signed grant; one qualification is revoked.
        analyst_id = lot.analyst.principal.user_id or 0
        held = qualification_service.held_by(session=session, user_ids=[analyst_id])[analyst_id]
        qualification_service.revoke(session=session, actor=lot.qa.principal, username=lot.analyst.username,
                                     grant_id=held["QC-FLOW"].grant_id,
                                     data=RevokeRequest(reason="left the site", **lot.qa.credentials))
    # An administrator's signed action on an account.
    admin = make_user(database, Role.ADMIN)
    with database.transaction() as session:
        account_service.change_roles(session=session, actor=admin.principal, username=lot.analyst.username,
                                     roles=["qc_analyst", "operator"], reason="cross-trained for the bench",
                                     signing=account_service.Signing(admin.username, admin.password))
    return Signed(lot.din, decision_signature_id)


def _kinds(database: Database) -> set[tuple[str, str]]:
    with database.transaction(write=False) as session:
        return {(s.entity_type, s.meaning) for s in session.execute(select(Signature)).scalars()}


def test_an_untouched_database_with_every_kind_of_signature_has_no_findings(
    app: FastAPI, database: Database, settings: Settings
) -> None:
    _every_kind_signed(app, database, settings)
    assert _kinds(database) == signed_records.KINDS - {("lot", "rejected")}  # one lot is decided once
    assert _findings(database) == []


def test_a_lot_rejected_by_qa_is_checked_too(database: Database, settings: Settings) -> None:
    lot = ready_lot(database, settings)
    with database.transaction() as session:
        release_service.reject(session=session, actor=lot.qa.principal, din=lot.din,
                               username=lot.qa.username, password=lot.qa.password,
                               reason="viability below the limit on review")
    assert ("lot", "rejected") in _kinds(database)
    assert _findings(database) == []


def _material_signature(database: Database, settings: Settings) -> Signature:
    qa = make_user(database, Role.QA)
    released_material(database, settings, make_user(database, Role.OPERATOR), qa)
    with database.transaction(write=False) as session:
        return session.execute(select(Signature).where(col(Signature.entity_type) == "material_lot")).scalars().one()


EDITS: dict[str, str] = {
    "signer_id": "signer_id = (SELECT MAX(id) FROM app_user)",
    "printed_name": "printed_name = 'Somebody Else'",
    "meaning": "meaning = 'reviewed'",
    "signed_at": "signed_at = :earlier",
    "entity_type": "entity_type = 'lot'",
    "entity_id": "entity_id = 'MT-OTHER'",
    "content_hash": "content_hash = :zeros",
    "hash": "hash = :zeros",
}


@pytest.mark.parametrize("column", sorted(EDITS))
def test_each_column_of_a_signature_edited_behind_the_applications_back_is_named(
    database: Database, settings: Settings, column: str
) -> None:
    signature = _material_signature(database, settings)
    make_user(database, Role.QA)  # the newest user: someone other than the signer
    assert _findings(database) == []
    with database.transaction() as session:
        guards_off(session, "signature")
        session.execute(text(f"UPDATE signature SET {EDITS[column]} WHERE id = :id"),
                        {"id": signature.id, "zeros": "0" * 64,
                         "earlier": signature.signed_at.replace(microsecond=0, tzinfo=None)
                         if database.engine.dialect.name == "sqlite" else signature.signed_at.replace(microsecond=0)})
    findings = _findings(database)
    assert findings, f"an edited {column} went unseen"
    assert all(f.check == Check.SIGNATURE and f.subject.startswith(f"signature {signature.id} (") for f in findings)
    assert any("own hash" in f.problem or "audit entry" in f.problem for f in findings)


def _recomputed(session: Session, signature: Signature) -> tuple[str, str]:
    """The content hash and signature hash a forger would store after editing the signed record."""
    content = release_service.decision_content_of(session=session, signature=signature)
    assert content is not None
    signature.content_hash = signatures.content_hash(content)
    return signature.content_hash, signatures.signature_hash(signature)


def test_a_signed_qc_result_edited_with_the_signatures_hashes_recomputed_is_named_and_shown_broken(
    app: FastAPI, database: Database, settings: Settings
) -> None:
    lot = ready_lot(database, settings)
    with database.transaction() as session:
        decision = release_service.release(session=session, actor=lot.qa.principal, din=lot.din,
                                           username=lot.qa.username, password=lot.qa.password, pending_sterility=False)
        signature_id = decision.signature_id
    qa = api_client(app, lot.qa)
    assert qa.get(f"/api/v1/lots/{lot.din}/certificate").json()["decision"]["signature"]["intact"] is True
    with database.transaction() as session:
        decided = session.execute(select(ReleaseDecision)).scalars().one()
        result = session.execute(select(QcResult).where(col(QcResult.lot_id) == decided.lot_id,
                                                        col(QcResult.value).is_not(None))).scalars().first()
        assert result is not None
        guards_off(session, "qc_result")
        guards_off(session, "signature")
        session.execute(text("UPDATE qc_result SET value = :v WHERE id = :id"), {"v": (result.value or 0) * 3,
                                                                                  "id": result.id})
    with database.transaction() as session:
        guards_off(session, "signature")
        signature = session.get(Signature, signature_id)
        assert signature is not None
        content_hash, signature_hash = _recomputed(session, signature)
        session.expunge(signature)
        session.execute(text("UPDATE signature SET content_hash = :c, hash = :h WHERE id = :id"),
                        {"c": content_hash, "h": signature_hash, "id": signature_id})
    findings = _findings(database)
    subject = f"signature {signature_id} (released) on lot {lot.din}"
    assert {f.subject for f in findings} == {subject}
    problems = " | ".join(f.problem for f in findings)
    assert "content hash" in problems and "signature hash" in problems  # the audit entry disagrees
    assert "is not what the audit entry" in problems  # the record as it is now is not what was signed
    assert qa.get(f"/api/v1/lots/{lot.din}/certificate").json()["decision"]["signature"]["intact"] is False


def test_a_signature_with_no_applied_entry_is_named(database: Database, settings: Settings) -> None:
    signature = _material_signature(database, settings)
    with database.transaction() as session:
        guards_off(session, "audit_entry")
        session.execute(text("UPDATE audit_entry SET action = 'signature.removed' "
                             "WHERE action = 'signature.applied' AND entity_type = 'material_lot'"))
    problems = [f.problem for f in _findings(database)]
    assert problems == ["no signature.applied audit entry records it"], problems
    assert signature.id is not None


def test_a_kind_of_signature_with_no_builder_is_a_finding_not_skipped(database: Database, settings: Settings) -> None:
    signature = _material_signature(database, settings)
    with database.transaction() as session:
        guards_off(session, "signature")
        guards_off(session, "audit_entry")
        session.execute(text("UPDATE signature SET entity_type = 'sample' WHERE id = :id"), {"id": signature.id})
    assert any("no signed-content builder" in f.problem for f in _findings(database))


def test_signing_a_kind_no_builder_can_rebuild_is_refused(database: Database) -> None:
    qa = make_user(database, Role.QA)
    with pytest.raises(signed_records.UnknownKind), database.transaction() as session:
        signatures.sign(session=session, signer=qa.principal, username=qa.username, password=qa.password,
                        meaning=signatures.SignatureMeaning.APPROVED, entity_type="sample", entity_id="X",
                        content={"x": 1})


def test_a_thousand_signed_records_check_in_a_few_seconds(
    database: Database, settings: Settings, record_property: Callable[[str, object], None]
) -> None:
    qa = make_user(database, Role.QA)
    receiver = make_user(database, Role.OPERATOR)
    with database.transaction() as session:
        codes = [material_service.receive(session=session, settings=settings, actor=receiver.principal,
                                          data=material_lot(supplier_lot=f"SUP-{i:05d}")).code
                 for i in range(1000)]
    with database.transaction() as session:
        for code in codes:
            material_service.release(session=session, actor=qa.principal, code=code,
                                     data=material_schemas.MaterialDecision(username=qa.username, password=qa.password))
    started = time.perf_counter()
    findings = _findings(database)
    # The time is reported, not judged: speed is measured by the benchmarks, not by a test on a shared machine.
    record_property("seconds_for_1000_signatures", round(time.perf_counter() - started, 2))
    assert findings == []


def test_a_thousand_step_signatures_are_rebuilt_in_bulk_as_each_was_signed(
    database: Database, settings: Settings, record_property: Callable[[str, object], None]
) -> None:
    seeded = seed_lot(database, settings)
    operator, verifier = make_user(database, Role.OPERATOR), make_user(database, Role.OPERATOR)
    with database.transaction() as session:
        therapy_id = lot_service.get_by_din(session=session, din=seeded.din).therapy_id
        lots = [Lot(din=f"W00002690{i:04d}", therapy_id=therapy_id, product_code="S1234") for i in range(72)]
        session.add_all(lots)
        session.flush()
        for number, lot in enumerate(lots):
            for code in STEP_CODES:
                # Started three hours ago: its value recorded (30 minutes in) before the signatures below.
                step = add_step(session, lot, code, operator, utcnow() - timedelta(hours=3))
                add_value(session, step, "viability_percent", 90.0 + number % 7, operator)
                # Signed over the content as the service builds it for one step: the bulk rebuild must agree.
                content = step_service.signed_content(lot=lot, step=step,
                                                      contents=step_service.contents_of(session=session, step=step))
                for signer, meaning in ((operator, SignatureMeaning.PERFORMED), (verifier, SignatureMeaning.REVIEWED)):
                    signatures.sign(session=session, signer=signer.principal,
                                    username=signer.username, password=signer.password,
                                    meaning=meaning, entity_type="process_step", entity_id=step.id or 0,
                                    content=content)
    assert _kinds(database) == {("process_step", "performed"), ("process_step", "reviewed"), ("recipient", "approved"),
                                ("qualification", "approved")}
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    started = time.perf_counter()
    event.listen(database.engine, "before_cursor_execute", count)
    try:
        findings = _findings(database)
    finally:
        event.remove(database.engine, "before_cursor_execute", count)
    record_property("seconds_for_1008_step_signatures", round(time.perf_counter() - started, 2))
    record_property("statements_for_1008_step_signatures", len(statements))
    assert findings == []
    # Rebuilt in bulk: a few statements per 500 step signatures, never one per signature.
    assert len(statements) < 200, f"{len(statements)} statements for 1,008 step signatures"
