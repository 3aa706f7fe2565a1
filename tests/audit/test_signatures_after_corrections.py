"""A signed step whose value is corrected afterwards, with a reason, through the application: the signature still
covers what was signed, so `audit verify` finds nothing, while the batch record shows it changed since signing.
Edits behind the application's back stay findings: the original value rewritten with the hashes recomputed, a
correction back-dated to before the signature, a correction or any other row appended without its audit entry."""

from __future__ import annotations

from datetime import datetime, timedelta

from conftest import api_client
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.orm import Session
from sqlmodel import col, select
from tampering import guards_off

from batchtrack.audit import signature_check, verdict
from batchtrack.audit.findings import Check, Finding
from batchtrack.auth import signatures
from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.models.material import MaterialLot, MaterialUse
from batchtrack.models.processing import ProcessStep, StepValue
from batchtrack.models.signature import Signature
from batchtrack.processing import recording, schemas
from batchtrack.processing import service as step_service

from processing_builders import Bench, open_bench, run_isolation

STEP = "isolation"


def _findings(database: Database) -> list[Finding]:
    with database.transaction(write=False) as session:
        return signature_check.check_signatures(session=session)


def _correct(database: Database, bench: Bench, value: float, reason: str = "counter printout re-read") -> None:
    with database.transaction() as session:
        recording.correct_value(session=session, actor=bench.operator.principal, din=bench.lot.din, step_code=STEP,
                                data=schemas.ValueCorrection(name="viability", value=value, reason=reason))


def _step(session: Session) -> ProcessStep:
    return session.execute(select(ProcessStep).where(col(ProcessStep.step_code) == STEP)).scalars().one()


def _step_signatures(database: Database) -> list[Signature]:
    with database.transaction(write=False) as session:
        step = _step(session)
        ids = [i for i in (step.performed_signature_id, step.verified_signature_id) if i is not None]
        return [s for i in ids if (s := session.get(Signature, i)) is not None]


def _subjects(signed: list[Signature]) -> set[str]:
    return {signature_check.subject_of(s) for s in signed}


def _viability(session: Session) -> StepValue:
    """The viability first recorded at the step (the row the signatures were made over)."""
    return session.execute(select(StepValue).where(col(StepValue.name) == "viability")
                           .order_by(col(StepValue.id))).scalars().first()  # type: ignore[return-value]


def _insert_correction(database: Database, bench: Bench, value: float, at: datetime) -> None:
    """A correction row written straight into the table, with no `value.corrected` audit entry."""
    with database.transaction() as session:
        original = _viability(session)
        session.add(StepValue(step_id=original.step_id, name="viability", value=value, unit=original.unit,
                              recorded_by=bench.operator.principal.user_id or 0, recorded_at=at,
                              replaces_id=original.id, reason="typo"))


def _batch_record_intact(app: FastAPI, bench: Bench) -> tuple[bool, bool]:
    record = api_client(app, bench.operator).get(f"/api/v1/lots/{bench.lot.din}/batch-record").json()
    step = {s["code"]: s for s in record["steps"]}[STEP]
    return step["performed_signature"]["intact"], step["verified_signature"]["intact"]


def test_a_value_corrected_with_a_reason_after_both_signatures_is_not_a_finding(
    app: FastAPI, database: Database, settings: Settings
) -> None:
    bench = open_bench(database, settings)
    run_isolation(database, settings, bench)
    assert _findings(database) == []
    _correct(database, bench, 95)
    _correct(database, bench, 94.5, reason="second reading agreed with the first")  # a correction of a correction
    assert _findings(database) == []
    # What `batchtrack audit verify` runs passes too, and the record itself still says the signed content is not
    # what it holds now.
    found = verdict.verify_all(database, folders=settings.checkpoint_folders)
    assert found.ok, [f.line() for f in found.findings]
    assert _batch_record_intact(app, bench) == (False, False)


def test_a_value_corrected_between_the_performers_and_the_verifiers_signature_is_not_a_finding(
    app: FastAPI, database: Database, settings: Settings
) -> None:
    bench = open_bench(database, settings)
    run_isolation(database, settings, bench, verify=False)
    _correct(database, bench, 95)
    with database.transaction() as session:
        step_service.verify_step(session=session, actor=bench.verifier.principal, din=bench.lot.din,
                                 step_code=STEP, username=bench.verifier.username, password=bench.verifier.password)
    assert _findings(database) == []
    # The performer signed the value before the correction, the verifier the corrected one.
    assert _batch_record_intact(app, bench) == (False, True)


def test_the_original_value_rewritten_with_the_signatures_hashes_recomputed_is_named(
    database: Database, settings: Settings
) -> None:
    bench = open_bench(database, settings)
    run_isolation(database, settings, bench)
    with database.transaction() as session:
        guards_off(session, "step_value", "signature")
        session.execute(text("UPDATE step_value SET value = 99 WHERE id = :id"), {"id": _viability(session).id})
    with database.transaction() as session:
        guards_off(session, "signature")
        signed = [s for s in session.execute(select(Signature).where(col(Signature.entity_type) == "process_step"))
                  .scalars()]
        contents = step_service.signed_contents_of(session=session, signatures=signed)
        for signature in signed:
            content = contents[signature.id or 0]
            assert content is not None and content["values"]["viability"] == 99
            signature.content_hash = signatures.content_hash(content)
            hashes = {"c": signature.content_hash, "h": signatures.signature_hash(signature), "id": signature.id}
            session.expunge(signature)
            session.execute(text("UPDATE signature SET content_hash = :c, hash = :h WHERE id = :id"), hashes)
    findings = _findings(database)
    assert {f.subject for f in findings} == _subjects(_step_signatures(database))
    assert all("is not what the audit entry" in f.problem for f in findings
               if "content hash" not in f.problem and "signature hash" not in f.problem)
    assert any("is not what the audit entry" in f.problem for f in findings)


def test_a_correction_inserted_behind_the_applications_back_dated_before_the_signature_is_named(
    database: Database, settings: Settings
) -> None:
    bench = open_bench(database, settings)
    run_isolation(database, settings, bench)
    signed = _step_signatures(database)
    _insert_correction(database, bench, 80, at=min(s.signed_at for s in signed) - timedelta(seconds=1))
    findings = _findings(database)
    assert {f.subject for f in findings} == _subjects(signed)
    assert all(f.check == Check.SIGNATURE for f in findings)
    changed = [f for f in findings if "changed after signing" in f.problem]
    assert {f.subject for f in changed} == _subjects(signed)


def test_a_correction_inserted_after_signing_without_its_audit_entry_is_named(
    database: Database, settings: Settings
) -> None:
    bench = open_bench(database, settings)
    run_isolation(database, settings, bench)
    signed = _step_signatures(database)
    _insert_correction(database, bench, 80, at=max(s.signed_at for s in signed) + timedelta(seconds=1))
    findings = _findings(database)
    assert findings, "a correction with no audit entry went unseen"
    assert all(f.check == Check.SIGNATURE and f.subject in _subjects(signed) for f in findings)
    assert any("viability" in f.problem and "value.corrected" in f.problem for f in findings), findings


def test_a_proper_correction_rewritten_afterwards_is_named(database: Database, settings: Settings) -> None:
    bench = open_bench(database, settings)
    run_isolation(database, settings, bench)
    _correct(database, bench, 95)
    with database.transaction() as session:
        guards_off(session, "step_value")
        session.execute(text("UPDATE step_value SET value = 60 WHERE replaces_id IS NOT NULL"))
    findings = _findings(database)
    assert findings, "a correction rewritten behind the application's back went unseen"
    assert any("viability" in f.problem and "value.corrected" in f.problem for f in findings), findings


def test_a_material_use_appended_to_a_signed_step_is_named(database: Database, settings: Settings) -> None:
    bench = open_bench(database, settings)
    run_isolation(database, settings, bench)
    signed = _step_signatures(database)
    with database.transaction() as session:
        step = _step(session)
        trypsin = session.execute(select(MaterialLot).where(col(MaterialLot.kind) == "trypsin")).scalars().one()
        session.add(MaterialUse(step_id=step.id or 0, lot_id=step.lot_id, material_lot_id=trypsin.id or 0,
                                used_by=bench.operator.principal.user_id or 0,
                                used_at=max(s.signed_at for s in signed) + timedelta(seconds=1)))
    findings = _findings(database)
    assert findings, "a material use appended after signing went unseen"
    assert any(trypsin.code in f.problem and "after" in f.problem for f in findings), findings
