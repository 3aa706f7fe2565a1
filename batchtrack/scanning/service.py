"""Scan verification: parse, resolve against the records, compare with the station, audit refusals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlalchemy import select as core_select
from sqlalchemy.orm import Session
from sqlmodel import col, select

from batchtrack.audit import service as audit_service
from batchtrack.auth.principal import Principal
from batchtrack.db import Database
from batchtrack.errors import Reason
from batchtrack.models.collection import Collection
from batchtrack.models.container import Container
from batchtrack.models.lot import Lot
from batchtrack.models.therapy import Therapy
from batchtrack.scanning import consistency, parser, schemas, verdict
from batchtrack.scanning.expectations import (
    Resolved,
    ResolvedCollection,
    ResolvedContainer,
    ResolvedTherapy,
    StationExpectation,
)


@dataclass(frozen=True, slots=True)
class Resolution:
    """What a scan resolved to, and what is recorded about it that its label must agree with."""

    resolved: Resolved | None
    recorded_coi: str | None = None
    recorded_expiry: datetime | None = None


NOTHING = Resolution(None)


def _container_row(session: Session, identity: parser.ScanIdentity) -> Any:
    # Within a DIN, division and flag name one container: product bags by division (A0, B0, ...), vessels and
    # samples by flag (01-59), the aspirate bag by neither. A product code on the label must then agree.
    # One query with its lot and therapy (through the lot, or the collection before a lot exists): this runs
    # on every scan.
    assert identity.din is not None
    query = (
        core_select(col(Container.id), col(Container.din), col(Container.kind), col(Container.lot_id),
               col(Container.status), col(Lot.din), col(Lot.expires_at), col(Therapy.coi))
        .select_from(Container)
        .outerjoin(Lot, col(Lot.id) == col(Container.lot_id))
        .outerjoin(Collection, col(Collection.id) == col(Container.collection_id))
        .outerjoin(Therapy, col(Therapy.id) == func.coalesce(col(Lot.therapy_id), col(Collection.therapy_id)))
        .where(col(Container.din) == identity.din, col(Container.division) == (identity.division or "00"),
               col(Container.sample_flag) == identity.sample_flag)
    )
    if identity.product_code is not None:
        query = query.where(col(Container.product_code) == identity.product_code[:6])
    return session.execute(query).one_or_none()


def resolve(*, session: Session, identity: parser.ScanIdentity) -> Resolution:
    """The record a scan names, and what is recorded about it to check the label against (COI, expiry)."""
    if identity.din is not None:
        row = _container_row(session, identity)
        if row is not None:
            container_id, din, kind, lot_id, status, lot_din, expires_at, coi = row
            return Resolution(ResolvedContainer(
                container_id=container_id, din=din, kind=kind, lot_id=lot_id, lot_din=lot_din, therapy_coi=coi,
                status=status,
            ), coi, expires_at)
        if identity.product_code is None:
            collection = session.execute(
                select(Collection).where(col(Collection.din) == identity.din)).scalar_one_or_none()
            if collection is not None and collection.id is not None:
                therapy = session.get(Therapy, collection.therapy_id)
                lot = session.execute(select(Lot).where(col(Lot.din) == collection.din)).scalar_one_or_none()
                assert therapy is not None
                return Resolution(ResolvedCollection(
                    collection_id=collection.id, din=collection.din, therapy_coi=therapy.coi,
                    state=collection.state, lot_id=lot.id if lot else None, lot_din=lot.din if lot else None,
                ), therapy.coi)
        return NOTHING
    if identity.coi is not None:
        therapy = session.execute(select(Therapy).where(col(Therapy.coi) == identity.coi)).scalar_one_or_none()
        if therapy is not None and therapy.id is not None:
            return Resolution(ResolvedTherapy(therapy_id=therapy.id, coi=therapy.coi, state=therapy.state),
                              therapy.coi)
    return NOTHING


def scanned_container(*, session: Session, raw: str) -> tuple[ResolvedContainer | None, list[Reason]]:
    """The container a scan names: (container, []), (None, []) when it names no container, or (None, reasons)
    when the scan cannot be read. Stations that act on a container (custody, receipt) start here."""
    parsed = parser.parse_scan(raw)
    if isinstance(parsed, parser.ScanRefusal):
        return None, list(parsed.reasons)
    found = resolve(session=session, identity=parser.identity_of(parsed)).resolved
    return (found if isinstance(found, ResolvedContainer) else None), []


def _expectation(expect: schemas.Expectation) -> StationExpectation:
    # A lot's DIN names it uniquely, so the station's expectation needs no lookup of its id.
    return StationExpectation(
        lot_din=expect.lot_din, therapy_coi=expect.therapy_coi,
        container_kinds=frozenset(expect.container_kinds) if expect.container_kinds else None, step=expect.step,
    )


def judge(*, session: Session, request: schemas.ScanRequest) -> verdict.Verdict:
    """Judge one scan at a station against the records (reads only)."""
    parsed = parser.parse_scan(request.raw)
    if isinstance(parsed, parser.ScanRefusal):
        result = verdict.refused(request.raw, parsed)
    else:
        identity = parser.identity_of(parsed)
        found = resolve(session=session, identity=identity)
        result = verdict.judge(raw=request.raw, parsed=parsed, resolved=found.resolved,
                               expectation=_expectation(request.expect))
        if found.resolved is not None:
            extra = consistency.label_agrees(identity, recorded_coi=found.recorded_coi,
                                             recorded_expiry=found.recorded_expiry)
            if extra:
                result = verdict.Verdict(ok=False, reasons=[*result.reasons, *extra], parsed=result.parsed,
                                         resolved=result.resolved, raw=result.raw)
    return result


def record_refusal(
    *, session: Session, actor: Principal, request: schemas.ScanRequest, result: verdict.Verdict
) -> None:
    """Record a refused scan in the audit trail: the raw input (escaped), the station, the user, the reasons."""
    audit_service.record(
        session=session, actor=actor, action="scan.refused", entity_type="station", entity_id=request.station,
        new={"raw_escaped": verdict.escape_raw(request.raw), "raw_length": len(request.raw),
             "station": request.station, "expected": request.expect.model_dump(exclude_none=True),
             "reasons": [r.as_dict() for r in result.reasons]},
    )


def verify(*, database: Database, actor: Principal, request: schemas.ScanRequest) -> verdict.Verdict:
    """Judge a scan in a read transaction of its own; a refusal is recorded in a short write transaction.

    The read connection goes back to the pool before the refusal is written: a request never holds two
    connections, nor one while it waits for a worker thread.
    """
    with database.transaction(write=False) as session:
        result = judge(session=session, request=request)
    if not result.ok:
        with database.transaction(write=True) as writer:
            record_refusal(session=writer, actor=actor, request=request, result=result)
    return result
