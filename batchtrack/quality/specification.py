"""Release specifications as data: tests with method, unit, limit and stage, validated on load (pure).

The shipped default (`specifications/MSC-FP.json`, DESIGN.md section 8) is a proposal: a version becomes
effective only when QA approves it with an electronic signature, and every lot is tested against the version
that was effective when it was submitted to QC.
"""

from __future__ import annotations

import json
import math
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from batchtrack.resources import resource_dir

DEFAULT_CODE = "MSC-FP"
Stage = Literal["in_process", "release", "post_release"]
BELOW_LOQ = "below LOQ"


class SpecificationError(ValueError):
    """A specification that does not validate (the reason says where)."""


class SpecTest(BaseModel):
    """One test of the panel: how it is done, what conforms, and when its result is needed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str = Field(pattern=r"^[a-z][a-z0-9_]{1,31}$")
    title: str = Field(min_length=2, max_length=120)
    stage: Stage
    method: str = Field(min_length=2, max_length=200)
    kind: Literal["qualitative", "numeric", "endotoxin", "dose"]
    unit: str = Field(default="", max_length=16)
    results: tuple[str, ...] = ()  # the words an analyst may enter (qualitative tests)
    expected: tuple[str, ...] = ()  # the ones that conform
    min: float | None = None
    max: float | None = None
    below_loq_conforms: bool = False  # "below the limit of quantitation" is a conforming result
    final_after_days: int | None = Field(default=None, ge=1, le=90)  # preliminary results until then
    k_eu_per_kg: float | None = Field(default=None, gt=0)  # endotoxin: K of the K/M formula
    infusion_hours: float | None = Field(default=None, gt=0)  # endotoxin: the shortest infusion time

    @model_validator(mode="after")
    def _consistent(self) -> SpecTest:
        if self.kind == "qualitative" and (not self.results or not set(self.expected) <= set(self.results)
                                           or not self.expected):
            raise ValueError(f"test {self.code}: a qualitative test lists its results and the expected ones")
        if self.kind == "numeric":
            if self.min is None and self.max is None:
                raise ValueError(f"test {self.code}: a numeric test has a minimum or a maximum")
            for bound in (self.min, self.max):
                if bound is not None and not math.isfinite(bound):
                    raise ValueError(f"test {self.code}: limits must be finite numbers")
            if self.min is not None and self.max is not None and self.min > self.max:
                raise ValueError(f"test {self.code}: minimum above maximum")
        if self.kind == "endotoxin" and (self.k_eu_per_kg is None or self.infusion_hours is None):
            raise ValueError(f"test {self.code}: endotoxin needs k_eu_per_kg and infusion_hours")
        return self


class SpecificationContent(BaseModel):
    """A version of a release specification."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str = Field(pattern=r"^[A-Z0-9-]{2,32}$")
    version: int = Field(ge=1)
    title: str = Field(min_length=3, max_length=200)
    tests: tuple[SpecTest, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> SpecificationContent:
        codes = [t.code for t in self.tests]
        if len(codes) != len(set(codes)):
            raise ValueError("a test is listed twice")
        return self

    def test(self, code: str) -> SpecTest | None:
        """The test called `code`, if the specification has it."""
        return next((t for t in self.tests if t.code == code), None)

    @property
    def post_release_tests(self) -> tuple[SpecTest, ...]:
        """Tests whose final result may come after release (sterility of a fresh product)."""
        return tuple(t for t in self.tests if t.stage == "post_release")


def parse(text: str) -> SpecificationContent:
    """Validate a specification's JSON; SpecificationError with every problem otherwise."""
    try:
        return SpecificationContent.model_validate(json.loads(text))
    except json.JSONDecodeError as exc:
        raise SpecificationError(f"not JSON: {exc.msg} at line {exc.lineno}") from exc
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:10])
        raise SpecificationError(problems) from exc
    except RecursionError as exc:
        raise SpecificationError("not JSON this server reads: nested too deeply") from exc
    except ValueError as exc:  # a number of thousands of digits, which Python refuses to convert
        raise SpecificationError(f"not JSON this server reads: {str(exc)[:80]}") from exc


def canonical(content: SpecificationContent) -> str:
    """The specification as canonical JSON (what is stored and what QA's signature covers)."""
    return json.dumps(content.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))


def shipped_default() -> SpecificationContent:
    """The default specification shipped with batchtrack (a proposal until QA approves it)."""
    path = resource_dir("specifications") / f"{DEFAULT_CODE}.json"
    return parse(path.read_text(encoding="utf-8"))
