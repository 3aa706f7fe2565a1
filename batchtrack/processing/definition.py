"""Process definitions (`processes/<CODE>.json`): versioned data naming each step, its values and limits.

A definition names the step types once; `plan()` expands it into the ordered steps of one lot, with the
configured number of passages (P1, P2, ...) between isolation (P0) and harvest.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from batchtrack.errors import NotFound
from batchtrack.i18n import data_files
from batchtrack.i18n.text import _
from batchtrack.resources import resource_dir

_CODE = re.compile(r"^[A-Z0-9-]{2,32}$")
DEFAULT_PROCESS = "BM-MSC-EXP"


class ProcessFileError(RuntimeError):
    """A process file that does not validate: the installation is broken, not the request."""


class ValueDefinition(BaseModel):
    """One value recorded at a step: `range` is what is physically possible (outside it is refused);
    `limits` is what the process accepts (outside it is recorded and opens a deviation)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=r"^[a-z][a-z0-9_]{1,31}$")
    label: str = Field(min_length=2, max_length=80)
    unit: str = Field(min_length=1, max_length=16)
    range: tuple[float, float]
    limits: tuple[float | None, float | None] = (None, None)
    growth: bool = False  # a cell count that enters the population-doubling calculation

    @model_validator(mode="after")
    def _ordered(self) -> ValueDefinition:
        low, high = self.range
        if not (math.isfinite(low) and math.isfinite(high) and low < high):
            raise ValueError(f"value {self.name}: range must be two finite numbers, low < high")
        lo, hi = self.limits
        if lo is not None and hi is not None and lo > hi:
            raise ValueError(f"value {self.name}: limits low > high")
        return self


class StepType(BaseModel):
    """A kind of step as the definition states it (a `repeats` step is expanded once per passage)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str = Field(pattern=r"^[a-z][a-z0-9_]{1,23}$")
    title: str = Field(min_length=2, max_length=80)
    repeats: bool = False
    optional: bool = False
    after: str | None = None
    perform_roles: tuple[str, ...] = Field(min_length=1)
    verify_roles: tuple[str, ...] = ()
    second_person: bool = False
    lot_states: tuple[str, ...] = Field(min_length=1)
    moves_lot: Literal["harvest", "formulate"] | None = None
    sets_expiry_hours: float | None = Field(default=None, gt=0, le=24 * 365 * 10)  # expiry from its new vessels
    vessels_in: tuple[str, ...] = ()
    vessels_out: str | None = None
    materials: tuple[str, ...] = ()
    equipment: tuple[str, ...] = ()
    values: tuple[ValueDefinition, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> StepType:
        names = [v.name for v in self.values]
        if len(names) != len(set(names)):
            raise ValueError(f"step {self.code}: a value is named twice")
        if self.second_person and not self.verify_roles:
            raise ValueError(f"step {self.code}: a second-person step needs verify_roles")
        return self


class ProcessDefinition(BaseModel):
    """A versioned manufacturing process."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str = Field(pattern=_CODE.pattern)
    version: int = Field(ge=1)
    title: str = Field(min_length=3, max_length=120)
    passages: int = Field(ge=0, le=12)
    steps: tuple[StepType, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> ProcessDefinition:
        codes = [s.code for s in self.steps]
        if len(codes) != len(set(codes)):
            raise ValueError("a step type is named twice")
        for step in self.steps:
            if step.after is not None and step.after not in codes:
                raise ValueError(f"step {step.code} comes after unknown step {step.after}")
        return self


@dataclass(frozen=True, slots=True)
class PlannedStep:
    """One step of a lot's plan: `code` is unique within the lot (`passage_2`), `type` names its definition."""

    code: str
    ordinal: int
    title: str
    type: StepType

    def value(self, name: str) -> ValueDefinition | None:
        """The definition of the value called `name` at this step, if it has one."""
        return next((v for v in self.type.values if v.name == name), None)


@dataclass(frozen=True, slots=True)
class Plan:
    """The ordered steps of one lot under one version of one process."""

    process_code: str
    process_version: int
    steps: tuple[PlannedStep, ...]

    def step(self, code: str) -> PlannedStep | None:
        """The planned step called `code`, if any."""
        return next((s for s in self.steps if s.code == code), None)


def plan(definition: ProcessDefinition) -> Plan:
    """Expand the definition into the ordered steps of one lot (passages numbered from 1)."""
    steps: list[PlannedStep] = []
    for step_type in definition.steps:
        if step_type.repeats:
            for number in range(1, definition.passages + 1):
                steps.append(PlannedStep(f"{step_type.code}_{number}", len(steps) + 1,
                                         data_files.numbered_title(step_type.title, number), step_type))
        else:
            steps.append(PlannedStep(step_type.code, len(steps) + 1, step_type.title, step_type))
    return Plan(definition.code, definition.version, tuple(steps))


def available() -> list[str]:
    """The codes of the process files shipped with this installation."""
    return sorted(p.stem for p in resource_dir("processes").glob("*.json"))


@lru_cache(maxsize=8)
def load(code: str = DEFAULT_PROCESS) -> ProcessDefinition:
    """Load and validate a process definition by code; NotFound for an unknown code."""
    if not _CODE.fullmatch(code) or code not in available():
        raise NotFound(_("no process {code}; known: {known}", code=repr(code[:40]), known=", ".join(available())),
                       code="process.unknown")
    path = resource_dir("processes") / f"{code}.json"
    try:
        definition = ProcessDefinition.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, ValidationError) as exc:
        raise ProcessFileError(f"process file {path.name} is invalid: {exc}") from exc
    if definition.code != code:
        raise ProcessFileError(f"process file {path.name} names itself {definition.code!r}")
    return definition
