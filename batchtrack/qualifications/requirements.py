"""What each activity needs: the catalogue of qualifications and the requirements file, checked at start-up.

`catalogue.toml` lists the qualifications (code, title, default validity); `requirements.toml` names the one each
activity needs: each step of a process (performed, verified), each test of a specification (its result entered),
QA's release decision, the bedside check and the infusion. Both are data beside the process, specification and
protocol files; `load()` refuses an unknown process, step, test or code, and a shipped step or test left out, so
a broken installation stops at start rather than at the first gate.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

from batchtrack.i18n.text import Text, _
from batchtrack.models.user import Role
from batchtrack.processing import definition as process_definition
from batchtrack.quality import specification as spec_definition
from batchtrack.resources import resource_dir

_HERE = Path(__file__).resolve().parent
CATALOGUE_FILE = _HERE / "catalogue.toml"
REQUIREMENTS_FILE = _HERE / "requirements.toml"
StepPart = Literal["perform", "verify"]
# The roles that do the activities not described by a process file (the routes admit the same roles): a grant
# of each qualification a role needs is what the demonstration and the test builders give a user of that role.
_QC_ROLES = frozenset({Role.QC_ANALYST})
_RELEASE_ROLES = frozenset({Role.QA})
_CO_SIGNER_ROLES = frozenset({Role.MEDICAL_DIRECTOR, Role.INVESTIGATOR})
_BEDSIDE_ROLES = frozenset({Role.INVESTIGATOR, Role.NURSE})


class RequirementsError(RuntimeError):
    """The catalogue or the requirements file does not validate: the installation is broken, not the request."""


@dataclass(frozen=True, slots=True)
class Qualification:
    """One qualification of the catalogue."""

    code: str
    title: str
    validity_months: int


@dataclass(frozen=True, slots=True)
class Activity:
    """Something a gate lets only a qualified person do: `key` is stable, `described` is for people."""

    key: str
    described: Text


def process_step(process_code: str, step_type: str, part: StepPart) -> Activity:
    """A step of a process, performed (started and completed) or verified by the second person."""
    step = step_type.replace("_", " ")
    described = (_("performing the {step} step", step=step) if part == "perform"
                 else _("verifying the {step} step", step=step))
    return Activity(f"process/{process_code}/{step_type}/{part}", described)


def qc_test(specification_code: str, test_code: str) -> Activity:
    """Entering (or correcting) a result of a test of a specification."""
    return Activity(f"specification/{specification_code}/{test_code}",
                    _("QC results of {test} ({specification})", test=test_code.replace("_", " "),
                      specification=specification_code))


RELEASE_DECISION = Activity("release/decision", _("a release decision"))
RELEASE_CO_SIGNATURE = Activity("release/co_signature", _("co-signing a release pending sterility"))
BEDSIDE_CHECK = Activity("bedside/check", _("a bedside identity check"))
INFUSION = Activity("bedside/infusion", _("recording an infusion"))


@dataclass(frozen=True, slots=True)
class Requirements:
    """The catalogue, and the qualification each activity needs, with the roles that do each activity."""

    catalogue: dict[str, Qualification]
    needs: dict[str, str]  # activity key -> qualification code
    roles: dict[str, frozenset[Role]]  # activity key -> roles that do it

    def needed_for(self, activity: Activity) -> str | None:
        """The code of the qualification `activity` needs; None when the requirements name none."""
        return self.needs.get(activity.key)

    def for_roles(self, roles: frozenset[Role] | set[Role]) -> frozenset[str]:
        """Every qualification needed by some activity one of `roles` does."""
        return frozenset(code for key, code in self.needs.items() if self.roles.get(key, frozenset()) & roles)


def _read(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise RequirementsError(f"{path.name} cannot be read: {exc}") from exc


def _catalogue(raw: dict[str, Any]) -> dict[str, Qualification]:
    found: dict[str, Qualification] = {}
    for code, entry in raw.items():
        if not isinstance(entry, dict) or set(entry) != {"title", "validity_months"}:
            raise RequirementsError(f"{CATALOGUE_FILE.name}: {code} needs exactly a title and validity_months")
        title, months = entry["title"], entry["validity_months"]
        if not (isinstance(title, str) and 3 <= len(title) <= 200 and isinstance(months, int)
                and 1 <= months <= 120 and 2 <= len(code) <= 32 and code.replace("-", "").isalnum()):
            raise RequirementsError(f"{CATALOGUE_FILE.name}: {code} has a bad code, title or validity")
        found[code] = Qualification(code, title, months)
    return found


def _processes(raw: dict[str, Any], needs: dict[str, str], roles: dict[str, frozenset[Role]]) -> None:
    shipped = set(process_definition.available())
    for code in sorted(set(raw) | shipped):
        if code not in shipped:
            raise RequirementsError(f"{REQUIREMENTS_FILE.name}: no process {code} is shipped")
        steps = raw.get(code, {})
        known = {s.code: s for s in process_definition.load(code).steps}
        for step_code in sorted(set(steps) | set(known)):
            step = known.get(step_code)
            if step is None:
                raise RequirementsError(f"{REQUIREMENTS_FILE.name}: process {code} has no step {step_code}")
            parts = steps.get(step_code, {})
            expected = {"perform", "verify"} if step.verify_roles else {"perform"}
            if not isinstance(parts, dict) or set(parts) != expected:
                raise RequirementsError(f"{REQUIREMENTS_FILE.name}: process {code} step {step_code} must name "
                                        f"exactly: {', '.join(sorted(expected))}")
            both: tuple[tuple[StepPart, tuple[str, ...]], ...] = (("perform", step.perform_roles),
                                                                  ("verify", step.verify_roles))
            for part, part_roles in both:
                if part in parts:
                    key = process_step(code, step_code, part).key
                    needs[key] = parts[part]
                    roles[key] = frozenset(Role(r) for r in part_roles)


def _specifications(raw: dict[str, Any], needs: dict[str, str], roles: dict[str, frozenset[Role]]) -> None:
    folder = resource_dir("specifications")
    shipped = {p.stem: p for p in folder.glob("*.json")}
    for code in sorted(set(raw) | set(shipped)):
        if code not in shipped:
            raise RequirementsError(f"{REQUIREMENTS_FILE.name}: no specification {code} is shipped")
        tests = raw.get(code, {})
        known = {t.code for t in spec_definition.parse(shipped[code].read_text(encoding="utf-8")).tests}
        if not isinstance(tests, dict) or set(tests) != known:
            missing, unknown = sorted(known - set(tests)), sorted(set(tests) - known)
            raise RequirementsError(f"{REQUIREMENTS_FILE.name}: specification {code}: tests left out {missing}, "
                                    f"unknown tests {unknown}")
        for test_code, qualification in tests.items():
            key = qc_test(code, test_code).key
            needs[key], roles[key] = qualification, _QC_ROLES


def _fixed(raw: dict[str, Any], section: str, activities: dict[str, tuple[Activity, frozenset[Role]]],
           needs: dict[str, str], roles: dict[str, frozenset[Role]]) -> None:
    # activities: name in the section -> (the activity, the roles that do it)
    entries = raw.get(section)
    if not isinstance(entries, dict) or set(entries) != set(activities):
        raise RequirementsError(f"{REQUIREMENTS_FILE.name}: [{section}] must name exactly: "
                                f"{', '.join(sorted(activities))}")
    for name, (activity, role_set) in activities.items():
        needs[activity.key], roles[activity.key] = entries[name], role_set


def parse(catalogue_raw: dict[str, Any], requirements_raw: dict[str, Any]) -> Requirements:
    """Validate the catalogue and the requirements as read from their files; RequirementsError otherwise."""
    catalogue = _catalogue(catalogue_raw)
    unknown_sections = set(requirements_raw) - {"process", "specification", "release", "bedside"}
    if unknown_sections:
        raise RequirementsError(f"{REQUIREMENTS_FILE.name}: unknown sections {sorted(unknown_sections)}")
    needs: dict[str, str] = {}
    roles: dict[str, frozenset[Role]] = {}
    try:
        _processes(requirements_raw.get("process", {}), needs, roles)
        _specifications(requirements_raw.get("specification", {}), needs, roles)
    except (process_definition.ProcessFileError, spec_definition.SpecificationError, AttributeError,
            ValueError) as exc:
        raise RequirementsError(f"{REQUIREMENTS_FILE.name}: {exc}") from exc
    _fixed(requirements_raw, "release", {"decision": (RELEASE_DECISION, _RELEASE_ROLES),
                                         "co_signature": (RELEASE_CO_SIGNATURE, _CO_SIGNER_ROLES)}, needs, roles)
    _fixed(requirements_raw, "bedside", {"check": (BEDSIDE_CHECK, _BEDSIDE_ROLES),
                                         "infusion": (INFUSION, _BEDSIDE_ROLES)}, needs, roles)
    undefined = sorted(f"{key} -> {code!r}" for key, code in needs.items()
                       if not isinstance(code, str) or code not in catalogue)
    if undefined:
        raise RequirementsError(f"{REQUIREMENTS_FILE.name}: qualifications not in {CATALOGUE_FILE.name}: "
                                f"{', '.join(undefined)}")
    return Requirements(catalogue, needs, roles)


@cache
def load() -> Requirements:
    """The catalogue and requirements shipped with this installation, validated (read once)."""
    return parse(_read(CATALOGUE_FILE), _read(REQUIREMENTS_FILE))
