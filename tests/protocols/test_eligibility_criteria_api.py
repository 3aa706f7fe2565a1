"""An integration reads a protocol's eligibility criteria from the API and answers them by those ids: no copy of
the protocol file kept on its side."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from batchtrack.models.user import Role
from batchtrack.protocols import definition

from builders import PROTOCOL, UserHandle, eligible_answers, enrolment

ClientFactory = Callable[..., tuple[TestClient, UserHandle]]
CRITERIA = f"/api/v1/protocols/{PROTOCOL}/eligibility-criteria"


def test_the_criteria_listed_are_the_protocol_files(as_role: ClientFactory) -> None:
    client, _ = as_role(Role.INVESTIGATOR)
    listed = client.get(CRITERIA)
    assert listed.status_code == 200
    body = listed.json()
    protocol = definition.load(PROTOCOL)
    assert (body["protocol_id"], body["protocol_version"]) == (PROTOCOL, protocol.version)
    assert body["indications"] == list(protocol.indications)
    assert [(c["id"], c["kind"], c["text"]) for c in body["criteria"]] == [
        (c.id, c.kind, c.text) for c in protocol.criteria]


def test_answers_built_from_the_listed_criteria_make_a_subject_eligible(as_role: ClientFactory) -> None:
    client, user = as_role(Role.INVESTIGATOR)
    listed = client.get(CRITERIA, params={"indication": "nephritis", "donor_kind": "autologous"}).json()
    answers = {c["id"]: c["kind"] == "inclusion" for c in listed["criteria"]}
    assert answers == eligible_answers("nephritis")
    assert all(c["applies_to"] in ("all", "nephritis") for c in listed["criteria"])
    assert client.post("/api/v1/recipients", json=enrolment("S-401", "MRN-401").model_dump(mode="json")
                       ).status_code == 201
    assessed = client.post("/api/v1/recipients/S-401/eligibility", json={
        "answers": answers, "prescribed_cells_per_kg": 1e6, **user.credentials})
    assert assessed.status_code == 201, assessed.text
    assert assessed.json()["eligible"] is True and assessed.json()["therapy_coi"]


def test_a_directed_donor_adds_the_donor_criteria(as_role: ClientFactory) -> None:
    client, _ = as_role(Role.INVESTIGATOR)
    autologous = client.get(CRITERIA, params={"indication": "cytopenia"}).json()["criteria"]
    directed = client.get(CRITERIA, params={"indication": "cytopenia", "donor_kind": "directed"}).json()["criteria"]
    assert {c["id"] for c in autologous} < {c["id"] for c in directed}
    assert {c["applies_to"] for c in directed} - {c["applies_to"] for c in autologous} == {"directed"}


def test_an_unknown_protocol_or_indication_is_refused_with_the_known_ones(as_role: ClientFactory) -> None:
    client, _ = as_role(Role.INVESTIGATOR)
    unknown = client.get("/api/v1/protocols/NOPE-1/eligibility-criteria")
    assert unknown.status_code == 404 and unknown.json()["error"] == "protocol.unknown"
    assert PROTOCOL in unknown.json()["message"]
    wrong = client.get(CRITERIA, params={"indication": "arthritis"})
    assert wrong.status_code == 400
    assert wrong.json()["error"] == "protocol.unknown_indication" and "nephritis" in wrong.json()["message"]
    malformed = client.get("/api/v1/protocols/bad%20id/eligibility-criteria")
    assert malformed.status_code == 422


def test_only_those_who_assess_eligibility_read_the_criteria(as_role: ClientFactory) -> None:
    operator, _ = as_role(Role.OPERATOR)
    refused = operator.get(CRITERIA)
    assert refused.status_code == 403 and refused.json()["error"] == "role"


def test_the_description_documents_the_refusal_of_an_unknown_indication(as_role: ClientFactory) -> None:
    client, _ = as_role(Role.INVESTIGATOR)
    answers = client.get("/api/v1/openapi.json").json()["paths"][
        "/api/v1/protocols/{protocol_id}/eligibility-criteria"]["get"]["responses"]
    assert {"400", "401", "403", "404", "422"} <= set(answers)
    assert answers["400"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Refusal"}
