"""Every row recorded at executed steps, read in bulk, and the record of a step as it stood at a moment.

Nothing recorded at a step is ever overwritten: a correction is a new value row that replaces an earlier one, with
its own `recorded_at`. So the record as it stood when a signature was made is the rows recorded by then, each
value the one in force then; rows appended since are what changed after signing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session
from sqlmodel import col, select

from batchtrack.models.container import Container
from batchtrack.models.equipment import Equipment, EquipmentUse
from batchtrack.models.material import MaterialLot, MaterialUse
from batchtrack.models.processing import StepValue, StepVessel


def in_force(values: Iterable[StepValue], *, as_of: datetime | None = None) -> dict[str, StepValue]:
    """The value in force for each name among `values` of one step (pure): the one no later correction replaced;
    with `as_of`, counting only the rows recorded at or before that moment."""
    rows = [row for row in values if as_of is None or row.recorded_at <= as_of]
    replaced = {row.replaces_id for row in rows if row.replaces_id is not None}
    return {row.name: row for row in sorted(rows, key=lambda r: r.id or 0) if row.id not in replaced}


@dataclass(frozen=True, slots=True)
class StepRows:
    """Every row recorded at one step, each list in the order it was recorded (values: corrections included)."""

    values: list[StepValue] = field(default_factory=list)
    vessels: list[tuple[StepVessel, Container]] = field(default_factory=list)
    materials: list[tuple[MaterialUse, MaterialLot]] = field(default_factory=list)
    instruments: list[tuple[EquipmentUse, Equipment]] = field(default_factory=list)

    def as_of(self, moment: datetime | None) -> StepRows:
        """The rows recorded at or before `moment` (pure); all of them for None (the record as it is now)."""
        if moment is None:
            return self
        return StepRows(values=[v for v in self.values if v.recorded_at <= moment],
                        vessels=[(v, c) for v, c in self.vessels if v.recorded_at <= moment],
                        materials=[(u, m) for u, m in self.materials if u.used_at <= moment],
                        instruments=[(u, e) for u, e in self.instruments if u.used_at <= moment])

    def after(self, moment: datetime) -> StepRows:
        """The rows recorded after `moment` (pure): what was appended to the step since then."""
        return StepRows(values=[v for v in self.values if v.recorded_at > moment],
                        vessels=[(v, c) for v, c in self.vessels if v.recorded_at > moment],
                        materials=[(u, m) for u, m in self.materials if u.used_at > moment],
                        instruments=[(u, e) for u, e in self.instruments if u.used_at > moment])

    def values_in_force(self) -> dict[str, StepValue]:
        """The value in force for each name among these rows."""
        return in_force(self.values)


def values_of(*, session: Session, step_ids: list[int]) -> dict[int, list[StepValue]]:
    """Every value row of each of the steps, corrections included, in the order recorded: one query."""
    values: dict[int, list[StepValue]] = {step_id: [] for step_id in step_ids}
    if step_ids:
        for value in session.execute(select(StepValue).where(col(StepValue.step_id).in_(step_ids))
                                     .order_by(col(StepValue.id))).scalars():
            values[value.step_id].append(value)
    return values


def rows_of(*, session: Session, step_ids: list[int]) -> dict[int, StepRows]:
    """Every row recorded at each of the steps, in four queries whatever their number."""
    recorded = {step_id: StepRows(values=values)
                for step_id, values in values_of(session=session, step_ids=step_ids).items()}
    if not step_ids:
        return recorded
    for vessel, container in session.execute(
            select(StepVessel, Container).join(Container, col(Container.id) == col(StepVessel.container_id))
            .where(col(StepVessel.step_id).in_(step_ids)).order_by(col(StepVessel.id))).all():
        recorded[vessel.step_id].vessels.append((vessel, container))
    for use, material in session.execute(
            select(MaterialUse, MaterialLot).join(MaterialLot, col(MaterialLot.id) == col(MaterialUse.material_lot_id))
            .where(col(MaterialUse.step_id).in_(step_ids)).order_by(col(MaterialUse.id))).all():
        recorded[use.step_id].materials.append((use, material))
    for used, instrument in session.execute(
            select(EquipmentUse, Equipment).join(Equipment, col(Equipment.id) == col(EquipmentUse.equipment_id))
            .where(col(EquipmentUse.step_id).in_(step_ids)).order_by(col(EquipmentUse.id))).all():
        recorded[used.step_id].instruments.append((used, instrument))
    return recorded
