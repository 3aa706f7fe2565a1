"""A date or a time reaches the API only as an ISO 8601 string: a number, a numeric string or a boolean is refused.

The fields are found in the OpenAPI document, so a route added later is covered without editing this file.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import AwareDatetime, FutureDatetime, PastDate, ValidationError

from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.models.base import utcnow
from batchtrack.models.user import Role
from batchtrack.web.validation import AwareTime, IsoDate, RequestModel

from builders import UserHandle, enrol_eligible, make_user
from deviation_builders import HTML, csrf_of, sign_in

ClientFactory = Callable[..., tuple[TestClient, UserHandle]]

# Lax parsing would read each of these as a date or a time (0 and "0" as 1970-01-01, 1654646400 as 2022-06-08).
NOT_ISO: list[object] = [0, 20260105, 1.5, True, "0", "1654646400", "20260105"]
ISO = {"date": "2026-01-05", "date-time": "2026-01-05T09:30:00+09:00"}
PATH_VALUES = {"din": "W000026000001", "coi": "CHW000026000001", "subject_code": "S-001", "name": "collect",
               "code": "EQ-1", "container_id": "1", "label_id": "1", "check_id": "1"}


@dataclass(frozen=True)
class TimeField:
    """One date or date-time input of one operation: where it goes and what it is called in a refusal."""

    method: str
    path: str
    where: str  # "body" or "query"
    keys: tuple[str | int, ...]
    format: str

    @property
    def reason_code(self) -> str:
        """The reason code a refusal of this input carries (the handler's `input.<location>` form)."""
        return "input." + ".".join(str(k) for k in (self.where, *self.keys))

    def request(self, client: TestClient, value: object) -> list[str]:
        """Send `value` in this input alone; return the reason codes of the refusal (empty when accepted)."""
        url = re.sub(r"\{(\w+)\}", lambda m: PATH_VALUES.get(m.group(1), "1"), self.path)
        if self.where == "query":
            response = client.request(self.method, url, params={str(self.keys[0]): str(value)})
        else:
            response = client.request(self.method, url, json=_nest(self.keys, value))
        assert response.status_code < 500, (self, response.text)
        if response.status_code != 422:
            return []
        return [reason["code"] for reason in response.json()["reasons"]]


def _nest(keys: tuple[str | int, ...], value: object) -> object:
    if not keys:
        return value
    inner = _nest(keys[1:], value)
    return [inner] if isinstance(keys[0], int) else {keys[0]: inner}


def _formats(schema: dict[str, Any], components: dict[str, Any], keys: tuple[str | int, ...],
             seen: frozenset[str]) -> Iterator[tuple[tuple[str | int, ...], str]]:
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        if name not in seen:
            yield from _formats(components[name], components, keys, seen | {name})
        return
    if schema.get("format") in ("date", "date-time", "time"):
        yield keys, schema["format"]
    for name, inner in schema.get("properties", {}).items():
        yield from _formats(inner, components, (*keys, name), seen)
    for inner in schema.get("anyOf", []) + schema.get("oneOf", []) + schema.get("allOf", []):
        yield from _formats(inner, components, keys, seen)
    if isinstance(schema.get("items"), dict):
        yield from _formats(schema["items"], components, (*keys, 0), seen)


def time_fields(app: FastAPI) -> list[TimeField]:
    """Every date, date-time or time input of every operation in the OpenAPI document."""
    spec = app.openapi()
    components = spec.get("components", {}).get("schemas", {})
    found: list[TimeField] = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                for keys, fmt in _formats(parameter.get("schema", {}), components, (), frozenset()):
                    assert parameter["in"] == "query", f"a {fmt} in the {parameter['in']} of {method} {path}"
                    found.append(TimeField(method.upper(), path, "query", (parameter["name"], *keys), fmt))
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" in content:
                for keys, fmt in _formats(content["application/json"]["schema"], components, (), frozenset()):
                    found.append(TimeField(method.upper(), path, "body", keys, fmt))
    return found


@pytest.fixture
def anyone(app: FastAPI, database: Database) -> Iterator[TestClient]:
    """A client holding every role, so no operation is refused before its input is read."""
    user = make_user(database, *Role)
    with TestClient(app, raise_server_exceptions=False,
                    headers={"Authorization": f"Bearer {user.token}"}) as client:
        yield client


def test_the_api_has_date_and_time_inputs_to_check(app: FastAPI) -> None:
    fields = time_fields(app)
    assert {f.format for f in fields} == {"date", "date-time"}
    assert TimeField("POST", "/api/v1/recipients/{subject_code}/weights", "body", ("visit_date",), "date") in fields


@pytest.mark.parametrize("annotation", [date, datetime, time, date | None, list[datetime], AwareDatetime, PastDate,
                                        FutureDatetime])
def test_a_request_schema_cannot_declare_a_lenient_date_or_time(annotation: object) -> None:
    with pytest.raises(TypeError, match="IsoDate or an AwareTime"):
        type("LenientCreate", (RequestModel,), {"__annotations__": {"on": annotation}})


def test_a_request_schema_takes_iso_text_and_the_times_the_pages_parsed() -> None:
    class Visit(RequestModel):
        on: IsoDate
        at: AwareTime | None = None

    assert Visit.model_validate({"on": "2026-01-05", "at": "2026-01-05T09:30+09:00"}).on == date(2026, 1, 5)
    moment = datetime(2026, 1, 5, 0, 30, tzinfo=UTC)
    assert Visit(on=date(2026, 1, 5), at=moment).at == moment
    for wrong in ({"on": 0}, {"on": "2026-01-05T00:00:00Z"}, {"on": "2026-01-05", "at": 0},
                  {"on": "2026-01-05", "at": "2026-01-05"}, {"on": "2026-01-05", "at": "2026-01-05T09:30"}):
        with pytest.raises(ValidationError):
            Visit.model_validate(wrong)


@pytest.mark.parametrize("value", NOT_ISO, ids=repr)
def test_every_date_and_time_input_refuses_what_is_not_an_iso_string(app: FastAPI, anyone: TestClient,
                                                                      value: object) -> None:
    accepted = [f"{f.method} {f.path} {f.reason_code}" for f in time_fields(app)
                if f.reason_code not in f.request(anyone, value)]
    assert accepted == []


def test_every_date_and_time_input_takes_an_iso_string(app: FastAPI, anyone: TestClient) -> None:
    refused = [f"{f.method} {f.path} {f.reason_code}" for f in time_fields(app)
               if f.reason_code in f.request(anyone, ISO[f.format])]
    assert refused == []


def test_a_weight_dated_by_a_number_is_refused_and_names_the_visit_date(
    database: Database, settings: Settings, as_role: ClientFactory
) -> None:
    clinician, _ = as_role(Role.INVESTIGATOR)
    enrol_eligible(database, settings, make_user(database, Role.INVESTIGATOR), subject="S-001")
    refused = clinician.post("/api/v1/recipients/S-001/weights", json={"visit_date": 0, "weight_kg": 61.5})
    assert refused.status_code == 422
    assert [r["code"] for r in refused.json()["reasons"]] == ["input.body.visit_date"]
    assert "ISO 8601" in refused.json()["reasons"][0]["message"]
    today = utcnow().date().isoformat()
    recorded = clinician.post("/api/v1/recipients/S-001/weights", json={"visit_date": today, "weight_kg": 61.5})
    assert recorded.status_code == 201, recorded.text
    assert recorded.json()["latest_weight_date"] == today


def _enrolment_form(**changes: str) -> dict[str, str]:
    today = utcnow().date().isoformat()
    return {"subject_code": "S-002", "family_name": "Kim", "given_name": "Minji", "date_of_birth": "1988-04-12",
            "mrn": "MRN-2", "sex": "female", "indication": "nephritis", "consent_date": today,
            "donor_kind": "directed", "donor_code": "D-2", "donor_date_of_birth": "1961-09-30",
            "weight_kg": "58.5", "weight_date": today, **changes}


@pytest.mark.parametrize("field", ["date_of_birth", "consent_date", "donor_date_of_birth", "weight_date"])
def test_the_enrolment_form_takes_browser_dates_and_refuses_a_number(client: TestClient, database: Database,
                                                                     field: str) -> None:
    sign_in(client, make_user(database, Role.INVESTIGATOR))
    refused = client.post("/subjects/new", headers=HTML, follow_redirects=False,
                          data={**_enrolment_form(**{field: "0"}), "csrf_token": csrf_of(client, "/subjects/new")})
    assert refused.status_code in (400, 422) and "YYYY-MM-DD" in refused.text, refused.text[:500]
    assert client.get("/subjects/S-002", headers=HTML).status_code == 404

    enrolled = client.post("/subjects/new", headers=HTML, follow_redirects=False,
                           data={**_enrolment_form(), "csrf_token": csrf_of(client, "/subjects/new")})
    assert enrolled.status_code == 303, enrolled.text[:500]
    assert "1988-04-12" in client.get("/subjects/S-002", headers=HTML).text


def test_the_weight_form_takes_a_browser_date_and_refuses_a_number(
    client: TestClient, database: Database, settings: Settings
) -> None:
    investigator = make_user(database, Role.INVESTIGATOR)
    enrol_eligible(database, settings, investigator, subject="S-001")
    sign_in(client, investigator)
    today = utcnow().date().isoformat()
    refused = client.post("/subjects/S-001/weights", headers=HTML, follow_redirects=False, data={
        "visit_date": "0", "weight_kg": "61.5", "csrf_token": csrf_of(client, "/subjects/S-001")})
    assert refused.status_code == 422 and "input.body.visit_date" in refused.text
    recorded = client.post("/subjects/S-001/weights", headers=HTML, follow_redirects=False, data={
        "visit_date": today, "weight_kg": "61.5", "csrf_token": csrf_of(client, "/subjects/S-001")})
    assert recorded.status_code == 303, recorded.text[:500]
    assert "61.5" in client.get("/subjects/S-001", headers=HTML).text


def test_a_form_time_in_the_display_zone_is_still_taken(client: TestClient, database: Database) -> None:
    sign_in(client, make_user(database, Role.QA))
    registered = client.post("/equipment", headers=HTML, follow_redirects=False, data={
        "code": "BSC-7", "kind": "biosafety_cabinet", "description": "Class II cabinet", "location": "Suite 2",
        "calibration_due": "2030-01-05T09:30", "csrf_token": csrf_of(client, "/equipment")})
    assert registered.status_code == 303, registered.text[:500]
    assert "2030-01-05 09:30" in client.get("/equipment/BSC-7", headers=HTML).text
