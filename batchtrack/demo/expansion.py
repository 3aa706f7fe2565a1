"""Demonstration: the demo lot expanded at a processing workstation, from the aspirate to final containers.

Materials are received and released by QA, instruments registered with their calibration, and every step is
performed through the same services the workstation pages use: scans of vessels, materials and instruments,
values, new vessels labelled and scan-verified, the performer's signature and, where the process asks for
it, a second person's verification.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from batchtrack.auth.principal import Principal
from batchtrack.config import Settings
from batchtrack.equipment import schemas as equipment_schemas
from batchtrack.equipment import service as equipment_service
from batchtrack.i18n.text import Text, _
from batchtrack.identifiers import din as din_id
from batchtrack.identifiers import isbt
from batchtrack.labels import schemas as label_schemas
from batchtrack.labels import service as label_service
from batchtrack.lots import service as lot_service
from batchtrack.materials import schemas as material_schemas
from batchtrack.materials import service as material_service
from batchtrack.models.base import utcnow
from batchtrack.models.container import ContainerStatus
from batchtrack.processing import recording, schemas
from batchtrack.processing import service as step_service

STATION = "BSC-0001"  # the biosafety cabinet of the register below: lots are opened only at one
# The demo has no Zebra printer: labels a station prints go to files, one per print job, under the data folder.
DEMO_PRINTER = "127.0.0.1:9100"

MATERIALS = (
    ("medium", "alpha-MEM, nucleosides, 500 mL", "Cell Culture Media Co."),
    ("platelet_lysate", "Human platelet lysate, GMP grade, 100 mL", "Lysate Bio"),
    ("pen_strep", "Penicillin-streptomycin 100x, 100 mL", "Antibiotic Supplies"),
    ("trypsin", "Recombinant trypsin, 100 mL", "Enzyme Works"),
    ("saline", "0.9% sodium chloride for injection, 500 mL", "Infusion Pharma"),
    ("albumin", "Human serum albumin 20%, 50 mL", "Plasma Products"),
)
# (code, kind, description, calibration due so many days after registration): the counter's falls due soon after
# the demonstration's weeks, so the calibrations due have an item.
INSTRUMENTS = (
    ("BSC-0001", "biosafety_cabinet", "Class II biosafety cabinet, room 2", 180),
    ("CNT-0001", "cell_counter", "Automated cell counter", 45),
    ("INC-0001", "incubator", "CO2 incubator 1", 180),
)


@dataclass(frozen=True)
class Crew:
    """The people who act in the processing suite."""

    operator: Principal
    operator_password: str
    verifier: Principal
    verifier_password: str
    qa: Principal
    qa_password: str
    admin: Principal


def stock(*, session: Session, settings: Settings, crew: Crew) -> dict[str, str]:
    """Receive and release the processing materials and register the instruments; their codes by kind."""
    codes: dict[str, str] = {}
    for kind, description, supplier in MATERIALS:
        material = material_service.receive(session=session, settings=settings, actor=crew.operator,
                                            data=material_schemas.MaterialLotCreate(
                                                kind=kind, description=description, supplier=supplier,
                                                supplier_lot=f"{kind[:3].upper()}-24117",
                                                expires_at=utcnow() + timedelta(days=200)))
        material_service.release(session=session, actor=crew.qa, code=material.code,
                                 data=material_schemas.MaterialDecision(username=crew.qa.username,
                                                                        password=crew.qa_password,
                                                                        reason="certificate of analysis reviewed"))
        codes[kind] = material.code
    for code, kind, description, due_days in INSTRUMENTS:
        equipment_service.register(session=session, actor=crew.admin, data=equipment_schemas.EquipmentCreate(
            code=code, kind=kind, description=description, location="GMP suite",
            calibration_due=utcnow() + timedelta(days=due_days)))
        codes[kind] = code
    return codes


def _file_printer(folder: Path) -> Callable[[str, int, bytes, float], None]:
    def send(host: str, port: int, data: bytes, timeout: float) -> None:
        del host, port, timeout
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"print-{len(list(folder.glob('*.zpl'))) + 1:04d}.zpl").write_bytes(data)
    return send


def _label_new_vessels(session: Session, settings: Settings, crew: Crew, step_code: str) -> None:
    lot = step_service.require_open_lot(session=session, station=STATION)
    row = step_service.get_step(session=session, lot=lot, step_code=step_code)
    ids = recording.unlabelled_new_vessels(session=session, step=row)
    station_settings = settings.model_copy(update={"station_printers": {**settings.station_printers,
                                                                        STATION: DEMO_PRINTER}})
    outcome = label_service.print_labels(
        session=session, settings=station_settings, actor=crew.operator, din=lot.din,
        data=label_schemas.PrintRequest(container_ids=ids, format="zpl", station=STATION),
        send=_file_printer(settings.data_dir / "demo-printer"))
    for label in outcome.labels:
        scan = label_service.recorded_barcodes(label)["compound_datamatrix"]["data"]
        recording.scan(session=session, actor=crew.operator, station=STATION, step_code=step_code, raw=scan)


def _vessel_scans(session: Session, din: str) -> list[str]:
    lot = lot_service.get_by_din(session=session, din=din)
    return [isbt.din_structure(din_id.parse(din), flags=c.sample_flag)
            for c in lot_service.containers_of(session=session, lot=lot)
            if c.kind == "culture_vessel" and c.status == ContainerStatus.IN_USE]


def _step(session: Session, settings: Settings, crew: Crew, din: str, code: str, scans: list[str],
          values: dict[str, float], new_vessels: int = 0) -> None:
    actor = crew.operator
    step_service.start_step(session=session, actor=actor, station=STATION, step_code=code)
    for raw in scans:
        recording.scan(session=session, actor=actor, station=STATION, step_code=code, raw=raw)
    for name, value in values.items():
        recording.record_value(session=session, actor=actor, station=STATION, step_code=code,
                               data=schemas.ValueRecord(name=name, value=value))
    if new_vessels:
        recording.add_vessels(session=session, actor=actor, station=STATION, step_code=code,
                              data=schemas.VesselsAdd(count=new_vessels))
        _label_new_vessels(session, settings, crew, code)
    row = step_service.complete_step(session=session, actor=actor, station=STATION, step_code=code,
                                     username=actor.username, password=crew.operator_password)
    lot = lot_service.get_by_din(session=session, din=din)
    if step_service.planned(step_service.plan_of(lot), row.step_code).type.second_person:
        step_service.verify_step(session=session, actor=crew.verifier, din=din, step_code=code,
                                 username=crew.verifier.username, password=crew.verifier_password)


@dataclass(frozen=True)
class Growth:
    """How a lot's culture grows: cells seeded at the first passage and the fold at each harvest."""

    seeded: float
    folds: tuple[float, float, float]  # passage 1, passage 2, final harvest


def _performed(session: Session, settings: Settings, crew: Crew, din: str, bag_scan: str, code: str,
               scans: list[str], values: dict[str, float], new_vessels: int = 0) -> None:
    """Open the lot at the workstation (by its aspirate bag's label), perform one step, close the lot."""
    step_service.open_at_workstation(session=session, actor=crew.operator, station=STATION, scan=bag_scan)
    _step(session, settings, crew, din, code, scans, values, new_vessels)
    step_service.close_workstation(session=session, actor=crew.operator, station=STATION)


def _tools() -> list[str]:
    return [code for code, _kind, _description, _due in INSTRUMENTS]


def isolate(*, session: Session, settings: Settings, crew: Crew, codes: dict[str, str], din: str,
            bag_scan: str) -> None:
    """Isolate the marrow's nucleated cells and seed them at P0 into two labelled vessels."""
    _performed(session, settings, crew, din, bag_scan, "isolation",
               [bag_scan, codes["medium"], codes["platelet_lysate"], codes["pen_strep"], *_tools()],
               {"nucleated_cells": 6.1e8, "viability": 97, "cells_seeded": 6.1e8, "seeding_density": 1.6e5}, 2)


def passage(*, session: Session, settings: Settings, crew: Crew, codes: dict[str, str], din: str, bag_scan: str,
            number: int, growth: Growth) -> None:
    """Harvest the vessels and reseed a third of the cells into two new vessels (passage `number`, from 1)."""
    seeded = growth.seeded * math.prod(growth.folds[:number - 1]) / 3 ** (number - 1)
    harvested = seeded * growth.folds[number - 1]
    _performed(session, settings, crew, din, bag_scan, f"passage_{number}",
               [*_vessel_scans(session, din), codes["medium"], codes["platelet_lysate"], codes["pen_strep"],
                codes["trypsin"], *_tools()],
               {"confluence": 86, "cells_harvested": harvested, "viability": 95, "cells_seeded": harvested / 3,
                "seeding_density": 4000}, 2)


def harvest(*, session: Session, settings: Settings, crew: Crew, codes: dict[str, str], din: str, bag_scan: str,
            growth: Growth) -> None:
    """Harvest every vessel of the final passage."""
    seeded = growth.seeded * growth.folds[0] * growth.folds[1] / 9
    tools = _tools()
    _performed(session, settings, crew, din, bag_scan, "harvest",
               [*_vessel_scans(session, din), codes["trypsin"], codes["saline"], tools[0], tools[1]],
               {"confluence": 88, "cells_harvested": seeded * growth.folds[2], "viability": 94})


def formulate(*, session: Session, settings: Settings, crew: Crew, codes: dict[str, str], din: str, bag_scan: str,
              viable_cells: float) -> None:
    """Formulate one dose into its final product bag, labelled and scan-verified (its shelf life starts)."""
    tools = _tools()
    _performed(session, settings, crew, din, bag_scan, "formulation",
               [codes["saline"], codes["albumin"], tools[0], tools[1]],
               {"viable_cells": viable_cells, "viability": 93, "volume": 50}, 1)


def told() -> list[Text]:
    """What the expansion of the fully built lot did, in words."""
    return [
        _("materials received and released by QA ({count} lots); instruments registered, calibrated",
          count=len(MATERIALS)),
        _("lot opened at workstation {station}; isolation (P0), passages, harvest and formulation performed "
          "with every vessel, material and instrument scanned", station=STATION),
        _("performer signed each step; a second operator verified isolation, harvest and formulation"),
        _("formulated into one final product bag (one dose), its label printed (to a file under the data folder), "
          "applied and scan-verified"),
    ]
