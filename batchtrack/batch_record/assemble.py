"""The batch record of a lot, assembled from its executed steps as one read-only picture.

It is read straight from the tables, in a fixed handful of queries (never one per value), and never carries
patient identity: the lot is known by its DIN, its therapy's COI identifier and the subject code.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, or_
from sqlalchemy.orm import Session
from sqlmodel import col, select

from batchtrack.auth import signatures as signing
from batchtrack.batch_record import formatting
from batchtrack.batch_record.record import (
    BatchRecord,
    Correction,
    DeviationEntry,
    EquipmentEntry,
    LotHeader,
    MaterialEntry,
    RecordedValue,
    SignatureEntry,
    StepEntry,
    VesselEntry,
)
from batchtrack.deviations import service as deviation_service
from batchtrack.errors import NotFound
from batchtrack.i18n.data_files import data_words
from batchtrack.i18n.text import Text, _
from batchtrack.identifiers import coi as coi_id
from batchtrack.identifiers import din as din_id
from batchtrack.models.base import utcnow
from batchtrack.models.collection import Collection
from batchtrack.models.container import Container
from batchtrack.models.deviation import Deviation
from batchtrack.models.equipment import Equipment, EquipmentUse
from batchtrack.models.lot import Lot, LotCollection
from batchtrack.models.material import MaterialLot, MaterialUse
from batchtrack.models.party import Recipient
from batchtrack.models.processing import ProcessStep, StepValue, StepVessel, VesselRole
from batchtrack.models.signature import Signature
from batchtrack.models.therapy import Therapy
from batchtrack.models.user import User
from batchtrack.processing import definition, gates, growth
from batchtrack.processing import service as step_service
from batchtrack.processing.definition import ProcessDefinition, ProcessFileError, StepType, ValueDefinition
from batchtrack.processing.growth import GrowthCounts, GrowthPoint

# Growth counts by the name the process definition gives them (only those it marks `growth` enter the curve).
HARVESTED = "cells_harvested"
SEEDED = "cells_seeded"
LOT_SIGNATURE_ENTITY = "lot"


def _definition(code: str, version: int) -> ProcessDefinition | None:
    """The process definition the steps ran under; None if this installation no longer has that version
    (then labels and limits are not guessed from another version)."""
    try:
        found = definition.load(code)
    except (NotFound, ProcessFileError):
        return None
    return found if found.version == version else None


def _step_type(process: ProcessDefinition | None, code: str) -> StepType | None:
    if process is None:
        return None
    return next((t for t in process.steps if t.code == code), None)


def _names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = session.execute(select(col(User.id), col(User.full_name)).where(col(User.id).in_(wanted))).all()
    return {user_id: name for user_id, name in rows if user_id is not None}


def _chains(rows: list[StepValue]) -> list[list[StepValue]]:
    """Each value's rows from first entry to current: a row is followed by the row that replaces it.

    A row that replaces none of `rows` starts a chain of its own, so no recorded row is ever left out.
    """
    ids = {row.id for row in rows}
    by_replaced = {row.replaces_id: row for row in rows if row.replaces_id is not None}
    chains: list[list[StepValue]] = []
    for row in rows:
        if row.replaces_id in ids:
            continue
        chain = [row]
        seen = {row.id}
        while (following := by_replaced.get(chain[-1].id or 0)) is not None and following.id not in seen:
            chain.append(following)
            seen.add(following.id)
        chains.append(chain)
    return chains


def _recorded_value(chain: list[StepValue], spec: ValueDefinition | None, names: dict[int, str]) -> RecordedValue:
    first, current = chain[0], chain[-1]
    corrections = tuple(
        Correction(old_value=old.value, new_value=new.value, reason=new.reason,
                   corrected_by=names.get(new.recorded_by, f"user {new.recorded_by}"), corrected_at=new.recorded_at)
        for old, new in itertools.pairwise(chain)
    )
    breach = gates.limit_breach_text(spec, current.value) if spec is not None else None
    low, high = spec.limits if spec is not None else (None, None)
    return RecordedValue(
        name=first.name, label=spec.label if spec is not None else first.name.replace("_", " "),
        unit=current.unit or (spec.unit if spec is not None else ""), low_limit=low, high_limit=high,
        value=current.value, original_value=first.value,
        entered_by=names.get(first.recorded_by, f"user {first.recorded_by}"), entered_at=first.recorded_at,
        out_of_limit=breach is not None, limit_breach=breach, corrections=corrections,
    )


def _values(rows: list[StepValue], step_type: StepType | None, names: dict[int, str]) -> tuple[RecordedValue, ...]:
    order = {v.name: i for i, v in enumerate(step_type.values)} if step_type is not None else {}
    specs = {v.name: v for v in step_type.values} if step_type is not None else {}
    chains = sorted(_chains(rows), key=lambda c: (order.get(c[0].name, len(order)), c[0].name, c[0].id or 0))
    return tuple(_recorded_value(chain, specs.get(chain[0].name), names) for chain in chains)


def _signature(row: Signature, signed_for: str | Text, zone: str, content: dict[str, Any] | None,
               applied: Sequence[signing.Applied]) -> SignatureEntry:
    assert row.id is not None
    return SignatureEntry(
        id=row.id, printed_name=row.printed_name, meaning=row.meaning, signed_at=row.signed_at,
        signed_at_local=formatting.local(row.signed_at, zone), signed_for=signed_for,
        entity_type=row.entity_type, entity_id=row.entity_id, content_hash=row.content_hash,
        intact=None if content is None else signing.is_intact(row, content, applied),
    )


def _growth(steps: list[ProcessStep], values: dict[int, tuple[RecordedValue, ...]],
            types: dict[int, StepType | None]) -> tuple[GrowthPoint, ...]:
    """The growth curve from the current (corrected) counts the definition marks as growth counts."""
    if not steps:
        return ()
    counts: list[GrowthCounts] = []
    for step in steps:
        assert step.id is not None
        step_type = types[step.id]
        growth_names = {v.name for v in step_type.values if v.growth} if step_type is not None else set()
        current = {v.name: v.value for v in values[step.id] if v.name in growth_names}
        if HARVESTED in current or SEEDED in current:
            counts.append(GrowthCounts(step_code=step.step_code, at=step.started_at,
                                       harvested=current.get(HARVESTED), seeded=current.get(SEEDED)))
    return tuple(growth.curve(counts, steps[0].started_at))


def _process(steps: list[ProcessStep]) -> tuple[str, int, ProcessDefinition | None]:
    """The process code and version the steps ran under (before any step: the default process as it is now)."""
    if steps:
        code, version = steps[0].process_code, steps[0].process_version
        return code, version, _definition(code, version)
    try:
        current = definition.load(definition.DEFAULT_PROCESS)
    except (NotFound, ProcessFileError):
        return definition.DEFAULT_PROCESS, 0, None
    return current.code, current.version, current


def _header(session: Session, lot: Lot, process: tuple[str, int, ProcessDefinition | None]) -> LotHeader:
    # Only the subject code is read from the recipient: the name, birth date and MRN are never loaded.
    coi, subject_code = session.execute(
        select(col(Therapy.coi), col(Recipient.subject_code))
        .join(Recipient, col(Recipient.id) == col(Therapy.recipient_id))
        .where(col(Therapy.id) == lot.therapy_id)
    ).one()
    collections = session.execute(
        select(col(Collection.din)).join(LotCollection, col(LotCollection.collection_id) == col(Collection.id))
        .where(col(LotCollection.lot_id) == lot.id).order_by(col(Collection.din))
    ).scalars()
    code, version, found = process
    parsed = din_id.parse(lot.din)
    return LotHeader(
        din=lot.din, din_check=parsed.check, din_eye_readable=din_id.eye_readable(parsed),
        therapy_coi=str(coi), therapy_coi_check=coi_id.parse(str(coi)).check, subject_code=str(subject_code),
        product_code=lot.product_code, state=lot.state, process_code=code, process_version=version,
        process_title=found.title if found is not None else "", collections=tuple(collections),
        expires_at=lot.expires_at, created_at=lot.created_at,
    )


@dataclass(frozen=True, slots=True)
class _Rows:
    """Everything the record is built from, loaded in a fixed number of queries."""

    steps: list[ProcessStep]
    values: list[StepValue]
    vessels: Sequence[tuple[StepVessel, Container]]
    materials: Sequence[tuple[MaterialUse, MaterialLot]]
    equipment: Sequence[tuple[EquipmentUse, Equipment]]
    deviations: list[Deviation]
    signatures: dict[int | None, Signature]
    applied: dict[int, list[signing.Applied]]  # the signature.applied audit entries, by signature id
    names: dict[int, str]

    def name(self, user_id: int | None) -> str:
        """The full name of a user ('' for nobody)."""
        return "" if user_id is None else self.names.get(user_id, f"user {user_id}")


def _load(session: Session, lot: Lot) -> _Rows:
    steps = list(session.execute(
        select(ProcessStep).where(col(ProcessStep.lot_id) == lot.id)
        .order_by(col(ProcessStep.ordinal), col(ProcessStep.id))
    ).scalars())
    ids = [s.id for s in steps if s.id is not None]
    values = list(session.execute(
        select(StepValue).where(col(StepValue.step_id).in_(ids)).order_by(col(StepValue.id))
    ).scalars()) if ids else []
    vessels = list(session.execute(
        select(StepVessel, Container).join(Container, col(Container.id) == col(StepVessel.container_id))
        .where(col(StepVessel.step_id).in_(ids)).order_by(col(StepVessel.id))
    ).all()) if ids else []
    materials = list(session.execute(
        select(MaterialUse, MaterialLot).join(MaterialLot, col(MaterialLot.id) == col(MaterialUse.material_lot_id))
        .where(col(MaterialUse.step_id).in_(ids)).order_by(col(MaterialUse.id))
    ).all()) if ids else []
    equipment = list(session.execute(
        select(EquipmentUse, Equipment).join(Equipment, col(Equipment.id) == col(EquipmentUse.equipment_id))
        .where(col(EquipmentUse.step_id).in_(ids)).order_by(col(EquipmentUse.id))
    ).all()) if ids else []
    deviations = list(session.execute(
        select(Deviation).where(col(Deviation.lot_id) == lot.id).order_by(col(Deviation.id))
    ).scalars())
    signature_ids = {i for s in steps for i in (s.performed_signature_id, s.verified_signature_id) if i is not None}
    signature_ids |= {d.closed_signature_id for d in deviations if d.closed_signature_id is not None}
    signatures = {row.id: row for row in session.execute(
        select(Signature).where(or_(
            col(Signature.id).in_(signature_ids),
            and_(col(Signature.entity_type) == LOT_SIGNATURE_ENTITY, col(Signature.entity_id) == lot.din),
        )).order_by(col(Signature.signed_at), col(Signature.id))
    ).scalars()}
    names = _names(session, [
        *(i for s in steps for i in (s.started_by, s.completed_by, s.verified_by)),
        *(v.recorded_by for v in values), *(v.recorded_by for v, _ in vessels),
        *(m.used_by for m, _ in materials), *(e.used_by for e, _ in equipment),
        *(i for d in deviations for i in (d.opened_by, d.closed_by)),
    ])
    applied = signing.applied_entries(session=session, of=list(signatures.values()))
    return _Rows(steps, values, vessels, materials, equipment, deviations, signatures, applied, names)


def _vessels(rows: _Rows) -> dict[int, list[VesselEntry]]:
    by_step: dict[int, list[VesselEntry]] = defaultdict(list)
    for vessel, container in rows.vessels:
        assert container.id is not None
        by_step[vessel.step_id].append(VesselEntry(
            role=vessel.role, container_id=container.id, din=container.din, kind=container.kind,
            product_code=container.product_code, division=container.division, sample_flag=container.sample_flag,
            status=container.status, recorded_by=rows.name(vessel.recorded_by), recorded_at=vessel.recorded_at,
        ))
    return by_step


def _materials(rows: _Rows) -> dict[int, list[MaterialEntry]]:
    by_step: dict[int, list[MaterialEntry]] = defaultdict(list)
    for use, material in rows.materials:
        by_step[use.step_id].append(MaterialEntry(
            code=material.code, kind=material.kind, description=material.description, supplier=material.supplier,
            supplier_lot=material.supplier_lot, expires_at=material.expires_at, status=material.status,
            quantity=use.quantity, unit=use.unit, used_by=rows.name(use.used_by), used_at=use.used_at,
        ))
    return by_step


def _equipment(rows: _Rows) -> dict[int, list[EquipmentEntry]]:
    by_step: dict[int, list[EquipmentEntry]] = defaultdict(list)
    for use, instrument in rows.equipment:
        by_step[use.step_id].append(EquipmentEntry(
            code=instrument.code, kind=instrument.kind, description=instrument.description,
            calibration_due=instrument.calibration_due, used_by=rows.name(use.used_by), used_at=use.used_at,
        ))
    return by_step


class _Signatures:
    """The signatures of the record, each described by what it attests the first time it is met."""

    def __init__(self, rows: _Rows, zone: str) -> None:
        self.rows = rows.signatures
        self.applied = rows.applied
        self.zone = zone
        self.entries: dict[int, SignatureEntry] = {}

    def get(self, signature_id: int | None, signed_for: str | Text,
            content: dict[str, Any] | None = None) -> SignatureEntry | None:
        row = self.rows.get(signature_id) if signature_id is not None else None
        if row is None or row.id is None:
            return None
        if row.id not in self.entries:
            self.entries[row.id] = _signature(row, signed_for, self.zone, content, self.applied.get(row.id, []))
        return self.entries[row.id]

    def all(self, lot_din: str) -> tuple[SignatureEntry, ...]:
        for row in self.rows.values():
            self.get(row.id, _("lot {din}: {meaning}", din=lot_din, meaning=formatting.words(row.meaning)))
        return tuple(sorted(self.entries.values(), key=lambda s: (s.signed_at, s.id)))


def _step_content(lot: Lot, step: ProcessStep, values: tuple[RecordedValue, ...], vessels: list[VesselEntry],
                  materials: list[MaterialEntry], equipment: list[EquipmentEntry]) -> dict[str, Any]:
    """What the step's signatures covered, rebuilt from the record as it stands now."""
    def name(v: VesselEntry) -> str:
        return step_service.vessel_name(kind=v.kind, din=v.din, division=v.division, sample_flag=v.sample_flag)
    return step_service.step_content(
        lot_din=lot.din, step_code=step.step_code, process_code=step.process_code,
        process_version=step.process_version, values={v.name: v.value for v in values},
        vessels_in=[name(v) for v in vessels if v.role == VesselRole.IN],
        vessels_out=[name(v) for v in vessels if v.role != VesselRole.IN],
        materials=[m.code for m in materials], equipment=[e.code for e in equipment],
    )


def assemble(*, session: Session, lot: Lot, display_timezone: str = "UTC") -> BatchRecord:
    """The batch record of `lot`: steps with values and corrections, what they used, signatures, deviations, growth."""
    rows = _load(session, lot)
    process = _process(rows.steps)
    types = {s.id: _step_type(process[2], s.step_type) for s in rows.steps if s.id is not None}
    values_of: dict[int, list[StepValue]] = defaultdict(list)
    for value in rows.values:
        values_of[value.step_id].append(value)
    vessels, materials, equipment = _vessels(rows), _materials(rows), _equipment(rows)
    signatures = _Signatures(rows, display_timezone)
    values: dict[int, tuple[RecordedValue, ...]] = {}
    steps: list[StepEntry] = []
    for step in rows.steps:
        assert step.id is not None
        values[step.id] = _values(values_of[step.id], types[step.id], rows.names)
        content = _step_content(lot, step, values[step.id], vessels[step.id], materials[step.id], equipment[step.id])
        steps.append(StepEntry(
            code=step.step_code, step_type=step.step_type, ordinal=step.ordinal, title=step.title,
            station=step.station, state=step.state, started_by=rows.name(step.started_by),
            started_at=step.started_at, completed_by=rows.name(step.completed_by) or None,
            completed_at=step.completed_at, verified_by=rows.name(step.verified_by) or None,
            verified_at=step.verified_at,
            performed_signature=signatures.get(step.performed_signature_id,
                                               _("{step}: performed", step=data_words(step.title)), content),
            verified_signature=signatures.get(step.verified_signature_id,
                                              _("{step}: verified", step=data_words(step.title)), content),
            values=values[step.id],
            vessels_in=tuple(v for v in vessels[step.id] if v.role == VesselRole.IN),
            vessels_out=tuple(v for v in vessels[step.id] if v.role != VesselRole.IN),
            materials=tuple(materials[step.id]), equipment=tuple(equipment[step.id]),
        ))
    by_id = {s.id: s for s in rows.steps}
    deviations = tuple(DeviationEntry(
        number=d.number, state=d.state, origin=d.origin,
        step_code=by_id[d.step_id].step_code if d.step_id in by_id else None,
        step_title=by_id[d.step_id].title if d.step_id in by_id else None, description=d.description,
        impact=d.impact, opened_by=rows.name(d.opened_by), opened_at=d.opened_at, closure=d.closure,
        closed_by=rows.name(d.closed_by) or None, closed_at=d.closed_at,
        closed_signature=signatures.get(d.closed_signature_id, _("deviation {number}: closed", number=d.number),
                                        deviation_service.closure_content(deviation=d, lot_din=lot.din)),
    ) for d in rows.deviations)
    return BatchRecord(
        header=_header(session, lot, process), steps=tuple(steps), deviations=deviations,
        signatures=signatures.all(lot.din), growth=_growth(rows.steps, values, types),
        display_timezone=display_timezone, generated_at=utcnow(),
    )
