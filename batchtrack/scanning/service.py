"""Scan verification: parse, resolve against the records, compare with the station, audit refusals."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from sqlalchemy import Connection, bindparam, func, inspect
from sqlalchemy import select as core_select
from sqlalchemy.exc import MultipleResultsFound
from sqlalchemy.orm import Session

from batchtrack.audit import service as audit_service
from batchtrack.auth.principal import Principal
from batchtrack.db import Database, Lookup
from batchtrack.errors import Conflict, Reason
from batchtrack.i18n.text import _
from batchtrack.models.audit import AuditEntry
from batchtrack.models.collection import Collection
from batchtrack.models.container import Container
from batchtrack.models.lot import Lot
from batchtrack.models.therapy import Therapy
from batchtrack.observability import metrics
from batchtrack.scanning import consistency, identification, parser, schemas, stops, verdict
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


# The statements of the scan path are built once, with bound parameters, from the tables' columns: they run on
# every scan, building one costs more than running it, and plain columns spare each row the ORM's result handling.
# On the scan route's plain connection they go straight to the driver (see db.Lookup).
#
# Within a DIN, division and flag name one container: product bags by division (A0, B0, ...), vessels and samples
# by flag (01-59), the aspirate bag by neither. A product code on the label must then agree. One query with its
# lot and therapy (through the lot, or the collection before a lot exists).
_CONTAINERS, _LOTS, _COLLECTIONS, _THERAPIES = (
    inspect(model).local_table for model in (Container, Lot, Collection, Therapy))
_CONTAINER_COLUMNS = (_CONTAINERS.c.id, _CONTAINERS.c.din, _CONTAINERS.c.kind, _CONTAINERS.c.lot_id,
                      _CONTAINERS.c.status, _LOTS.c.din, _LOTS.c.expires_at, _THERAPIES.c.coi, _LOTS.c.state)
_CONTAINER_ROWS = (
    core_select(*_CONTAINER_COLUMNS)
    .select_from(_CONTAINERS)
    .outerjoin(_LOTS, _LOTS.c.id == _CONTAINERS.c.lot_id)
    .outerjoin(_COLLECTIONS, _COLLECTIONS.c.id == _CONTAINERS.c.collection_id)
    .outerjoin(_THERAPIES, _THERAPIES.c.id == func.coalesce(_LOTS.c.therapy_id, _COLLECTIONS.c.therapy_id))
)
_CONTAINER_BY_SLOT = _CONTAINER_ROWS.where(
    _CONTAINERS.c.din == bindparam("din"), _CONTAINERS.c.division == bindparam("division"),
    _CONTAINERS.c.sample_flag == bindparam("sample_flag"))
_CONTAINER = Lookup(_CONTAINER_BY_SLOT)
# The containers of several DINs at once, each with its slot and product code: for a batch of scans (see
# KnownContainers). By DIN alone, which the index on DIN serves on either engine (SQLite scans the whole table
# for a list of (din, division, flag) tuples); the slots asked for are picked out of them. Its number of DINs
# varies, so it is run as a plain statement rather than a Lookup.
_CONTAINERS_IN_SLOTS = _CONTAINER_ROWS.add_columns(
    _CONTAINERS.c.division, _CONTAINERS.c.sample_flag, _CONTAINERS.c.product_code,
).where(_CONTAINERS.c.din.in_(bindparam("dins", expanding=True)))
_CONTAINER_OF_PRODUCT = Lookup(_CONTAINER_BY_SLOT.where(_CONTAINERS.c.product_code == bindparam("product_code")))
# A collection before any container of it is registered, with its therapy and the lot made from it (if any).
_COLLECTION = Lookup(
    core_select(_COLLECTIONS.c.id, _COLLECTIONS.c.din, _COLLECTIONS.c.state, _THERAPIES.c.coi, _LOTS.c.id,
                _LOTS.c.din)
    .select_from(_COLLECTIONS)
    .join(_THERAPIES, _THERAPIES.c.id == _COLLECTIONS.c.therapy_id)
    .outerjoin(_LOTS, _LOTS.c.din == _COLLECTIONS.c.din)
    .where(_COLLECTIONS.c.din == bindparam("din"))
)
_THERAPY = Lookup(core_select(_THERAPIES.c.id, _THERAPIES.c.coi, _THERAPIES.c.state).where(
    _THERAPIES.c.coi == bindparam("coi")))
# When a therapy was completed (recorded by batchtrack.bedside.infusions): said of a scan that is only identified.
_AUDIT = inspect(AuditEntry).local_table
_THERAPY_COMPLETED_AT = (
    core_select(_AUDIT.c.occurred_at)
    .where(_AUDIT.c.entity_type == "therapy", _AUDIT.c.entity_id == bindparam("coi"),
           _AUDIT.c.action == "therapy.completed")
    .order_by(_AUDIT.c.seq.desc()).limit(1)
)

# Where a scan is resolved: the ORM session of a station's service, or a connection in a read transaction (the
# scan route). Every lookup here is a plain statement, run on either (see db.Lookup).
Reader = Session | Connection


# Where a container is: its DIN, division and sample flag.
Slot = tuple[str, str, str]


def _slot(identity: parser.ScanIdentity) -> Slot | None:
    if identity.din is None:
        return None
    return identity.din, identity.division or "00", identity.sample_flag


def _product_code(identity: parser.ScanIdentity) -> str | None:
    # Containers record the product code without its division's last characters (six of the eight).
    return None if identity.product_code is None else identity.product_code[:6]


@dataclass(frozen=True, slots=True)
class KnownContainers:
    """The containers in some slots, looked up at once for a batch of scans in the batch's read transaction.

    A scan whose slot was looked up is resolved from here, exactly as its own query would have resolved it: an
    empty slot is known to be empty."""

    slots: frozenset[Slot]
    found: Mapping[Slot, Sequence[tuple[str, tuple[Any, ...]]]]  # slot -> (product code, container row) each

    def __contains__(self, slot: object) -> bool:
        return slot in self.slots

    def one_or_none(self, slot: Slot, product_code: str | None) -> tuple[Any, ...] | None:
        """The container row its own query would give: by slot, or by slot and product code."""
        rows = [row for code, row in self.found.get(slot, ()) if product_code is None or code == product_code]
        if len(rows) > 1:
            raise MultipleResultsFound("a lookup meant to find at most one row found several")
        return rows[0] if rows else None


NO_CONTAINERS_KNOWN = KnownContainers(frozenset(), {})


def containers_in_slots(*, session: Reader, identities: Iterable[parser.ScanIdentity]) -> KnownContainers:
    """The containers in the slots the scans name, in one query (none when no scan names a DIN)."""
    slots = frozenset(slot for identity in identities if (slot := _slot(identity)) is not None)
    if not slots:
        return NO_CONTAINERS_KNOWN
    found: dict[Slot, list[tuple[str, tuple[Any, ...]]]] = {}
    for row in session.execute(_CONTAINERS_IN_SLOTS, {"dins": sorted({slot[0] for slot in slots})}):
        *container, division, sample_flag, product_code = row
        found.setdefault((container[1], division, sample_flag), []).append((product_code, tuple(container)))
    return KnownContainers(slots, found)


def _container_row(reader: Reader, identity: parser.ScanIdentity, known: KnownContainers) -> Any:
    slot = _slot(identity)
    assert slot is not None
    if slot in known:
        return known.one_or_none(slot, _product_code(identity))
    din, division, sample_flag = slot
    params = {"din": din, "division": division, "sample_flag": sample_flag}
    if identity.product_code is None:
        return _CONTAINER.one_or_none(reader, params)
    return _CONTAINER_OF_PRODUCT.one_or_none(reader, {**params, "product_code": _product_code(identity)})


def resolve(
    *, session: Reader, identity: parser.ScanIdentity, known: KnownContainers = NO_CONTAINERS_KNOWN
) -> Resolution:
    """The record a scan names, and what is recorded about it to check the label against (COI, expiry).
    Containers in the slots of `known` are taken from it rather than looked up."""
    if identity.din is not None:
        row = _container_row(session, identity, known)
        if row is not None:
            container_id, din, kind, lot_id, status, lot_din, expires_at, coi, lot_state = row
            return Resolution(ResolvedContainer(
                container_id=container_id, din=din, kind=kind, lot_id=lot_id, lot_din=lot_din, therapy_coi=coi,
                status=status, lot_state=lot_state,
            ), coi, expires_at)
        if identity.product_code is None:
            collection = _COLLECTION.one_or_none(session, {"din": identity.din})
            if collection is not None:
                collection_id, din, state, coi, lot_id, lot_din = collection
                return Resolution(ResolvedCollection(
                    collection_id=collection_id, din=din, therapy_coi=coi, state=state, lot_id=lot_id,
                    lot_din=lot_din,
                ), coi)
        return NOTHING
    if identity.coi is not None:
        therapy = _THERAPY.one_or_none(session, {"coi": identity.coi})
        if therapy is not None:
            therapy_id, coi, state = therapy
            return Resolution(ResolvedTherapy(therapy_id=therapy_id, coi=coi, state=state), coi)
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


def judge(
    *, session: Reader, request: schemas.ScanRequest, parsed: parser.ParsedScan | parser.ScanRefusal | None = None,
    known: KnownContainers = NO_CONTAINERS_KNOWN, zone: tzinfo,
) -> verdict.Verdict:
    """Judge one scan at a station against the records (reads only). `parsed` is its raw input parsed already,
    if it was; `known`, containers looked up already in the same transaction (see `containers_in_slots`); reasons
    name times in `zone`, the site's."""
    if parsed is None:
        parsed = parser.parse_scan(request.raw)
    if isinstance(parsed, parser.ScanRefusal):
        result = verdict.refused(request.raw, parsed)
    else:
        identity = parser.identity_of(parsed)
        found = resolve(session=session, identity=identity, known=known)
        expectation = _expectation(request.expect)
        resolved = found.resolved
        if (isinstance(resolved, ResolvedTherapy) and resolved.state == identification.THERAPY_COMPLETED
                and identification.expects_nothing(expectation)):
            completed_at = session.execute(_THERAPY_COMPLETED_AT, {"coi": resolved.coi}).scalar()
            resolved = dataclasses.replace(resolved, completed_at=completed_at)
        result = verdict.judge(raw=request.raw, parsed=parsed, resolved=resolved, expectation=expectation,
                               zone=zone)
        if found.resolved is not None:
            extra = consistency.label_agrees(identity, recorded_coi=found.recorded_coi,
                                             recorded_expiry=found.recorded_expiry, zone=zone)
            if extra:
                result = verdict.Verdict(ok=False, reasons=[*result.reasons, *extra], parsed=result.parsed,
                                         resolved=result.resolved, raw=result.raw)
    metrics.scan_judged(result.kind)
    return result


def record_refusal(
    *, session: Session | Connection, actor: Principal, request: schemas.ScanRequest, result: verdict.Verdict
) -> None:
    """Record a refused scan in the audit trail: the raw input (escaped), the station, the user, the reasons."""
    audit_service.record(
        session=session, actor=actor, action="scan.refused", entity_type="station", entity_id=request.station,
        new={"raw_escaped": verdict.escape_raw(request.raw), "raw_length": len(request.raw),
             "station": request.station, "expected": request.expect.model_dump(exclude_none=True),
             "reasons": stops.reasons_record(result.reasons)},
    )


def record_refusal_alone(
    *, database: Database, actor: Principal, request: schemas.ScanRequest, result: verdict.Verdict
) -> None:
    """Record a refused scan in a short write transaction of its own (see `verify`), on a plain connection."""
    with database.write_connection() as writer:
        record_refusal(session=writer, actor=actor, request=request, result=result)


def verify(*, database: Database, actor: Principal, request: schemas.ScanRequest, zone: tzinfo) -> verdict.Verdict:
    """Judge a scan in a read transaction of its own; a refusal is recorded in a short write transaction.

    The read connection goes back to the pool before the refusal is written: a request never holds two
    connections, nor one while it waits for a worker thread.
    """
    with database.transaction(write=False) as session:
        result = judge(session=session, request=request, zone=zone)
    if not result.ok:
        record_refusal_alone(database=database, actor=actor, request=request, result=result)
    return result


# A station's last refusal and last acknowledgement: each the newest entry of its action against the station (the
# audit trail's index on entity and seq serves both).
def _newest_at_station(action: str) -> Any:
    return (core_select(_AUDIT.c.seq, _AUDIT.c.occurred_at, _AUDIT.c.actor_name, _AUDIT.c.new_values)
            .where(_AUDIT.c.entity_type == "station", _AUDIT.c.entity_id == bindparam("station"),
                   _AUDIT.c.action == action)
            .order_by(_AUDIT.c.seq.desc()).limit(1))


STOP_ACKNOWLEDGED = "scan.stop_acknowledged"
_LAST_REFUSAL = _newest_at_station("scan.refused")
_LAST_ACKNOWLEDGEMENT = _newest_at_station(STOP_ACKNOWLEDGED)


def _station_record(session: Reader, station: str) -> tuple[Any, stops.Acknowledgement | None]:
    refusal = session.execute(_LAST_REFUSAL, {"station": station}).first()
    row = session.execute(_LAST_ACKNOWLEDGEMENT, {"station": station}).first()
    acknowledged = None
    if row is not None:
        covered = json.loads(row.new_values).get("refusal_seq")
        acknowledged = stops.Acknowledgement(refusal_seq=covered if isinstance(covered, int) else row.seq,
                                             occurred_at=row.occurred_at, actor_name=row.actor_name)
    return refusal, acknowledged


def pending_stop(*, session: Reader, station: str) -> stops.PendingStop | None:
    """The STOP at `station` that no one has acknowledged yet (None when there is none)."""
    refusal, acknowledged = _station_record(session, station)
    if refusal is None or not stops.is_pending(refusal.seq, acknowledged):
        return None
    recorded = json.loads(refusal.new_values)
    return stops.PendingStop(
        refusal_seq=refusal.seq, occurred_at=refusal.occurred_at, actor_name=refusal.actor_name,
        reasons=stops.reasons_from_record(recorded.get("reasons")), raw_escaped=str(recorded.get("raw_escaped", "")),
    )


def acknowledge_stop(*, session: Session, actor: Principal, station: str, refusal_seq: int) -> stops.Acknowledgement:
    """Record that `actor` saw the STOP shown at `station` (and every earlier one there): the next scan is taken.
    Refused (409) when that STOP is unknown there or was already acknowledged."""
    refusal, acknowledged = _station_record(session, station)
    reasons = stops.acknowledgement_refusals(refusal_seq=refusal_seq,
                                             last_refusal_seq=None if refusal is None else refusal.seq,
                                             acknowledged=acknowledged)
    if reasons:
        raise Conflict(_("the STOP cannot be acknowledged"), code="station.acknowledgement_refused", reasons=reasons)
    assert refusal is not None  # acknowledgement_refusals refuses a station with no refusal
    acknowledged_reasons = ([r.code for r in stops.reasons_from_record(json.loads(refusal.new_values).get("reasons"))]
                            if refusal.seq == refusal_seq else None)  # what the trail's reader is told was seen
    written = audit_service.record(
        session=session, actor=actor, action=STOP_ACKNOWLEDGED, entity_type="station", entity_id=station,
        new={"station": station, "refusal_seq": refusal_seq,
             **({"reasons": acknowledged_reasons} if acknowledged_reasons is not None else {})})
    return stops.Acknowledgement(refusal_seq=refusal_seq, occurred_at=written.content.occurred_at,
                                 actor_name=actor.full_name)
