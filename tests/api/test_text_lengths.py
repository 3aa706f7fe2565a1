"""Every text the API accepts fits where it is stored: the longest text each write route takes, in Latin and in
Hangul, is recorded (never a 500) and reads back whole from the database, in columns declared long enough.

PostgreSQL enforces a column's length (in characters) and answered 500 where a column was shorter than the API's
limit; SQLite stores any length, so there the declared length of every column the text landed in is compared."""

from __future__ import annotations

import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated, Any, Union, get_args, get_origin

import pytest
from document_builders import Script, filler
from fastapi import FastAPI
from pydantic import BaseModel, TypeAdapter, ValidationError
from sqlalchemy import inspect
from sqlalchemy.types import String
from text_length_builders import SCENARIOS, Body, Scenario, World

from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.scanning import verdict

from bedside_builders import at_clinic, check_body
from route_catalogue import Endpoint, endpoints

# Request texts that are not stored as sent, and why: by field name wherever it appears, or by route and field.
NOT_STORED_AS_SENT = {
    "scan": "a scan is read as identifiers; an escaped, bounded echo of it is stored",
    "raw": "a scan is read as identifiers",
    "wristband_scan": "a scan is read as identifiers; its escaped echo is stored (see the bedside check below)",
    "bag_scan": "a scan is read as identifiers; its escaped echo is stored (see the bedside check below)",
    "handed_over_by": "names a user, who is looked up",
    "received_by": "names a user, who is looked up",
    "second_clinician": "names a user, who is looked up",
    "username": "the signer's user id, compared with the signer's user name",
    "instrument": "names an instrument, which is looked up",
    "station": "names a station: letters, digits and . _ : - (at most 64, as the audit trail's entity id holds)",
    "POST /api/v1/collections: therapy_coi": "names a therapy, which is looked up",
    "POST /api/v1/recipients: protocol_id": "names a protocol definition, which is looked up",
    # Romanised names take Latin letters, spaces, hyphens and apostrophes only, which the tagged texts are not; a
    # donor's names' tags would hold the recipient's ("donor.family_name:" holds "family_name:"). The longest of each
    # is recorded whole in tests/enrolment/test_names.py.
    "POST /api/v1/recipients: family_name_latin": "Latin letters only (see above)",
    "POST /api/v1/recipients: given_name_latin": "Latin letters only (see above)",
    "POST /api/v1/recipients: donor.family_name_latin": "Latin letters only (see above)",
    "POST /api/v1/recipients: donor.given_name_latin": "Latin letters only (see above)",
    "POST /api/v1/recipients: donor.family_name": "its tag holds the recipient's (see above)",
    "POST /api/v1/recipients: donor.given_name": "its tag holds the recipient's (see above)",
    "POST /api/v1/lots/{din}/labels: printer": "read as host:port",
    "POST /api/v1/specifications: code": "held to the specification code's pattern when the draft is read",
    "POST /api/v1/lots/{din}/qc/results: result_text": "one of the words the specification's test allows",
    "POST /api/v1/lots/{din}/qc/results/{result_id}/corrections: result_text":
        "one of the words the specification's test allows",
    "POST /api/v1/access-reviews: accounts_sha256": "a SHA-256 in hex, compared with the report's",
    # Its column holds the longest address the API takes (254 characters, as SMTP allows), recorded whole in
    # tests/notifications/test_subscriptions.py.
    "PUT /api/v1/me/notifications: email": "an e-mail address, checked as one",
}
LONGEST_TRIED = 100_000  # beyond any limit the API sets: a text field without one is found here


@dataclass(frozen=True)
class Held:
    """A column that holds a text, and the length the database declares for it (None: unbounded)."""

    table: str
    column: str
    length: int | None


def _body_model(endpoint: Endpoint) -> type[BaseModel] | None:
    """The request model of an endpoint's JSON body (None: it takes none)."""
    params = endpoint.dependant.body_params
    if len(params) != 1:
        return None
    model = params[0].field_info.annotation
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    if get_origin(annotation) in (Union, types.UnionType, list, Annotated):
        return [m for arg in get_args(annotation) for m in _models_in(arg)]
    return []


def _leaves(model: type[BaseModel], prefix: str = "") -> Iterator[tuple[str, TypeAdapter[Any]]]:
    """Every field of a request model (nested ones as "donor.hla_match", "allergies[].substance")."""
    for name, info in model.model_fields.items():
        inner = _models_in(info.annotation)
        if inner:
            many = get_origin(info.annotation) is list
            for nested in inner:
                yield from _leaves(nested, f"{prefix}{name}{'[]' if many else ''}.")
            continue
        annotation: Any = Annotated[info.annotation, *info.metadata] if info.metadata else info.annotation
        yield f"{prefix}{name}", TypeAdapter(annotation)


def _is_free_text(name: str, adapter: TypeAdapter[Any]) -> bool:
    """A field that takes a few words as they are (so no code, date, choice or number), and is not a password.

    Asked of the field itself, not of its JSON schema: a pattern checked after a normalising step (an asset tag)
    is not in the schema."""
    return _accepts(adapter, "a few words") and "password" not in name


def _text_fields(model: type[BaseModel] | None) -> dict[str, TypeAdapter[Any]]:
    return {name: adapter for name, adapter in _leaves(model) if _is_free_text(name, adapter)} if model else {}


def _write_bodies(app: FastAPI) -> dict[tuple[str, str], type[BaseModel] | None]:
    """The request model of every write route of the API, by (method, path)."""
    return {(e.method, e.path): _body_model(e) for e in endpoints(app)
            if e.path.startswith("/api/") and e.method not in ("GET", "HEAD")}


def _accepts(adapter: TypeAdapter[Any], text: str) -> bool:
    try:
        return bool(adapter.validate_python(text) == text)
    except ValidationError:
        return False


def _longest(adapter: TypeAdapter[Any], text_of: Callable[[int], str]) -> str:
    """The longest of the texts `text_of(length)` the field accepts as it is (found by bisection)."""
    low, high = 0, LONGEST_TRIED
    while low < high:
        middle = (low + high + 1) // 2
        if _accepts(adapter, text_of(middle)):
            low = middle
        else:
            high = middle - 1
    return text_of(low)


def _tagged(script: Script, tag: str) -> Callable[[int], str]:
    """Texts of `script` that start with `tag`, which says where each comes from when it is found."""
    return lambda length: filler(length, script, tag=tag)


def _fill(body: Body, path: str, text: str) -> None:
    head, _, rest = path.partition(".")
    if not rest:
        body[head] = text
    elif head.endswith("[]"):
        for item in body[head[:-2]]:
            _fill(item, rest, text)
    else:
        _fill(body[head], rest, text)


def _holders(database: Database, text: str) -> tuple[list[Held], list[Held]]:
    """The columns holding `text` whole, and those holding its start without the rest (cut short)."""
    start = text[:60]
    whole: list[Held] = []
    cut: list[Held] = []
    with database.engine.connect() as connection:
        inspector = inspect(connection)
        for name in inspector.get_table_names():
            columns = [c for c in inspector.get_columns(name) if isinstance(c["type"], String)]
            if not columns:
                continue
            quote = connection.dialect.identifier_preparer.quote
            query = f"SELECT {', '.join(quote(c['name']) for c in columns)} FROM {quote(name)}"
            for row in connection.exec_driver_sql(query).all():
                for info, value in zip(columns, row, strict=True):
                    if isinstance(value, str) and start in value:
                        held = Held(name, info["name"], getattr(info["type"], "length", None))
                        (whole if text in value else cut).append(held)
    return whole, cut


def test_every_stored_text_of_a_write_route_is_sent_at_its_longest(app: FastAPI) -> None:
    """A new text field of the API must join a scenario, or say why what is sent is not what is stored."""
    covered = {(s.method, s.path, text) for s in SCENARIOS for text in s.texts}
    bodies = _write_bodies(app)
    missing = [f"{method} {path}: {name}" for (method, path), model in bodies.items()
               for name in _text_fields(model)
               if (method, path, name) not in covered
               and not {name, f"{method} {path}: {name}"} & NOT_STORED_AS_SENT.keys()]
    assert not missing, "\n".join(missing)
    for scenario in SCENARIOS:
        fields = _text_fields(bodies[scenario.method, scenario.path])
        assert set(scenario.texts) <= set(fields), (scenario.name, set(scenario.texts) - set(fields))


@pytest.mark.parametrize("script", ["latin", "hangul"])
@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_the_longest_text_a_write_route_accepts_is_recorded_whole(
    app: FastAPI, database: Database, settings: Settings, scenario: Scenario, script: Script
) -> None:
    world = World(database, settings, app)
    try:
        prepared = scenario.prepare(world)
        fields = _text_fields(_write_bodies(app)[scenario.method, scenario.path])
        texts = {name: _longest(fields[name], _tagged(script, f"{name}:{script}:")) for name in scenario.texts}
        assert all(len(text) > len(name) + 8 for name, text in texts.items()), texts
        for name, text in texts.items():
            _fill(prepared.body, name, text)
        response = prepared.client.request(scenario.method, prepared.url, json=prepared.body)
    finally:
        for client in world.clients:
            client.close()
    assert response.status_code < 300, (response.status_code, response.text[:500])
    problems = []
    for name, text in texts.items():
        whole, cut = _holders(database, text)
        too_short = [h for h in whole if h.length is not None and h.length < len(text)]
        if not whole:
            problems.append(f"{name} ({len(text)} characters) is not stored whole anywhere")
        if cut:
            problems.append(f"{name} ({len(text)} characters) is cut short in {cut}")
        if too_short:
            problems.append(f"{name} ({len(text)} characters) is held in columns declared shorter: {too_short}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("character", ["가", "\U0001f600"], ids=["hangul", "outside-the-bmp"])
def test_a_bedside_check_keeps_the_longest_echo_of_scans_it_cannot_read(
    app: FastAPI, database: Database, settings: Settings, character: str
) -> None:
    """A check stores each scan escaped as read: a character outside the BMP escapes to 10 ("\\U0001f600")."""
    _, people = at_clinic(database, settings)
    model = _write_bodies(app)["POST", "/api/v1/bedside/checks"]
    assert model is not None
    fields = dict(_leaves(model))
    wristband_scan = _longest(fields["wristband_scan"], lambda n: character * n)
    bag_scan = _longest(fields["bag_scan"], lambda n: ("B" + character * n)[:n])  # an echo of its own
    world = World(database, settings, app)
    with world.client(people.nurse) as nurse:
        response = nurse.post("/api/v1/bedside/checks", json=check_body(wristband_scan, bag_scan, people.doctor))
    assert response.status_code < 500, response.text[:500]
    for column, raw in (("wristband_scan", wristband_scan), ("bag_scan", bag_scan)):
        echo = verdict.escape_raw(raw)
        whole, _ = _holders(database, echo)
        assert [h.column for h in whole if h.table == "bedside_check"] == [column], (column, whole)
        assert all(h.length is None or h.length >= len(echo) for h in whole), (len(echo), whole)
