"""Builders for step execution tests: released materials, calibrated instruments, a lot open at a workstation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import col, select

from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.identifiers import din as din_id
from batchtrack.identifiers import isbt
from batchtrack.labels import schemas as label_schemas
from batchtrack.labels import service as label_service
from batchtrack.models.base import utcnow
from batchtrack.models.equipment import Equipment
from batchtrack.models.material import MaterialLot, MaterialStatus
from batchtrack.models.user import Role
from batchtrack.processing import recording, schemas
from batchtrack.processing import service as step_service

from builders import SeededLot, UserHandle, make_user, seed_lot

STATION = "BSC-1"
ZEBRA = "127.0.0.1:9100"
MATERIAL_KINDS = ("medium", "platelet_lysate", "pen_strep", "trypsin", "saline", "albumin")
INSTRUMENTS = {"biosafety_cabinet": "BSC-0001", "cell_counter": "CNT-0001", "incubator": "INC-0001"}


def add_material(database: Database, kind: str, code: str, *, status: str = MaterialStatus.RELEASED,
                 expires_in_days: float = 180) -> str:
    """A material lot of `kind` with `status`, expiring in `expires_in_days` (negative: already expired)."""
    user = make_user(database, Role.QA)
    with database.transaction() as session:
        session.add(MaterialLot(code=code, kind=kind, description=f"{kind} for tests", supplier="Supplier",
                                supplier_lot=f"SL-{code}", expires_at=utcnow() + timedelta(days=expires_in_days),
                                status=status, received_by=user.principal.user_id or 0))
    return code


def add_instrument(database: Database, kind: str, code: str, *, due_in_days: float = 90) -> str:
    """An instrument whose calibration is due in `due_in_days` (negative: overdue)."""
    user = make_user(database, Role.ADMIN)
    with database.transaction() as session:
        session.add(Equipment(code=code, kind=kind, description=f"{kind} for tests",
                              calibration_due=utcnow() + timedelta(days=due_in_days),
                              registered_by=user.principal.user_id or 0))
    return code


def stock(database: Database) -> dict[str, str]:
    """One released, unexpired lot of every material and one calibrated instrument of each kind; kind -> code."""
    codes = {kind: add_material(database, kind, f"MT26{n:05d}") for n, kind in enumerate(MATERIAL_KINDS, start=1)}
    for kind, code in INSTRUMENTS.items():
        codes[kind] = add_instrument(database, kind, code)
    return codes


def register_cabinet(database: Database, station: str) -> None:
    """Make `station` a biosafety cabinet of the equipment register (lots are opened only at one), unless it is."""
    with database.transaction() as session:
        known = session.execute(select(col(Equipment.id)).where(col(Equipment.code) == station)).first()
    if known is None:
        add_instrument(database, "biosafety_cabinet", station)


def vessel_scan(din: str, flag: str) -> str:
    """What a scanner reads from a culture vessel's DIN barcode (the flag names the vessel)."""
    return isbt.din_structure(din_id.parse(din), flags=flag)


def bag_scan(din: str) -> str:
    """The aspirate bag's DIN barcode."""
    return isbt.din_structure(din_id.parse(din))


@dataclass(frozen=True)
class Bench:
    """A lot open at the workstation, an operator, a second operator to verify, and stock."""

    lot: SeededLot
    operator: UserHandle
    verifier: UserHandle
    stock: dict[str, str]


def open_bench(database: Database, settings: Settings, *, subject: str = "S-001", station: str = STATION,
               with_stock: bool = True) -> Bench:
    """Seed a lot in process, stock materials and instruments, and open the lot at the workstation."""
    lot = seed_lot(database, settings, subject=subject, mrn=f"MRN-{subject}")
    operator = make_user(database, Role.OPERATOR)
    verifier = make_user(database, Role.OPERATOR)
    codes = stock(database) if with_stock else {}
    register_cabinet(database, station)
    with database.transaction() as session:
        step_service.open_at_workstation(session=session, actor=operator.principal, station=station,
                                         scan=bag_scan(lot.din))
    return Bench(lot, operator, verifier, codes)


def label_new_vessels(database: Database, settings: Settings, bench: Bench, step_code: str,
                      station: str = STATION) -> None:
    """Print the labels of the step's new vessels, then apply each by scanning it at the workstation."""
    with database.transaction() as session:
        lot = step_service.require_open_lot(session=session, station=station)
        row = step_service.get_step(session=session, lot=lot, step_code=step_code)
        ids = recording.unlabelled_new_vessels(session=session, step=row)
        # Final product labels carry the recipient's identity: for an operator they go to the station's Zebra
        # printer, here one that keeps what it was sent.
        settings.station_printers = {**settings.station_printers, station: ZEBRA}
        outcome = label_service.print_labels(
            session=session, settings=settings, actor=bench.operator.principal, din=lot.din,
            data=label_schemas.PrintRequest(container_ids=ids, format="zpl", station=station),
            send=lambda host, port, data, timeout: None)
        scans = []
        for label in outcome.labels:
            # The 2-D code carries DIN, product code (with the division) and COI: it names one container.
            scans.append(label_service.recorded_barcodes(label)["compound_datamatrix"]["data"])
    for scan in scans:
        with database.transaction() as session:
            recording.scan(session=session, actor=bench.operator.principal, station=station, step_code=step_code,
                           raw=scan)


def run_isolation(database: Database, settings: Settings, bench: Bench, *, verify: bool = True,
                  values: dict[str, float] | None = None) -> None:
    """Isolation from the aspirate bag into two culture vessels, completed (and verified by a second person)."""
    actor = bench.operator.principal
    with database.transaction() as session:
        step_service.start_step(session=session, actor=actor, station=STATION, step_code="isolation")
        for raw in (bag_scan(bench.lot.din), bench.stock["medium"], bench.stock["platelet_lysate"],
                    bench.stock["pen_strep"], *INSTRUMENTS.values()):
            recording.scan(session=session, actor=actor, station=STATION, step_code="isolation", raw=raw)
        for name, value in (values or {"nucleated_cells": 4e8, "viability": 96, "cells_seeded": 4e8,
                                       "seeding_density": 1.6e5}).items():
            recording.record_value(session=session, actor=actor, station=STATION, step_code="isolation",
                                   data=schemas.ValueRecord(name=name, value=value))
        recording.add_vessels(session=session, actor=actor, station=STATION, step_code="isolation",
                              data=schemas.VesselsAdd(count=2))
    label_new_vessels(database, settings, bench, "isolation")
    with database.transaction() as session:
        step_service.complete_step(session=session, actor=actor, station=STATION, step_code="isolation",
                                   username=bench.operator.username, password=bench.operator.password)
    if verify:
        with database.transaction() as session:
            step_service.verify_step(session=session, actor=bench.verifier.principal, din=bench.lot.din,
                                     step_code="isolation",
                                     username=bench.verifier.username, password=bench.verifier.password)


def run_step(database: Database, settings: Settings, bench: Bench, code: str, *, scans: list[str],
             values: dict[str, float], new_vessels: int = 0) -> None:
    """Start, scan, record, add and label new vessels, complete; verify by the second operator if needed."""
    actor = bench.operator.principal
    with database.transaction() as session:
        step_service.start_step(session=session, actor=actor, station=STATION, step_code=code)
        for raw in scans:
            recording.scan(session=session, actor=actor, station=STATION, step_code=code, raw=raw)
        for name, value in values.items():
            recording.record_value(session=session, actor=actor, station=STATION, step_code=code,
                                   data=schemas.ValueRecord(name=name, value=value))
        if new_vessels:
            recording.add_vessels(session=session, actor=actor, station=STATION, step_code=code,
                                  data=schemas.VesselsAdd(count=new_vessels))
    if new_vessels:
        label_new_vessels(database, settings, bench, code)
    with database.transaction() as session:
        step_service.complete_step(session=session, actor=actor, station=STATION, step_code=code,
                                   username=bench.operator.username, password=bench.operator.password)
        lot = step_service.require_open_lot(session=session, station=STATION)
        needs_second = step_service.planned(step_service.plan_of(lot), code).type.second_person
    if needs_second:
        with database.transaction() as session:
            step_service.verify_step(session=session, actor=bench.verifier.principal, din=bench.lot.din,
                                     step_code=code, username=bench.verifier.username, password=bench.verifier.password)


def in_use_vessels(database: Database, din: str, kind: str = "culture_vessel") -> list[str]:
    """Scans of the lot's in-use containers of `kind`."""
    from batchtrack.lots import service as lot_service

    with database.transaction(write=False) as session:
        lot = lot_service.get_by_din(session=session, din=din)
        return [vessel_scan(din, c.sample_flag) for c in lot_service.containers_of(session=session, lot=lot)
                if c.kind == kind and c.status == "in_use"]


def run_to_formulation(database: Database, settings: Settings, bench: Bench) -> None:
    """Isolation, both passages, harvest and formulation into two final product bags."""
    s = bench.stock
    tools = list(INSTRUMENTS.values())
    run_isolation(database, settings, bench)
    seeded = 4e6
    for number in (1, 2):
        harvested = seeded * 8
        run_step(database, settings, bench, f"passage_{number}",
                 scans=[*in_use_vessels(database, bench.lot.din), s["medium"], s["platelet_lysate"], s["pen_strep"],
                        s["trypsin"], *tools],
                 values={"confluence": 85, "cells_harvested": harvested, "viability": 95,
                         "cells_seeded": harvested / 2, "seeding_density": 4000}, new_vessels=2)
        seeded = harvested / 2
    run_step(database, settings, bench, "harvest",
             scans=[*in_use_vessels(database, bench.lot.din), s["trypsin"], s["saline"], tools[0], tools[1]],
             values={"confluence": 88, "cells_harvested": seeded * 6, "viability": 94})
    run_step(database, settings, bench, "formulation",
             scans=[s["saline"], s["albumin"], tools[0], tools[1]],
             values={"viable_cells": 6.2e7, "viability": 93, "volume": 50}, new_vessels=2)
