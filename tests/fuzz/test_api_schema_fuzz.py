"""The whole API fuzzed from its own OpenAPI description, as each role in turn: never a server error, and every
response the description documents matches its schema.

Requests go to the application in process (schemathesis' ASGI transport, no server). Generation is derandomized,
so a run is reproducible, and bounded to a few examples per operation. Half of the generated requests name a
record that exists (the lot's DIN, its COI, a label, a container, a material, an instrument, a specification),
since random path parameters would only ever reach "not found".
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import APIOperation, Case, GenerationMode
from schemathesis.checks import not_a_server_error, response_schema_conformance
from schemathesis.specs.openapi.schemas import OpenApiSchema
from sqlmodel import col, select

from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.models.container import Container
from batchtrack.models.label import Label
from batchtrack.models.quality import Specification
from batchtrack.models.user import Role

from builders import UserHandle, make_user
from processing_builders import STATION, open_bench
from quality_builders import approve_default

SUBJECT = "S-001"


@dataclass(frozen=True)
class World:
    """Identifiers of records that exist, so that generated requests can name something real."""

    coi: str
    din: str
    subject_code: str
    station: str
    step: str
    material_code: str
    equipment_code: str
    specification_code: str
    specification_version: int
    label_id: int
    container_id: int

    def path_values(self, path: str) -> dict[str, object]:
        """Real values for the path parameters of the operation at `path` (a template such as /lots/{din})."""
        values: dict[str, object] = {
            "coi": self.coi, "din": self.din, "subject_code": self.subject_code, "station": self.station,
            "step": self.step, "label_id": self.label_id, "container_id": self.container_id,
            "version": self.specification_version,
        }
        # `code` names a material, an instrument or a specification, depending on where it is.
        if path.startswith("/api/v1/materials/"):
            values["code"] = self.material_code
        elif path.startswith("/api/v1/equipment/"):
            values["code"] = self.equipment_code
        elif path.startswith("/api/v1/specifications/"):
            values["code"] = self.specification_code
        return {name: value for name, value in values.items() if "{" + name + "}" in path}


@pytest.fixture
def world(database: Database, settings: Settings) -> World:
    """A therapy and its lot open at a workstation with a labelled aspirate bag, stock, and an approved spec."""
    bench = open_bench(database, settings, subject=SUBJECT)
    approve_default(database)
    with database.transaction(write=False) as session:
        label = session.scalars(select(Label).order_by(col(Label.id))).first()
        container = session.scalars(select(Container).order_by(col(Container.id))).first()
        spec = session.scalars(select(Specification).order_by(col(Specification.id))).first()
    assert label is not None and label.id is not None
    assert container is not None and container.id is not None
    assert spec is not None
    return World(coi=bench.lot.coi, din=bench.lot.din, subject_code=SUBJECT, station=STATION, step="isolation",
                 material_code=bench.stock["medium"], equipment_code=bench.stock["incubator"],
                 specification_code=spec.code, specification_version=spec.version, label_id=label.id,
                 container_id=container.id)


SchemaFactory = Callable[[UserHandle], OpenApiSchema]


@pytest.fixture
def api_schema(app: FastAPI) -> SchemaFactory:
    """The OpenAPI description as served to `user` (the route needs credentials), bound to the app in process."""

    def load(user: UserHandle) -> OpenApiSchema:
        return schemathesis.openapi.from_asgi("/api/v1/openapi.json", app,
                                              headers={"Authorization": f"Bearer {user.token}"})

    return load


# Every answer an operation documents is checked against its schema: its successes, and the refusals (400-422) the
# description lists with the refusal body. The status-code check is left out on purpose: those refusals are listed
# from what a route declares, and a route may still give one its declarations do not show (a 409 from a read).
CHECKS = [not_a_server_error, response_schema_conformance]
EXAMPLES_PER_OPERATION = 2

FUZZ = hypothesis_settings(max_examples=EXAMPLES_PER_OPERATION, derandomize=True, database=None, deadline=None,
                            phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))


def _operations(schema: OpenApiSchema) -> list[APIOperation]:
    return [result.ok() for result in schema.get_all_operations()]


def _headers(user: UserHandle) -> dict[str, str]:
    return {"Authorization": f"Bearer {user.token}"}


def _checked(case: Case, user: UserHandle, statuses: Counter[int]) -> None:
    response = case.call(headers=_headers(user))
    statuses[response.status_code] += 1
    try:
        case.validate_response(response, checks=CHECKS)
    except Exception as exc:
        raise AssertionError(f"{exc}\nreproduce with: {case.as_curl_command()}") from exc


def _fuzz(operation: APIOperation, world: World, user: UserHandle, mode: GenerationMode,
          statuses: Counter[int]) -> None:
    """Run the operation's generated cases; half of them name existing records in the path."""
    strategy = operation.as_strategy(mode)
    real = world.path_values(operation.path)
    if real:
        strategy = st.one_of(strategy, operation.as_strategy(mode, path_parameters=real))

    @FUZZ
    @given(case=strategy)
    def run(case: Case) -> None:
        _checked(case, user, statuses)

    try:
        run()
    except Unsatisfiable:
        # An operation with nothing to make invalid (no parameters, no body) has no negative case.
        assert mode is GenerationMode.NEGATIVE, operation.label


def _fuzz_all(schema: OpenApiSchema, world: World, user: UserHandle, mode: GenerationMode) -> Counter[int]:
    """Fuzz every operation; fail once at the end listing every operation that broke a check."""
    statuses: Counter[int] = Counter()
    broken: list[str] = []
    for operation in _operations(schema):
        try:
            _fuzz(operation, world, user, mode, statuses)
        except AssertionError as exc:
            broken.append(f"{operation.label} ({mode.value}): {exc}")
    assert not broken, "\n\n".join(broken)
    return statuses


def _explicit(schema: OpenApiSchema, world: World, user: UserHandle) -> Counter[int]:
    """Every read of an existing record, named by its real identifiers."""
    statuses: Counter[int] = Counter()
    for operation in _operations(schema):
        real = world.path_values(operation.path)
        if operation.method.upper() == "GET" and real and set(real) == {p.name for p in operation.path_parameters}:
            _checked(operation.Case(path_parameters=real), user, statuses)
    return statuses


@pytest.mark.slow
@pytest.mark.parametrize("role", list(Role), ids=lambda role: role.value)
def test_no_operation_fails_for_any_role(database: Database, world: World, api_schema: SchemaFactory,
                                         role: Role) -> None:
    user = make_user(database, role)
    schema = api_schema(user)
    reads = _explicit(schema, world, user)
    # The seeded records are really there: every role can read some of them by their real identifiers.
    assert reads[200] > 0, reads
    statuses = _fuzz_all(schema, world, user, GenerationMode.POSITIVE)
    assert not any(status >= 500 for status in statuses), statuses


@pytest.mark.slow
def test_malformed_requests_are_refused_without_a_server_error(database: Database, world: World,
                                                                api_schema: SchemaFactory) -> None:
    # A role check runs before the input is validated: a user holding every role passes them all, so malformed
    # input reaches each operation's validation (and anything that slips past it reaches the service).
    user = make_user(database, *Role)
    statuses = _fuzz_all(api_schema(user), world, user, GenerationMode.NEGATIVE)
    assert statuses[422] > 0, statuses
