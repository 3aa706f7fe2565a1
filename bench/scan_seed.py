"""Seed a fresh batchtrack database with many released lots, each with one final-product bag, fast.

The schema is built by the project's migrations. The operator user and its API token are made by the
auth service (so their audit entries are real links of the chain); everything else is written with bulk
INSERTs straight into the tables, in chunks, with explicit ids. Each lot's history goes into the audit chain as
the application writes it (therapy opened; collection scheduled with its bag, collected, dispatched, accepted;
lot opened; final bag registered; aspirate bag consumed; lot harvested, formulated, submitted to QC, released),
as valid links (`audit_seed.ChainWriter`, with a checkpoint every 1,000 entries when given a log), so that
`audit verify` finds every state column and bag status set by its last audited entry. Seeded lots carry no
electronic signatures.

Most seeded lots are released, but one in every 16 of each of three kinds is still open work, so that the worklists
(`GET /api/v1/me/worklist`) find as much to show at every size: lots in QC (awaiting their results and QA's
release, and expiring within two days), lots in process waiting for their first step (the aspirate bag still in
use), and lots in process with the first step started and open. Their histories stop where they stand (the lot moves
up to QC; no consumption of the aspirate bag; a `step.started` entry for the open step). Every lot keeps its
final-product bag, so every seeded lot can be scanned. The open share grows with the database (6,250 lots of each
kind at 100,000), and the released lots are never shipped nor infused: the worklist's lists of lots not yet in a
final state (expiry; QC's tests after release) pass over every one of them, where an installation's history would
be mostly infused.
"""

from __future__ import annotations

import secrets
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import db_statistics
from audit_seed import ChainWriter, Draft
from checkpoint_seed import SeededLog
from sqlalchemy import Engine, Table, insert, text

from batchtrack import migrate
from batchtrack.audit.chain import canonical_json
from batchtrack.auth import service as auth_service
from batchtrack.auth import tokens as auth_tokens
from batchtrack.auth.principal import SYSTEM
from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.identifiers import coi as coi_ids
from batchtrack.identifiers import din as din_ids
from batchtrack.identifiers import isbt
from batchtrack.models import (
    Collection,
    Container,
    ContainerKind,
    ContainerStatus,
    Donor,
    DonorKind,
    IdentifierSequence,
    Lot,
    LotCollection,
    ProcessStep,
    Recipient,
    Role,
    StepState,
    Therapy,
)
from batchtrack.processing import definition as process_definition

FIN = "W0000"
FIRST_YEAR = 2020
PER_YEAR = 999_999  # the largest DIN / COI sequence number in one year
PRODUCT_CODE = isbt.product_code("Y0001", isbt.COLLECTION_AUTOLOGOUS)  # 8 characters, division 00
BAG_DIVISION = "A0"  # the first division of a final product
CHUNK = 5_000
OPERATOR = "bench.operator"
OPERATOR_NAME = "Bench Operator"
FAMILIES = ("KIM", "LEE", "PARK", "CHOI", "JUNG", "KANG", "YOON", "SMITH", "GARCIA", "NGUYEN")
GIVEN = ("Minji", "Seojun", "Jiwoo", "Hana", "Anna", "Lucas", "Maria", "Tae")
# Tables whose integer id is given explicitly here; PostgreSQL's sequences are moved past them afterwards.
ID_TABLES = ("recipient", "donor", "therapy", "collection", "lot", "container")
# The lot moves the application audits from its opening to its release, with the state each one sets.
LOT_MOVES = (("harvest", "in_process", "harvested"), ("formulate", "harvested", "formulated"),
             ("submit_to_qc", "formulated", "in_qc"), ("release", "in_qc", "released"))
COLLECTION_MOVES = (("collect", "scheduled", "collected"), ("dispatch", "collected", "in_transit"),
                    ("accept", "in_transit", "accepted"))
# Where lot n stands: STAGES[(n - 1) % len(STAGES)], so that the first lots already hold one of each open kind.
IN_QC, WAITING, STEP_OPEN, RELEASED = "in_qc", "waiting", "step_open", "released"
STAGES = (IN_QC, WAITING, STEP_OPEN) + (RELEASED,) * 13
# How many of the lot moves each stage has made (harvest, formulate, submit to QC, release).
MOVES_MADE = {IN_QC: 3, WAITING: 0, STEP_OPEN: 0, RELEASED: len(LOT_MOVES)}
PROCESS = process_definition.plan(process_definition.load())
FIRST_STEP = PROCESS.steps[0]
STATION = "BENCH-BSC-01"
EXPIRING_IN = timedelta(days=2)  # the lots in QC: within the worklist's notice of expiry


def stage(n: int) -> str:
    """Where seeded lot n (from 1) stands."""
    return STAGES[(n - 1) % len(STAGES)]


def open_lots(lots: int) -> dict[str, int]:
    """How many of the first `lots` seeded lots stand at each open stage."""
    counts = {IN_QC: 0, WAITING: 0, STEP_OPEN: 0}
    for index, name in enumerate(STAGES):
        if name in counts:
            counts[name] = (lots - index - 1) // len(STAGES) + 1 if lots > index else 0
    return counts


@dataclass(frozen=True, slots=True)
class SeededLot:
    """What a scan of a lot's final-product bag carries."""

    din: str
    coi: str


@dataclass(frozen=True, slots=True)
class Seeded:
    """The seeded lots (index n is lot id n + 1), the operator's bearer token, and how long it took."""

    lots: list[SeededLot]
    token: str
    seconds: float


def _table(model: Any) -> Table:
    table: Table = model.__table__
    return table


def year_and_sequence(n: int) -> tuple[int, int]:
    """The year and sequence number of the n-th seeded identifier (n from 1); a year holds 999,999."""
    return FIRST_YEAR + (n - 1) // PER_YEAR, (n - 1) % PER_YEAR + 1


def identifiers(n: int) -> SeededLot:
    """The DIN and COI identifier of lot n, built by the project's identifier functions."""
    year, sequence = year_and_sequence(n)
    return SeededLot(
        din=din_ids.build(fin=FIN, year=year, sequence=sequence).value,
        coi=coi_ids.build(fin=FIN, year=year, sequence=sequence).value,
    )


def _rows(
    lots: list[SeededLot], first: int, last: int, user_id: int, now: datetime, shift: dict[str, int] | None = None
) -> Iterator[tuple[str, dict[str, Any]]]:
    """(table name, row) for lots first..last: recipient, donor, therapy, collection, lot, two bags and the
    open step of a lot whose step is open.

    Lot n's rows get id n (its bags 2n - 1 and 2n), each moved up by `shift[table]` when given; steps get the
    database's ids."""
    moved = shift or {}
    for n in range(first, last + 1):
        ids = lots[n - 1]
        subject = f"BENCH-{n:07d}"
        rid, did, tid, cid, lid = (n + moved.get(name, 0) for name in ("recipient", "donor", "therapy",
                                                                         "collection", "lot"))
        bag = 2 * n + moved.get("container", 0)
        yield "recipient", {
            "id": rid, "subject_code": subject, "family_name": FAMILIES[n % len(FAMILIES)],
            "given_name": GIVEN[n % len(GIVEN)], "date_of_birth": date(1950, 1, 1) + timedelta(days=n % 20_000),
            "mrn": f"MRN{n:09d}", "created_at": now,
        }
        yield "donor", {
            "id": did, "donor_code": subject, "kind": DonorKind.AUTOLOGOUS.value, "recipient_id": rid,
            "eligibility": None, "eligibility_recorded_at": None, "created_at": now,
        }
        yield "therapy", {
            "id": tid, "coi": ids.coi, "recipient_id": rid, "donor_id": did, "product_code": PRODUCT_CODE,
            "prescribed_cells_per_kg": 2.0e6, "state": "open", "created_at": now, "created_by": user_id,
        }
        yield "collection", {
            "id": cid, "din": ids.din, "therapy_id": tid, "state": "accepted", "scheduled_for": now,
            "collected_at": now, "volume_ml": 50.0, "created_at": now,
        }
        where = stage(n)
        expires = now + (EXPIRING_IN if where == IN_QC else timedelta(days=30))
        state = LOT_MOVES[MOVES_MADE[where] - 1][2] if MOVES_MADE[where] else "in_process"
        yield "lot", {
            "id": lid, "din": ids.din, "therapy_id": tid, "product_code": PRODUCT_CODE, "state": state,
            "state_before_hold": None, "expires_at": expires, "created_at": now, "updated_at": now,
        }
        yield "lot_collection", {"lot_id": lid, "collection_id": cid}
        # The aspirate bag registered with the collection (as the app does), now used up.
        yield "container", {
            "id": bag - 1, "din": ids.din, "kind": ContainerKind.ASPIRATE_BAG.value, "product_code": "",
            "division": "00", "sample_flag": "00", "collection_id": cid, "lot_id": None,
            "status": (ContainerStatus.IN_USE if where in (WAITING, STEP_OPEN) else ContainerStatus.CONSUMED).value,
            "created_at": now,
        }
        yield "container", {
            "id": bag, "din": ids.din, "kind": ContainerKind.FINAL_PRODUCT.value, "product_code": PRODUCT_CODE[:6],
            "division": BAG_DIVISION, "sample_flag": "00", "collection_id": None, "lot_id": lid,
            "status": ContainerStatus.IN_USE.value, "created_at": now,
        }
        if where == STEP_OPEN:
            yield "process_step", {
                "lot_id": lid, "process_code": PROCESS.process_code, "process_version": PROCESS.process_version,
                "step_code": FIRST_STEP.code, "step_type": FIRST_STEP.type.code, "ordinal": FIRST_STEP.ordinal,
                "title": FIRST_STEP.title, "station": STATION, "state": StepState.IN_PROGRESS.value,
                "started_by": user_id, "started_at": now,
            }


def _history(lots: list[SeededLot], first: int, last: int, user: tuple[int, str], now: datetime,
             shift: dict[str, int] | None = None) -> Iterator[Draft]:
    """The audit entries the application writes for lots first..last, with the keys and values it records."""
    moved = shift or {}
    user_id, name = user

    def entry(action: str, entity_type: str, entity_id: str, new: dict[str, Any],
              old: dict[str, Any] | None = None) -> Draft:
        return Draft(user_id, name, action, entity_type, entity_id, canonical_json(old or {}), canonical_json(new))

    for n in range(first, last + 1):
        ids = lots[n - 1]
        bag = 2 * n + moved.get("container", 0)
        subject = f"BENCH-{n:07d}"
        # therapies.service.open_for
        yield entry("therapy.opened", "therapy", ids.coi, {
            "coi": ids.coi, "state": "open", "subject_code": subject, "donor_kind": DonorKind.AUTOLOGOUS.value,
            "donor_code": subject, "product_code": PRODUCT_CODE, "prescribed_cells_per_kg": 2.0e6})
        # collections.service.schedule, then transition (collect, dispatch, accept)
        yield entry("collection.scheduled", "collection", ids.din, {
            "din": ids.din, "therapy": ids.coi, "scheduled_for": now, "state": "scheduled", "bag_id": bag - 1,
            "bag_status": ContainerStatus.IN_USE.value})
        for move, before, after in COLLECTION_MOVES:
            new: dict[str, Any] = {"state": after}
            if move == "collect":
                new |= {"started_at": None, "collected_at": now, "volume_ml": 50.0, "anticoagulant": None,
                        "site": None}
            yield entry(f"collection.{move}", "collection", ids.din, new, {"state": before})
        # lots.service.open_lot, add_containers; processing.service._consume_vessels_in; lots.service.transition
        yield entry("lot.opened", "lot", ids.din, {"din": ids.din, "therapy": ids.coi, "state": "in_process",
                                                   "state_before_hold": None, "collection": ids.din})
        yield entry("container.registered", "lot", ids.din, {
            "container_id": bag, "kind": ContainerKind.FINAL_PRODUCT.value, "division": BAG_DIVISION,
            "flag": "00", "status": ContainerStatus.IN_USE.value})
        where = stage(n)
        if where == STEP_OPEN:  # processing.service.start_step
            yield entry("step.started", "lot", ids.din, {
                "step": FIRST_STEP.code, "station": STATION, "process": PROCESS.process_code,
                "process_version": PROCESS.process_version})
        if where in (WAITING, STEP_OPEN):
            continue
        yield entry("container.consumed", "container", str(bag - 1), {
            "status": ContainerStatus.CONSUMED.value, "step": "EXPANSION"}, {"status": ContainerStatus.IN_USE.value})
        for move, before, after in LOT_MOVES[:MOVES_MADE[where]]:
            yield entry(f"lot.{move}", "lot", ids.din,
                        {"state": after, "state_before_hold": None, "specification_id": None},
                        {"state": before, "state_before_hold": None})


def _operator(database: Database) -> tuple[int, str]:
    """Create the operator user and its API token through the auth service; (user id, token)."""
    with database.transaction() as session:
        user = auth_service.create_user(
            session=session, actor=SYSTEM, username=OPERATOR, full_name=OPERATOR_NAME,
            password=secrets.token_urlsafe(18), roles={Role.OPERATOR},
        )
        token = auth_tokens.create(session=session, settings=Settings(), actor=SYSTEM, username=OPERATOR,
                                   name="scan bench")
        assert user.id is not None
        return user.id, token


def _sequences(lots: int) -> list[dict[str, Any]]:
    """identifier_sequence rows, so that DINs and COIs the app allocates later follow the seeded ones."""
    rows = []
    for year in range(FIRST_YEAR, year_and_sequence(lots)[0] + 1):
        last = min(PER_YEAR, lots - (year - FIRST_YEAR) * PER_YEAR)
        rows += [{"kind": kind, "fin": FIN, "year": year, "last_value": last} for kind in ("din", "coi")]
    return rows


def _tables() -> dict[str, Table]:
    """The tables written, in foreign-key order."""
    return {
        "recipient": _table(Recipient), "donor": _table(Donor), "therapy": _table(Therapy),
        "collection": _table(Collection), "lot": _table(Lot), "lot_collection": _table(LotCollection),
        "container": _table(Container), "process_step": _table(ProcessStep),
    }


def _insert(engine: Engine, made: list[SeededLot], *, first: int, user_id: int, shift: dict[str, int],
            started: float, log: SeededLog | None) -> None:
    """Insert lots first..len(made) in chunks, each followed by its audit entries; progress goes to stderr
    every 10%."""
    with ChainWriter(engine, log) as writer:
        _insert_chunks(engine, writer, made, first=first, user_id=user_id, shift=shift, started=started)


def _insert_chunks(engine: Engine, writer: ChainWriter, made: list[SeededLot], *, first: int, user_id: int,
                   shift: dict[str, int], started: float) -> None:
    tables = _tables()
    lots = len(made)
    now = datetime.now(UTC)
    next_report = 1
    for chunk_first in range(first, lots + 1, CHUNK):
        last = min(lots, chunk_first + CHUNK - 1)
        batches: dict[str, list[dict[str, Any]]] = {name: [] for name in tables}
        for name, row in _rows(made, chunk_first, last, user_id, now, shift):
            batches[name].append(row)
        with engine.begin() as connection:
            for name, table in tables.items():  # in foreign-key order
                if batches[name]:
                    connection.execute(insert(table), batches[name])
        writer.append(_history(made, chunk_first, last, (user_id, OPERATOR_NAME), now, shift))
        while next_report <= 10 and (last - first + 1) * 10 >= next_report * (lots - first + 1):
            elapsed = time.perf_counter() - started
            print(f"  seeded {last:,}/{lots:,} lots ({next_report * 10}%) in {elapsed:.1f} s", file=sys.stderr)
            next_report += 1


def _finish(engine: Engine, lots: int) -> None:
    """Identifier sequences past the seeded lots, PostgreSQL's id sequences past the explicit ids, statistics."""
    sequence = _table(IdentifierSequence)
    with engine.begin() as connection:
        connection.execute(sequence.delete().where(
            sequence.c.fin == FIN, sequence.c.year <= year_and_sequence(lots)[0]))
        connection.execute(insert(sequence), _sequences(lots))
        if engine.dialect.name == "postgresql":
            for name in ID_TABLES:
                connection.execute(text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), max(id)) FROM {name}"))
    db_statistics.vacuum_analyze(engine)


def seed(engine: Engine, *, lots: int, log: SeededLog | None = None) -> Seeded:
    """Migrate an empty database and fill it with `lots` lots and their audit entries (checkpointed in `log`);
    progress goes to stderr every 10%."""
    started = time.perf_counter()
    migrate.upgrade(engine)
    user_id, token = _operator(Database(engine))
    made = [identifiers(n) for n in range(1, lots + 1)]
    _insert(engine, made, first=1, user_id=user_id, shift={}, started=started, log=log)
    _finish(engine, lots)
    return Seeded(made, token, time.perf_counter() - started)


def extend(engine: Engine, seeded: Seeded, *, lots: int, log: SeededLog | None = None) -> Seeded:
    """Add lots to a database `seed` filled until there are `lots` seeded lots in all.

    The application may have written rows of its own since (a therapy walked through the whole chain): the
    new rows' ids continue after the largest id of each table, and the seeded identifiers never meet the
    application's (seeded DINs and COIs are of years long past)."""
    started = time.perf_counter()
    first = len(seeded.lots) + 1
    tables = _tables()
    with engine.connect() as connection:
        user_id = connection.execute(text("SELECT id FROM app_user WHERE username = :name"),
                                     {"name": OPERATOR}).scalar_one()
        largest = {name: connection.execute(text(f"SELECT coalesce(max(id), 0) FROM {name}")).scalar_one()
                   for name in ID_TABLES}
    # Lot n's id is n + shift: the first new lot lands just after the largest id already there.
    shift = {name: largest[name] - (first - 1) for name in ID_TABLES if name != "container"}
    shift["container"] = largest["container"] - 2 * (first - 1)
    made = seeded.lots + [identifiers(n) for n in range(first, lots + 1)]
    assert set(tables) >= set(shift)
    _insert(engine, made, first=first, user_id=user_id, shift=shift, started=started, log=log)
    _finish(engine, lots)
    return Seeded(made, seeded.token, seeded.seconds + time.perf_counter() - started)


def scan_message(lot: SeededLot) -> str:
    """The Data Matrix compound message of a lot's final-product bag: DIN, product code with division, COI."""
    din = din_ids.parse(lot.din)
    code = isbt.product_code(PRODUCT_CODE[:5], PRODUCT_CODE[5], BAG_DIVISION)
    return isbt.compound_message([
        isbt.din_structure(din), isbt.product_structure(code), isbt.coi_structure(coi_ids.parse(lot.coi)),
    ])
