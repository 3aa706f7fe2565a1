"""Properties of the JSON definitions read from outside text: a release specification QA writes (form or API),
and protocol and process ids named in requests. Any input gives the definition or the module's refusal."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from batchtrack.db import Database
from batchtrack.errors import NotFound
from batchtrack.models.user import Role
from batchtrack.processing import definition as process_definition
from batchtrack.protocols import definition as protocol_definition
from batchtrack.quality import specification
from batchtrack.quality.specification import SpecificationError

from builders import UserHandle, make_user
from deviation_builders import csrf_of, sign_in

ClientFactory = Callable[..., tuple[TestClient, UserHandle]]
HTML = {"accept": "text/html"}
SHIPPED = specification.canonical(specification.shipped_default())

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20,
)


def _edited(base: dict[str, Any], path: list[str | int], value: object) -> dict[str, Any]:
    """The shipped specification with the value at `path` (as far as it leads) replaced by `value`."""
    edited = json.loads(json.dumps(base))
    node: Any = edited
    for step in path[:-1]:
        key = step % len(node) if isinstance(node, list) and isinstance(step, int) and node else step
        if not isinstance(node, dict | list) or (isinstance(node, dict) and key not in node) or (
                isinstance(node, list) and not isinstance(key, int)):
            break
        node = node[key]
    if isinstance(node, dict):
        node[str(path[-1])] = value
    return edited


shipped_edits = st.builds(_edited, st.just(json.loads(SHIPPED)),
                          st.lists(st.sampled_from(["tests", "code", "version", "title", "min", "max", "unit",
                                                    "stage", 0, 1, 2]), min_size=1, max_size=4), json_values)
specification_text = st.one_of(
    st.text(max_size=200),
    json_values.map(json.dumps),
    shipped_edits.map(json.dumps),
    st.integers(min_value=4000, max_value=6000).map(lambda digits: "1" * digits),
)


@settings(max_examples=150)
@given(specification_text)
@example("1" * 5000)  # more digits than Python converts: was a ValueError, not a SpecificationError
@example("[" * 100_000)
@example('{"code": "MSC-FP", "version": NaN}')
def test_any_text_is_a_specification_or_a_specification_error(text: str) -> None:
    try:
        content = specification.parse(text)
    except SpecificationError as refusal:
        assert str(refusal)
        return
    # What is stored (the canonical form) reads back as the same specification.
    assert specification.parse(specification.canonical(content)) == content


def test_the_shipped_specification_round_trips() -> None:
    assert specification.canonical(specification.parse(SHIPPED)) == SHIPPED


@given(st.text(max_size=60))
@example("../processes/MSC-EXP-1")
@example("KCT0004337\x00")
def test_any_protocol_or_process_id_is_a_definition_or_not_found(name: str) -> None:
    for load in (protocol_definition.load, process_definition.load):
        try:
            loaded = load(name)
        except NotFound as refusal:
            assert refusal.status_code == 404 and refusal.message
            continue
        assert name in (protocol_definition.available() + process_definition.available()) and loaded is not None


@pytest.fixture
def qa_client(as_role: ClientFactory) -> TestClient:
    """A QA API client, shared by the generated drafts of one test."""
    return as_role(Role.QA)[0]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(json_values, shipped_edits))
def test_any_specification_draft_by_api_is_stored_or_refused_with_a_reason(qa_client: TestClient,
                                                                           draft: object) -> None:
    try:
        body = json.dumps(draft, allow_nan=True).encode()
    except ValueError:  # an integer of more digits than Python writes: nothing a client could send either
        return
    response = qa_client.post("/api/v1/specifications", content=body, headers={"content-type": "application/json"})
    assert response.status_code in (201, 400, 409, 422), (response.status_code, response.text[:200])
    if response.status_code != 201:
        assert response.json()["message"]


@pytest.mark.parametrize("content", ["1" * 5000, '{"code": "MSC-FP", "version": 1' + "0" * 5000 + "}"])
def test_a_specification_with_a_number_too_long_to_read_is_refused_at_the_page(client: TestClient,
                                                                               database: Database,
                                                                               content: str) -> None:
    # Found by fuzzing: the form's JSON went through to a ValueError, answered with a 500.
    qa = make_user(database, Role.QA)
    sign_in(client, qa)
    token = csrf_of(client, "/specifications")
    response = client.post("/specifications", headers=HTML, data={"content": content, "csrf_token": token})
    assert response.status_code == 400, response.text[:300]
    assert "not valid" in response.text
