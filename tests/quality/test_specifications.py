"""Release specifications through the API: QA drafts (the shipped default or a whole new version) and approves
with a signature; approval supersedes the previous version, and lots already in QC keep theirs."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.lots import service as lot_service
from batchtrack.models.user import Role
from batchtrack.quality import specification, specifications

from builders import UserHandle, make_user
from deviation_builders import entries, set_lot_state
from quality_builders import client_of, enter, lot_in_qc, lot_qc, qc_sample_of_another_lot

ClientFactory = Callable[..., tuple[TestClient, UserHandle]]


def _default_content(**changes: Any) -> dict[str, Any]:
    content: dict[str, Any] = specification.shipped_default().model_dump(mode="json")
    return {**content, **changes}


def _stored(database: Database) -> list[tuple[str, int, str]]:
    with database.transaction(write=False) as session:
        return [(s.code, s.version, s.status) for s in specifications.versions(session=session)]


def test_qa_drafts_the_shipped_default_and_approves_it_with_a_signature(
    app: FastAPI, database: Database, as_role: ClientFactory
) -> None:
    client, qa = as_role(Role.QA)
    assert client.get("/api/v1/specifications").json() == []
    drafted = client.post("/api/v1/specifications/default", json={"code": "MSC-FP"})
    assert drafted.status_code == 201, drafted.text
    spec = drafted.json()
    assert (spec["code"], spec["version"], spec["status"], spec["approval"]) == ("MSC-FP", 1, "draft", None)
    assert spec["tests"] == 17 and spec["created_by"] == f"Test {qa.username.title()}"
    limits = {t["code"]: t["limit"] for t in spec["test_list"]}
    assert limits["viability"] == ">= 70 %" and limits["sterility"] == "no growth"
    assert "K 5 EU/kg" in limits["endotoxin"]
    assert spec["content"]["tests"][0]["code"] == "sterility_in_process"
    # Drafting it again returns the stored draft.
    assert client.post("/api/v1/specifications/default", json={"code": "MSC-FP"}).json()["version"] == 1
    unknown = client.post("/api/v1/specifications/default", json={"code": "CAR-T"})
    assert unknown.status_code == 404

    wrong = client.post("/api/v1/specifications/MSC-FP/1/approve",
                        json={"username": qa.username, "password": "not-mine"})
    assert wrong.status_code == 403 and wrong.json()["error"] == "signature.password"
    approved = client.post("/api/v1/specifications/MSC-FP/1/approve", json=qa.credentials)
    assert approved.status_code == 200, approved.text
    signature = approved.json()["approval"]
    assert approved.json()["status"] == "effective" and approved.json()["effective_at"]
    assert signature["printed_name"] == f"Test {qa.username.title()}" and signature["meaning"] == "approved"
    assert signature["intact"] is True
    again = client.post("/api/v1/specifications/MSC-FP/1/approve", json=qa.credentials)
    assert again.status_code == 409 and again.json()["error"] == "specification.not_draft"
    assert client.get("/api/v1/specifications/MSC-FP/1").json()["approval"] == signature
    assert [s["status"] for s in client.get("/api/v1/specifications").json()] == ["effective"]
    actions = [e.action for e in entries(database, "specification", "MSC-FP v1")]
    assert actions[0] == "specification.drafted" and "specification.approved" in actions
    assert "specification.approve_refused" in actions and "signature.refused" in actions


def test_a_draft_with_a_wrong_version_number_or_invalid_content_is_refused(
    app: FastAPI, database: Database, as_role: ClientFactory
) -> None:
    client, _ = as_role(Role.QA)
    assert client.post("/api/v1/specifications", json=_default_content()).status_code == 201
    skipped = client.post("/api/v1/specifications", json=_default_content(version=3))
    assert skipped.status_code == 409 and skipped.json()["error"] == "specification.version"
    assert "the next version is 2" in skipped.json()["message"]
    again = client.post("/api/v1/specifications", json=_default_content(version=1))
    assert again.status_code == 409

    tests = _default_content()["tests"]
    inverted = [dict(t, min=5, max=2) if t["code"] == "cd34" else t for t in tests]
    unknown_kind = [dict(t, kind="vibes") if t["code"] == "cd34" else t for t in tests]
    no_words = [dict(t, results=[], expected=[]) if t["code"] == "gram_stain" else t for t in tests]
    extra_field = [dict(t, colour="red") if t["code"] == "cd34" else t for t in tests]
    for content in (_default_content(version=2, tests=inverted), _default_content(version=2, tests=unknown_kind),
                    _default_content(version=2, tests=no_words), _default_content(version=2, tests=extra_field),
                    _default_content(version=2, tests=[*tests, tests[0]]), _default_content(version=2, tests=[]),
                    _default_content(version=2, code="msc fp")):
        refused = client.post("/api/v1/specifications", json=content)
        assert refused.status_code == 400, refused.text
        assert refused.json()["error"] == "specification.invalid" and refused.json()["message"]
    endless = json.dumps(_default_content(version=2)).replace('"k_eu_per_kg": 5.0', '"k_eu_per_kg": Infinity')
    assert "Infinity" in endless
    refused = client.post("/api/v1/specifications", content=endless, headers={"content-type": "application/json"})
    assert refused.status_code == 400 and "Infinity" in refused.json()["message"]
    assert _stored(database) == [("MSC-FP", 1, "draft")]


def test_approval_supersedes_the_previous_version_and_bound_lots_keep_theirs(
    app: FastAPI, database: Database, settings: Settings
) -> None:
    qc = lot_in_qc(database, settings)  # bound to MSC-FP v1
    stricter = _default_content(version=2, title="MSC final product, viability at least 80 %", tests=[
        dict(t, min=80) if t["code"] == "viability" else t for t in _default_content()["tests"]])
    with client_of(app, qc.qa) as client:
        drafted = client.post("/api/v1/specifications", json=stricter)
        assert drafted.status_code == 201 and drafted.json()["status"] == "draft"
        approved = client.post("/api/v1/specifications/MSC-FP/2/approve", json=qc.qa.credentials)
        assert approved.status_code == 200
        listed = {(s["version"], s["status"]) for s in client.get("/api/v1/specifications").json()}
        assert listed == {(1, "superseded"), (2, "effective")}
        old = client.get("/api/v1/specifications/MSC-FP/1").json()
        assert old["status"] == "superseded" and old["approval"]["intact"] is True

    # The lot in QC keeps version 1; a lot submitted now is bound to version 2.
    assert enter(database, qc, "viability", value=75).result.conforms is True
    shown = lot_qc(database, qc.din)
    assert shown.specification is not None and shown.specification.version == 1
    other_din, other_sample = qc_sample_of_another_lot(database, settings)
    set_lot_state(database, other_din, "formulated")
    operator = make_user(database, Role.OPERATOR)
    with database.transaction() as session:
        lot_service.transition(session=session, actor=operator.principal, din=other_din, name="submit_to_qc",
                               reason="formulated")
    other = lot_qc(database, other_din)
    assert other.specification is not None and other.specification.version == 2
    with client_of(app, qc.analyst) as client:
        strict = client.post(f"/api/v1/lots/{other_din}/qc/results",
                             json={"scan": other_sample, "test_code": "viability", "value": 75})
    assert strict.status_code == 201 and strict.json()["result"]["conforms"] is False
    assert strict.json()["result"]["limit_text"] == ">= 80 %"


def test_only_qa_drafts_and_approves_specifications_and_everyone_reads_them(
    app: FastAPI, database: Database, as_role: ClientFactory
) -> None:
    qa_client, _ = as_role(Role.QA)
    assert qa_client.post("/api/v1/specifications/default", json={"code": "MSC-FP"}).status_code == 201
    for role in (Role.QC_ANALYST, Role.OPERATOR, Role.ADMIN, Role.MEDICAL_DIRECTOR):
        client, user = as_role(role)
        assert client.post("/api/v1/specifications", json=_default_content(version=2)).status_code == 403, role
        assert client.post("/api/v1/specifications/default", json={"code": "MSC-FP"}).status_code == 403, role
        approve = client.post("/api/v1/specifications/MSC-FP/1/approve", json=user.credentials)
        assert approve.status_code == 403, role
        assert client.get("/api/v1/specifications").status_code == 200
        assert client.get("/api/v1/specifications/MSC-FP/1").json()["status"] == "draft"
    assert qa_client.get("/api/v1/specifications/MSC-FP/9").status_code == 404
    assert qa_client.get("/api/v1/specifications/msc-fp/1").status_code == 422
    assert _stored(database) == [("MSC-FP", 1, "draft")]
