"""Builders for release tests: a lot expanded to final containers, its custody recorded, submitted to QC with a
conforming final result for every test of the specification: ready for QA's release unless a test says otherwise.

QC results are inserted as rows, evaluated against the specification as on entry.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import col, select

from batchtrack.config import Settings
from batchtrack.custody import schemas as custody_schemas
from batchtrack.custody import service as custody_service
from batchtrack.db import Database
from batchtrack.enrolment import schemas as enrolment_schemas
from batchtrack.enrolment import service as enrolment_service
from batchtrack.errors import BatchtrackError
from batchtrack.lots import schemas as lot_schemas
from batchtrack.lots import service as lot_service
from batchtrack.models.base import utcnow
from batchtrack.models.quality import Alert, QcResult, ReleaseDecision, Specification
from batchtrack.models.user import Role
from batchtrack.quality import specification, specifications
from batchtrack.quality.evaluation import RecipientContext, evaluate
from batchtrack.quality.specification import BELOW_LOQ, SpecTest
from batchtrack.release import service as release_service
from batchtrack.review import record_review
from batchtrack.web.deps import run_audited

from builders import UserHandle, make_user
from processing_builders import Bench, bag_scan, open_bench, run_to_formulation

# The recipient of the seeded lot weighs 62.5 kg and is prescribed 1e6 cells/kg; formulation makes 50 mL.
CONTEXT = RecipientContext(weight_kg=62.5, volume_ml=50, prescribed_cells_per_kg=1e6, dose_tolerance_percent=10)


@dataclass(frozen=True)
class ReadyLot:
    """A lot in QC and the people around its release."""

    din: str
    coi: str
    subject: str
    bench: Bench
    qa: UserHandle  # performed nothing on the lot
    analyst: UserHandle
    physician: UserHandle  # an investigator: the treating physician
    director: UserHandle  # the medical director


def record_custody(database: Database, din: str, receiver: UserHandle) -> None:
    """The aspirate bag handed from a collector to a courier, and from the courier to the lab."""
    collector = make_user(database, Role.COLLECTOR)
    courier = make_user(database, Role.COURIER)
    for giver, taker, hours in ((collector, courier, 1.8), (courier, receiver, 1.2)):
        with database.transaction() as session:
            custody_service.record(session=session, actor=giver.principal, data=custody_schemas.CustodyEventCreate(
                scan=bag_scan(din), handed_over_by=giver.username, received_by=taker.username,
                location="corridor", temperature_c=21.0, occurred_at=utcnow() - timedelta(hours=hours)))


def approve_specification(database: Database, qa: UserHandle, text: str | None = None) -> None:
    """QA stores the shipped default (or `text`) as a draft and approves it with a signature."""
    with database.transaction() as session:
        if text is None:
            spec = specifications.draft_shipped_default(session=session, actor=qa.principal)
        else:
            spec = specifications.draft(session=session, actor=qa.principal, text=text)
        specifications.approve(session=session, actor=qa.principal, code=spec.code, version=spec.version,
                               username=qa.username, password=qa.password)


def without_post_release(version: int = 2) -> str:
    """The default specification as a later version in which sterility is needed before release."""
    content = specification.shipped_default()
    data = json.loads(specification.canonical(content))
    data["version"] = version
    for test in data["tests"]:
        if test["stage"] == "post_release":
            test["stage"] = "release"
    return json.dumps(data)


def conforming(test: SpecTest) -> tuple[float | None, str]:
    """A value (or word) that meets the test's limit for the seeded recipient."""
    if test.kind == "qualitative":
        return None, test.expected[0]
    if test.kind == "numeric":
        if test.min is not None:
            return test.min + 20 if test.unit == "%" and test.min + 20 <= 100 else test.min, ""
        return (None, BELOW_LOQ) if test.below_loq_conforms else ((test.max or 0) / 2, "")
    if test.kind == "endotoxin":
        return 0.5, ""
    return 6.25e7, ""


def enter_result(database: Database, din: str, analyst: UserHandle, code: str, *, value: float | None = None,
                 text: str | None = None, status: str = "final") -> int:
    """Insert a result of test `code`, evaluated as on entry (a conforming one unless value or text is given)."""
    with database.transaction() as session:
        lot = lot_service.get_by_din(session=session, din=din)
        spec = session.get(Specification, lot.specification_id)
        assert spec is not None and lot.id is not None
        test = specifications.content_of(spec).test(code)
        assert test is not None, code
        if value is None and text is None:
            value, text = conforming(test)
        evaluation = evaluate(test, value=value, text=text or "", context=CONTEXT)
        row = QcResult(lot_id=lot.id, specification_id=spec.id or 0, test_code=code, value=value,
                       result_text=text or "", unit=test.unit, status=status, method=test.method,
                       conforms=evaluation.conforms, limit_text=evaluation.limit_text,
                       entered_by=analyst.principal.user_id or 0)
        session.add(row)
        session.flush()
        assert row.id is not None
        return row.id


def spec_test_codes(database: Database, din: str) -> list[str]:
    """The codes of every test of the specification bound to the lot."""
    with database.transaction(write=False) as session:
        lot = lot_service.get_by_din(session=session, din=din)
        spec = session.get(Specification, lot.specification_id)
        assert spec is not None
        return [t.code for t in specifications.content_of(spec).tests]


def ready_lot(database: Database, settings: Settings, *, subject: str = "S-001", skip: tuple[str, ...] = (),
              sampler: UserHandle | None = None, spec_text: str | None = None, custody: bool = True,
              reviewed: bool = True) -> ReadyLot:
    """A lot in QC with a conforming final result for every test (but those in `skip`), custody recorded, and its
    record reviewed by QA (unless `reviewed` is False).

    `sampler` registers the QC samples (a processing action) instead of the bench operator.
    """
    bench = open_bench(database, settings, subject=subject)
    if custody:
        record_custody(database, bench.lot.din, bench.operator)
    run_to_formulation(database, settings, bench)
    approver = make_user(database, Role.QA)
    approve_specification(database, approver)
    if spec_text is not None:
        approve_specification(database, approver, spec_text)
    with database.transaction() as session:
        lot_service.add_containers(session=session, actor=(sampler or bench.operator).principal, din=bench.lot.din,
                                   data=lot_schemas.ContainerCreate(kind="qc_sample", count=2))
    with database.transaction() as session:
        lot_service.transition(session=session, actor=bench.operator.principal, din=bench.lot.din,
                               name="submit_to_qc", reason="")
    analyst = make_user(database, Role.QC_ANALYST)
    for code in spec_test_codes(database, bench.lot.din):
        if code not in skip:
            enter_result(database, bench.lot.din, analyst, code)
    ready = ReadyLot(din=bench.lot.din, coi=bench.lot.coi, subject=subject, bench=bench,
                     qa=make_user(database, Role.QA), analyst=analyst,
                     physician=make_user(database, Role.INVESTIGATOR),
                     director=make_user(database, Role.MEDICAL_DIRECTOR))
    if reviewed:
        review_record(database, ready.din, approver)
    return ready


def review_record(database: Database, din: str, qa: UserHandle | None = None) -> None:
    """QA (a new QA user unless given) signs the review of the lot's record through its newest entry, as the
    release gate requires."""
    reviewer = qa or make_user(database, Role.QA)
    with database.transaction() as session:
        record_review.sign(session=session, actor=reviewer.principal, din=din, username=reviewer.username,
                           password=reviewer.password, comment="")


def record_allergy(database: Database, subject: str, substance: str) -> None:
    """A hypersensitivity recorded after the subject's eligibility was signed."""
    clinician = make_user(database, Role.INVESTIGATOR)
    with database.transaction() as session:
        recipient = enrolment_service.get_recipient(session=session, subject_code=subject)
        enrolment_service.record_allergy(session=session, actor=clinician.principal, recipient=recipient,
                                         data=enrolment_schemas.AllergyCreate(substance=substance,
                                                                              reaction="anaphylaxis"))


def decisions(database: Database, din: str) -> list[ReleaseDecision]:
    """The QA decisions recorded for the lot."""
    with database.transaction(write=False) as session:
        lot = lot_service.get_by_din(session=session, din=din)
        return list(session.execute(select(ReleaseDecision).where(col(ReleaseDecision.lot_id) == lot.id))
                    .scalars())


def raise_alert(database: Database, din: str, message: str, *, kind: str = "sterility_positive") -> int:
    """An alert to the clinic about the lot, as a positive result after release raises it."""
    with database.transaction() as session:
        lot = lot_service.get_by_din(session=session, din=din)
        assert lot.id is not None
        alert = Alert(lot_id=lot.id, kind=kind, message=message)
        session.add(alert)
        session.flush()
        assert alert.id is not None
        return alert.id


def refusal(database: Database, din: str, actor: UserHandle, *, pending: bool = False,
            reviewed: bool = True) -> BatchtrackError:
    """Try to release the lot as `actor` (the refusal is audited as through the API); the refusal it meets.

    The lot's record is reviewed first (unless `reviewed` is False), so that the refusal is that of the condition
    a test sets up, not of a review made out of date by it.
    """
    if reviewed:
        review_record(database, din)
    try:
        run_audited(database, lambda session: release_service.release(
            session=session, actor=actor.principal, din=din,
            username=actor.username, password=actor.password, pending_sterility=pending),
            settings=Settings(environment="test"))
    except BatchtrackError as exc:
        return exc
    raise AssertionError(f"lot {din} was released")


def codes(error: BatchtrackError) -> list[str]:
    """The reason codes of a refusal, sorted (a code appears as often as it was given)."""
    return sorted(reason.code for reason in error.reasons)


def co_sign(database: Database, din: str, user: UserHandle, role: str) -> None:
    """Co-sign the lot's release pending sterility through the service."""
    with database.transaction() as session:
        release_service.co_sign(session=session, actor=user.principal, din=din, role=role,
                                username=user.username, password=user.password)


def lot_state(database: Database, din: str) -> str:
    """The lot's recorded state."""
    with database.transaction(write=False) as session:
        return lot_service.get_by_din(session=session, din=din).state
