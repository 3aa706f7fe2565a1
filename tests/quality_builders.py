"""Builders for QC tests: an approved specification, a formulated lot in QC with its samples, and results."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import col, select
from tampering import guards_off

from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.enrolment import schemas as enrolment_schemas
from batchtrack.enrolment import service as enrolment_service
from batchtrack.lots import schemas as lot_schemas
from batchtrack.lots import service as lot_service
from batchtrack.models.base import utcnow
from batchtrack.models.enrolment import WeightRecord
from batchtrack.models.quality import QcResult
from batchtrack.models.user import Role
from batchtrack.processing import recording
from batchtrack.processing import schemas as step_schemas
from batchtrack.quality import results, schemas, specifications

from builders import UserHandle, make_user, seed_lot
from processing_builders import Bench, open_bench, run_to_formulation, vessel_scan

HTML = {"accept": "text/html"}
# A result of every test of the shipped default that conforms for the seeded recipient (62.5 kg, 1e6 cells/kg,
# 50 mL formulated): (value, word).
CONFORMING: dict[str, tuple[float | None, str]] = {
    "sterility_in_process": (None, "no growth"), "gram_stain": (None, "no organisms seen"),
    "sterility": (None, "no growth"), "mycoplasma": (None, "not detected"), "endotoxin": (0.5, ""),
    "viability": (93, ""), "cd73": (98.5, ""), "cd90": (99.1, ""), "cd105": (97.2, ""), "cd34": (0.4, ""),
    "cd45": (0.6, ""), "cd14_cd11b": (0.3, ""), "cd19_cd79a": (0.2, ""), "hla_dr": (0.8, ""),
    "viable_cell_dose": (6.2e7, ""), "residual_penicillin": (None, "below LOQ"),
    "residual_streptomycin": (0.02, ""),
}


def approve_default(database: Database, qa: UserHandle | None = None) -> UserHandle:
    """QA drafts the shipped default specification and approves it; returns the QA user."""
    qa = qa or make_user(database, Role.QA)
    with database.transaction() as session:
        spec = specifications.draft_shipped_default(session=session, actor=qa.principal)
        specifications.approve(session=session, actor=qa.principal, code=spec.code, version=spec.version,
                               username=qa.username, password=qa.password)
    return qa


@dataclass(frozen=True)
class QcLot:
    """A formulated lot submitted to QC, its QC samples (as scanned), a QC analyst and the QA who approved."""

    bench: Bench
    din: str
    coi: str
    samples: tuple[str, ...]
    analyst: UserHandle
    qa: UserHandle


def record_weight(database: Database, subject: str, weight_kg: float) -> None:
    """An investigator records the subject's weight measured today."""
    investigator = make_user(database, Role.INVESTIGATOR)
    with database.transaction() as session:
        recipient = enrolment_service.get_recipient(session=session, subject_code=subject)
        enrolment_service.record_weight(
            session=session, actor=investigator.principal, recipient=recipient,
            data=enrolment_schemas.WeightCreate(visit_date=utcnow().date(), weight_kg=weight_kg), zone=UTC)


def correct_volume(database: Database, bench: Bench, volume_ml: float) -> None:
    """The operator corrects the formulated volume."""
    with database.transaction() as session:
        recording.correct_value(session=session, actor=bench.operator.principal, din=bench.lot.din,
                                step_code="formulation",
                                data=step_schemas.ValueCorrection(name="volume", value=volume_ml,
                                                                  reason="volume read again on the bag scale"))


def register_samples(database: Database, bench: Bench, count: int) -> tuple[str, ...]:
    """Register `count` QC sample tubes of the lot; returns what their labels scan as."""
    with database.transaction() as session:
        made = lot_service.add_containers(session=session, actor=bench.operator.principal, din=bench.lot.din,
                                          data=lot_schemas.ContainerCreate(kind="qc_sample", count=count))
        return tuple(vessel_scan(bench.lot.din, c.sample_flag) for c in made)


def submit_to_qc(database: Database, bench: Bench) -> None:
    """The operator submits the formulated lot to QC (it is bound to the effective specification)."""
    with database.transaction() as session:
        lot_service.transition(session=session, actor=bench.operator.principal, din=bench.lot.din,
                               name="submit_to_qc", reason="formulated; samples taken")


def lot_in_qc(database: Database, settings: Settings, *, subject: str = "S-001", samples: int = 2,
              weight_kg: float | None = None, volume_ml: float | None = None,
              qa: UserHandle | None = None) -> QcLot:
    """Process a lot to formulation, approve the default specification (unless one is effective), register QC
    samples, optionally record a new weight and correct the volume, and submit the lot to QC."""
    bench = open_bench(database, settings, subject=subject)
    run_to_formulation(database, settings, bench)
    with database.transaction(write=False) as session:
        effective = specifications.effective(session=session)
    qa = qa or make_user(database, Role.QA)
    if effective is None:
        approve_default(database, qa)
    scans = register_samples(database, bench, samples)
    if weight_kg is not None:
        record_weight(database, subject, weight_kg)
    if volume_ml is not None:
        correct_volume(database, bench, volume_ml)
    submit_to_qc(database, bench)
    return QcLot(bench, bench.lot.din, bench.lot.coi, scans, make_user(database, Role.QC_ANALYST), qa)


def result(test_code: str, scan: str, *, value: float | None = None, text: str = "", status: str = "final",
           day: int | None = None, instrument: str = "") -> schemas.QcResultCreate:
    """A result as the analyst enters it."""
    return schemas.QcResultCreate.model_validate({
        "scan": scan, "test_code": test_code, "value": value, "result_text": text, "status": status, "day": day,
        "instrument": instrument})


def enter(database: Database, qc: QcLot, test_code: str, *, value: float | None = None, text: str = "",
          status: str = "final", day: int | None = None, sample: int = 0,
          actor: UserHandle | None = None) -> schemas.QcResultRecorded:
    """Record a result through the service, as the QC analyst."""
    with database.transaction() as session:
        recorded = results.enter_result(
            session=session, actor=(actor or qc.analyst).principal, din=qc.din,
            data=result(test_code, qc.samples[sample], value=value, text=text, status=status, day=day))
        return results.recorded_public(session=session, recorded=recorded)


def enter_conforming(database: Database, qc: QcLot, *, skip: tuple[str, ...] = ()) -> None:
    """Record a conforming final result of every test (but those in `skip`)."""
    for code, (value, text) in CONFORMING.items():
        if code not in skip:
            enter(database, qc, code, value=value, text=text)


def lot_qc(database: Database, din: str) -> schemas.LotQcPublic:
    """The lot's QC as the service shows it."""
    with database.transaction(write=False) as session:
        return results.results_of(session=session, lot=lot_service.get_by_din(session=session, din=din))


def standing_of(qc: schemas.LotQcPublic, code: str) -> schemas.TestResults:
    """One test's standing in the lot's QC."""
    return next(t for t in qc.tests if t.code == code)


def client_of(app: FastAPI, user: UserHandle) -> TestClient:
    """An API client that sends the user's bearer token."""
    return TestClient(app, raise_server_exceptions=False, headers={"Authorization": f"Bearer {user.token}"})


def body(test_code: str, scan: str, *, value: float | None = None, text: str = "", status: str = "final",
         day: int | None = None, **extra: object) -> dict[str, object]:
    """The JSON body of a result for the API."""
    return {"scan": scan, "test_code": test_code, "value": value, "result_text": text, "status": status,
            "day": day, **extra}


def qc_sample_of_another_lot(database: Database, settings: Settings, *, subject: str = "S-002") -> tuple[str, str]:
    """A second lot, in process, with one registered QC sample: (its DIN, the sample's scan)."""
    other = seed_lot(database, settings, subject=subject, mrn=f"MRN-{subject}")
    operator = make_user(database, Role.OPERATOR)
    with database.transaction() as session:
        made = lot_service.add_containers(session=session, actor=operator.principal, din=other.din,
                                          data=lot_schemas.ContainerCreate(kind="qc_sample"))
    return other.din, vessel_scan(other.din, made[0].sample_flag)


def backdate_weights(database: Database, subject: str, days: int) -> None:
    """Move every recorded weight of the subject `days` back (a fixture: the last visit was that long ago)."""
    with database.transaction() as session:
        # Weights are append-only: this fixture rewrites them with the guard off, in this test's database only.
        guards_off(session, "weight_record")
        recipient = enrolment_service.get_recipient(session=session, subject_code=subject)
        for record in session.execute(select(WeightRecord).where(
                col(WeightRecord.recipient_id) == recipient.id)).scalars():
            record.visit_date = record.visit_date - timedelta(days=days)
            session.add(record)


def result_rows(database: Database, din: str) -> list[QcResult]:
    """Every result row of the lot, oldest first."""
    with database.transaction(write=False) as session:
        lot = lot_service.get_by_din(session=session, din=din)
        return list(session.execute(select(QcResult).where(col(QcResult.lot_id) == lot.id)
                                    .order_by(col(QcResult.id))).scalars())
