"""What a record shows of its signatures: broken as soon as a signature row was edited, even when its own hash was
recomputed to fit (its audit entry, written when it was signed, still says otherwise)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from conftest import api_client
from fastapi import FastAPI
from sqlmodel import col, select
from tampering import guards_off

from batchtrack.auth import signatures
from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.deviations import service as deviation_service
from batchtrack.models.processing import ProcessStep
from batchtrack.models.quality import Specification
from batchtrack.models.signature import Signature
from batchtrack.models.user import Role

from builders import make_user
from deviation_builders import open_deviation
from processing_builders import open_bench, run_isolation
from quality_builders import approve_default


def _forge(database: Database, signature_id: int, change: Callable[[Signature], None]) -> None:
    """Edit a signature row with the append-only guard off, and recompute its own hash to fit."""
    with database.transaction() as session:
        guards_off(session, "signature")
        signature = session.get(Signature, signature_id)
        assert signature is not None
        change(signature)
        signature.hash = signatures.signature_hash(signature)
        session.add(signature)


def _rename(signature: Signature) -> None:
    signature.printed_name = "Somebody Else"


def test_a_specification_approval_with_a_forged_printed_name_is_shown_broken(
    app: FastAPI, database: Database
) -> None:
    qa = approve_default(database)
    with database.transaction(write=False) as session:
        spec = session.execute(select(Specification)).scalars().one()
        code, version, signature_id = spec.code, spec.version, spec.approved_signature_id
    assert signature_id is not None
    client = api_client(app, qa)

    def approval() -> dict[str, Any]:
        body: dict[str, Any] = client.get(f"/api/v1/specifications/{code}/{version}").json()["approval"]
        return body

    assert approval()["intact"] is True
    _forge(database, signature_id, _rename)
    assert approval()["printed_name"] == "Somebody Else" and approval()["intact"] is False


def test_a_deviation_closure_signed_at_a_forged_time_is_shown_broken(
    app: FastAPI, database: Database, settings: Settings
) -> None:
    bench = open_bench(database, settings)
    qa = make_user(database, Role.QA)
    number = open_deviation(database, bench.lot.din, bench.operator)
    with database.transaction() as session:
        closed = deviation_service.close_deviation(session=session, actor=qa.principal, number=number,
                                                   closure="no impact: the reading was repeated",
                                                   username=qa.username, password=qa.password)
        signature_id = closed.closed_signature_id
    assert signature_id is not None
    client = api_client(app, qa)
    assert client.get(f"/api/v1/deviations/{number}").json()["closure_signature"]["intact"] is True

    def backdate(signature: Signature) -> None:
        signature.signed_at = signature.signed_at - timedelta(days=2)

    _forge(database, signature_id, backdate)
    assert client.get(f"/api/v1/deviations/{number}").json()["closure_signature"]["intact"] is False


def test_a_step_signature_moved_to_another_signer_is_shown_broken_on_the_batch_record(
    app: FastAPI, database: Database, settings: Settings
) -> None:
    bench = open_bench(database, settings)
    run_isolation(database, settings, bench)
    qa = make_user(database, Role.QA)
    client = api_client(app, qa)

    def isolation() -> dict[str, Any]:
        step: dict[str, Any] = client.get(f"/api/v1/lots/{bench.lot.din}/batch-record").json()["steps"][0]
        return step

    assert (isolation()["performed_signature"]["intact"], isolation()["verified_signature"]["intact"]) == (True, True)
    with database.transaction(write=False) as session:
        step = session.execute(select(ProcessStep).where(col(ProcessStep.step_code) == "isolation")).scalars().one()
        performed = step.performed_signature_id
    assert performed is not None

    def to_qa(signature: Signature) -> None:
        signature.signer_id = qa.principal.user_id or 0

    _forge(database, performed, to_qa)
    assert (isolation()["performed_signature"]["intact"], isolation()["verified_signature"]["intact"]) == (False, True)
