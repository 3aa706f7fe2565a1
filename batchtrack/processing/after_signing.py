"""What was appended to a signed step after its signature, against what the audit trail says was appended.

A step's signatures cover the step as it stood when each was made, so a row appended since leaves them intact.
The application appends one thing to a completed step: a corrected value, a new row replacing the one in force,
audited as `value.corrected` with its reason. Anything else appended after a signature, or a correction the trail
does not record as it stands, was written behind the application's back: the signature check names it.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session
from sqlmodel import col, select

from batchtrack.models.audit import AuditEntry
from batchtrack.models.lot import Lot
from batchtrack.models.processing import ProcessStep, StepValue, VesselRole
from batchtrack.models.signature import Signature
from batchtrack.processing import step_rows

CORRECTED = "value.corrected"


@dataclass(frozen=True, slots=True)
class AuditedCorrection:
    """What a `value.corrected` entry of a step records: where, which row replaced which, and the new value."""

    seq: int
    lot_din: str
    step_code: str
    name: str
    value: Any
    value_id: Any
    replaced_id: Any


def correction_of(seq: int, lot_din: str, old_values: str, new_values: str) -> AuditedCorrection | None:
    """The step-value correction an entry records (pure); None for a correction of anything else (a QC result)."""
    old, new = json.loads(old_values), json.loads(new_values)
    if not isinstance(new, dict) or "value_id" not in new or "step" not in new:
        return None
    return AuditedCorrection(seq, lot_din, str(new["step"]), str(new.get("name")), new.get("value"), new["value_id"],
                             old.get("value_id") if isinstance(old, dict) else None)


def value_problem(row: StepValue, lot_din: str, step_code: str, entries: Sequence[AuditedCorrection]) -> str | None:
    """Why a value row appended after signing is not a correction as the trail records it (pure); None if it is."""
    named = f"{row.name} {row.value!r} (row #{row.id}, recorded {row.recorded_at.isoformat()})"
    if row.replaces_id is None:
        return (f"{named} was recorded after this signature without replacing a value: a signed step takes "
                "corrections only")
    if not entries:
        return (f"{named} replaces row #{row.replaces_id} after this signature, but no {CORRECTED} audit entry "
                "records it")
    for entry in entries:
        if (entry.lot_din, entry.step_code, entry.name, entry.replaced_id) == (lot_din, step_code, row.name,
                                                                                row.replaces_id) \
                and isinstance(entry.value, int | float) and float(entry.value) == row.value:
            return None
    entry = entries[-1]
    return (f"{named} replaces row #{row.replaces_id} after this signature, but its {CORRECTED} audit entry "
            f"#{entry.seq} recorded {entry.name} {entry.value!r} replacing row #{entry.replaced_id} at step "
            f"{entry.step_code} of lot {entry.lot_din}")


def _others(rows: step_rows.StepRows) -> list[str]:
    """The rows other than values appended after a signature, named; the application appends none."""
    vessels = [f"{'new ' if v.role == VesselRole.OUT else ''}vessel {c.din} (container {c.id}, recorded "
               f"{v.recorded_at.isoformat()})" for v, c in rows.vessels]
    materials = [f"material {m.code} ({m.kind}, used {u.used_at.isoformat()})" for u, m in rows.materials]
    instruments = [f"instrument {e.code} ({e.kind}, used {u.used_at.isoformat()})" for u, e in rows.instruments]
    return [f"{what} was recorded at the step after this signature: a signed step takes value corrections only"
            for what in (*vessels, *materials, *instruments)]


def _audited_corrections(session: Session) -> dict[Any, list[AuditedCorrection]]:
    """Every step-value correction the trail records, by the id of the row it names as the new value: one query."""
    found: dict[Any, list[AuditedCorrection]] = defaultdict(list)
    for seq, entity_id, old, new in session.execute(
            select(col(AuditEntry.seq), col(AuditEntry.entity_id), col(AuditEntry.old_values),
                   col(AuditEntry.new_values)).where(col(AuditEntry.action) == CORRECTED,
                                                     col(AuditEntry.entity_type) == "lot")
            .order_by(col(AuditEntry.seq))).all():
        correction = correction_of(seq, entity_id, old, new)
        if correction is not None:
            found[correction.value_id].append(correction)
    return found


def unrecorded_after(*, session: Session, signatures: Sequence[Signature]) -> dict[int, list[str]]:
    """For each step signature, every row appended to its step after it that is not a correction as the trail
    records it (no entry: nothing), in a fixed number of queries whatever their number."""
    ids = sorted({int(s.entity_id) for s in signatures if s.entity_id.isdecimal()})
    steps = {row.id: row for row in session.execute(select(ProcessStep).where(col(ProcessStep.id).in_(ids))
                                                    ).scalars()} if ids else {}
    recorded = step_rows.rows_of(session=session, step_ids=[i for i in steps if i is not None])
    appended = {s.id or 0: (step, recorded[step.id or 0].after(s.signed_at)) for s in signatures
                if s.entity_id.isdecimal() and (step := steps.get(int(s.entity_id))) is not None}
    if not any(rows.values or rows.vessels or rows.materials or rows.instruments for _, rows in appended.values()):
        return {}  # the usual case: nothing appended since signing, no need to read the trail
    lot_ids = {step.lot_id for step, _ in appended.values()}
    dins: dict[int | None, str] = {lot_id: din for lot_id, din in session.execute(
        select(col(Lot.id), col(Lot.din)).where(col(Lot.id).in_(lot_ids))).all()}
    corrections = _audited_corrections(session) if any(rows.values for _, rows in appended.values()) else {}
    problems: dict[int, list[str]] = {}
    for signature_id, (step, rows) in appended.items():
        din = dins.get(step.lot_id, "")
        found = [problem for row in rows.values
                 if (problem := value_problem(row, din, step.step_code, corrections.get(row.id, []))) is not None]
        found += _others(rows)
        if found:
            problems[signature_id] = found
    return problems
