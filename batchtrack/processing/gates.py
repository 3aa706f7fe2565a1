"""Rules of step execution (pure): starting, recording values, completing and verifying a step.

Each rule takes plain facts and returns every reason it refuses; an empty list allows the action.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from batchtrack.errors import Reason
from batchtrack.i18n import recorded
from batchtrack.i18n.data_files import data_words
from batchtrack.i18n.text import Text, _
from batchtrack.lots import state_names
from batchtrack.processing.definition import Plan, PlannedStep, ValueDefinition

# Spelled as in models.processing.StepState (the tests check), so that these rules import no table.
IN_PROGRESS = "in_progress"
COMPLETED = "completed"
VERIFIED = "verified"


def _roles_text(roles: tuple[str, ...]) -> str:
    return ", ".join(roles)


def _human(state: str) -> str:
    return state.replace("_", " ")


def _lot_state(state: str) -> Text:
    return state_names.lot_state(state)


def _step_state(state: str) -> Text:
    return state_names.step_state(state)


def step_done(step: PlannedStep, state: str | None) -> bool:
    """A step is done when completed and, where it needs a second person, verified."""
    if step.type.second_person:
        return state == VERIFIED
    return state in (COMPLETED, VERIFIED)


def workstation_refusals(*, station_lot: str | None, lot_din: str) -> list[Reason]:
    """One lot open per workstation: the station must be free, or already have this lot open."""
    if station_lot is None or station_lot == lot_din:
        return []
    return [Reason("station.other_lot_open",
                   _("lot {open_din} is open at this workstation; close it before opening lot {din}",
                     open_din=station_lot, din=lot_din))]


def start_refusals(
    *, plan: Plan, step: PlannedStep, states: Mapping[str, str], lot_state: str, actor_roles: frozenset[str],
) -> list[Reason]:
    """Start `step`: not yet started, no other step in progress, every earlier required step done, the lot in
    a state the step allows, and the actor in one of the step's performing roles."""
    reasons: list[Reason] = []
    if step.code in states:
        reasons.append(Reason("step.already_started", _("{step} was already started for this lot",
                                                        step=data_words(step.title))))
    running = [s.title for s in plan.steps if states.get(s.code) == IN_PROGRESS]
    if running:
        reasons.append(Reason("step.other_in_progress",
                              _("{step} is still in progress; complete it first", step=running[0])))
    for earlier in plan.steps[: step.ordinal - 1]:
        if earlier.type.optional and earlier.code not in states:
            continue
        if not step_done(earlier, states.get(earlier.code)):
            message = (_("{earlier} must be completed and verified before {step}", earlier=data_words(earlier.title),
                         step=data_words(step.title)) if earlier.type.second_person
                       else _("{earlier} must be completed before {step}", earlier=data_words(earlier.title),
                              step=data_words(step.title)))
            reasons.append(Reason("step.out_of_order", message))
            break
    if step.type.after is not None and states.get(step.type.after) is None:
        reasons.append(Reason("step.out_of_order", _("{step} follows {after}, which was not done",
                                                           step=data_words(step.title), after=step.type.after)))
    if lot_state not in step.type.lot_states:
        if lot_state == "on_hold":
            reasons.append(Reason("lot.on_hold", _("the lot is on hold; QA must lift the hold before processing")))
        else:
            allowed = state_names.joined([_lot_state(s) for s in step.type.lot_states])
            reasons.append(Reason("lot.wrong_state",
                                  _("the lot is {state}; {step} is done only when it is {allowed}",
                                    state=_lot_state(lot_state), step=data_words(step.title), allowed=allowed)))
    if not actor_roles & set(step.type.perform_roles):
        reasons.append(_performed_by(step))
    return reasons


def _performed_by(step: PlannedStep) -> Reason:
    return Reason("actor.role", _("{step} is performed by: {roles}", step=data_words(step.title),
                                  roles=_roles_text(step.type.perform_roles)))


def step_open_refusals(*, step: PlannedStep, state: str, lot_state: str) -> list[Reason]:
    """Record at a step (values, vessels, materials, equipment): only while it is in progress and the lot moves."""
    reasons: list[Reason] = []
    if state != IN_PROGRESS:
        reasons.append(Reason("step.not_in_progress",
                              _("{step} is {state}; recorded values change only by correction",
                                step=data_words(step.title), state=_step_state(state))))
    if lot_state == "on_hold":
        reasons.append(Reason("lot.on_hold", _("the lot is on hold; QA must lift the hold before processing")))
    return reasons


def value_refusals(definition: ValueDefinition | None, name: str, value: float) -> list[Reason]:
    """A value must be one the step records, and physically possible (inside its range)."""
    if definition is None:
        return [Reason("value.unknown", _("this step records no value called {name}", name=repr(name[:32])))]
    low, high = definition.range
    if not low <= value <= high:
        return [Reason("value.out_of_range",
                       _("{label} {value} {unit} is impossible (range {low} to {high})",
                         label=data_words(definition.label), value=recorded.figure(value, definition.unit),
                         unit=recorded.unit(definition.unit), low=recorded.figure(low, definition.unit),
                         high=recorded.figure(high, definition.unit)))]
    return []


def limit_breach(definition: ValueDefinition, value: float) -> str | None:
    """Why a possible value lies outside the process limits (it is recorded and opens a deviation), or None; in
    English, as the deviation's description and the batch record keep it."""
    breach = limit_breach_text(definition, value)
    return None if breach is None else str(breach)


def limit_breach_text(definition: ValueDefinition, value: float) -> Text | None:
    """Why a possible value lies outside the process limits, for people to read in their language; or None."""
    low, high = definition.limits
    if low is not None and value < low:
        return _("{label} {value} {unit} is below the limit {limit}", label=data_words(definition.label),
                 value=recorded.figure(value, definition.unit), unit=recorded.unit(definition.unit),
                 limit=recorded.figure(low, definition.unit))
    if high is not None and value > high:
        return _("{label} {value} {unit} is above the limit {limit}", label=data_words(definition.label),
                 value=recorded.figure(value, definition.unit), unit=recorded.unit(definition.unit),
                 limit=recorded.figure(high, definition.unit))
    return None


@dataclass(frozen=True, slots=True)
class StepRecord:
    """What has been recorded at a step so far, for judging its completion."""

    values: frozenset[str] = field(default_factory=frozenset)
    vessels_in: int = 0
    vessels_out: int = 0
    vessels_out_unverified: tuple[str, ...] = ()  # containers whose label is not applied and scan-verified
    material_kinds: frozenset[str] = field(default_factory=frozenset)
    equipment_kinds: frozenset[str] = field(default_factory=frozenset)


def complete_refusals(*, step: PlannedStep, state: str, record: StepRecord, actor_roles: frozenset[str],
                      lot_state: str) -> list[Reason]:
    """Complete a step: every value recorded, vessels scanned in, new vessels labelled and scan-verified,
    every material and instrument the step needs scanned, by a performing role."""
    reasons = step_open_refusals(step=step, state=state, lot_state=lot_state)
    missing = [v.label for v in step.type.values if v.name not in record.values]
    if missing:
        reasons.append(Reason("step.values_missing", _("not yet recorded: {values}", values=", ".join(missing))))
    if step.type.vessels_in and record.vessels_in == 0:
        kinds = " or ".join(_human(k) for k in step.type.vessels_in)
        reasons.append(Reason("step.vessel_missing", _("scan the {kinds} this step works on", kinds=kinds)))
    if step.type.vessels_out is not None:
        if record.vessels_out == 0:
            reasons.append(Reason("step.no_new_vessels",
                                  _("this step puts the cells into new {kind}s: add them",
                                    kind=_human(step.type.vessels_out))))
        if record.vessels_out_unverified:
            unverified = ", ".join(record.vessels_out_unverified)
            reasons.append(Reason("step.labels_unverified",
                                  _("label not applied and scan-verified on: {containers}", containers=unverified)))
    materials = [k for k in step.type.materials if k not in record.material_kinds]
    if materials:
        reasons.append(Reason("step.materials_missing",
                              _("scan a lot of: {kinds}", kinds=", ".join(_human(k) for k in materials))))
    instruments = [k for k in step.type.equipment if k not in record.equipment_kinds]
    if instruments:
        reasons.append(Reason("step.equipment_missing",
                              _("scan the instrument used: {kinds}", kinds=", ".join(_human(k) for k in instruments))))
    if not actor_roles & set(step.type.perform_roles):
        reasons.append(_performed_by(step))
    return reasons


def verify_refusals(*, step: PlannedStep, state: str, performers: frozenset[int], verifier_id: int | None,
                    verifier_roles: frozenset[str]) -> list[Reason]:
    """Second-person verification: a completed step that needs it, by a verifying role, never by a person
    who performed any part of the step (four eyes)."""
    reasons: list[Reason] = []
    if not step.type.second_person:
        reasons.append(Reason("step.no_verification",
                              _("{step} does not need a second-person verification", step=data_words(step.title))))
    if state != COMPLETED:
        reasons.append(Reason("step.not_completed",
                              _("{step} is {state}; only a completed step is verified", step=data_words(step.title),
                                state=_step_state(state))))
    if verifier_id is None or verifier_id in performers:
        reasons.append(Reason("step.four_eyes",
                              _("the verifier performed part of this step; another person must verify")))
    if not verifier_roles & set(step.type.verify_roles):
        reasons.append(Reason("actor.role", _("{step} is verified by: {roles}", step=data_words(step.title),
                                                roles=_roles_text(step.type.verify_roles))))
    return reasons
