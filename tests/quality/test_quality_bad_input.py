"""Bad input to the specification and QC endpoints (API and forms) is refused with a reason, never a 500, and
records nothing but the refusal."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.models.user import Role

from builders import make_user
from deviation_builders import csrf_of, sign_in
from quality_builders import HTML, body, client_of, lot_in_qc, result_rows

BAD_RESULTS: list[object] = [
    {}, [], "sterility", None, {"scan": "", "test_code": "sterility"},
    {"scan": "x" * 5000, "test_code": "sterility", "result_text": "no growth"},
    {"scan": "=W0000", "test_code": "../../etc", "result_text": "no growth"},
    {"scan": "=W0000", "test_code": "CD34", "value": 1},
    {"scan": "=W0000", "test_code": "cd34", "value": "NaN"}, {"scan": "=W0000", "test_code": "cd34", "value": "abc"},
    {"scan": "=W0000", "test_code": "cd34", "value": [1]}, {"scan": "=W0000", "test_code": "cd34", "value": True},
    {"scan": "=W0000", "test_code": "sterility", "status": "maybe"},
    {"scan": "=W0000", "test_code": "sterility", "status": "preliminary", "day": -1},
    {"scan": "=W0000", "test_code": "sterility", "day": 10**20},
    {"scan": "=W0000", "test_code": "sterility", "result_text": "no\x00growth"},
    {"scan": "=W0000", "test_code": "sterility", "result_text": "n" * 65},
    {"scan": "=W0000", "test_code": "sterility", "result_text": "no growth", "verdict": "pass"},
    {"scan": "=W0000", "test_code": "sterility", "instrument": "<script>"},
    {"scan": "=W0000", "test_code": "sterility", "method": "m" * 201},
]

BAD_SPECIFICATIONS: list[object] = [
    {}, [], {"code": "MSC-FP", "version": 1, "title": "x", "tests": "all"},
    {"code": "MSC-FP", "version": 1, "title": "Title", "tests": [{"code": "x"}]},
    {"code": "MSC-FP", "version": 1, "title": "Title", "tests": [[]]},
    {"code": "M" * 40, "version": 1, "title": "Title", "tests": []},
    {"code": "MSC-FP", "version": 10**30, "title": "Title", "tests": []},
    {"code": "MSC-FP", "version": 1, "title": "Title", "tests": [{"min": "1e999"}]},
]


def test_malformed_results_and_corrections_are_refused_without_a_server_error(
    app: FastAPI, database: Database, settings: Settings
) -> None:
    qc = lot_in_qc(database, settings)
    url = f"/api/v1/lots/{qc.din}/qc/results"
    with client_of(app, qc.analyst) as client:
        for payload in BAD_RESULTS:
            response = client.post(url, json=payload)
            assert 400 <= response.status_code < 500 and response.json()["message"], payload
        for raw in (b"{not json", b"\xff\xfe\x00", b'{"scan": "=W", "test_code": "cd34", "value": NaN}',
                    b'{"scan": "=W", "test_code": "cd34", "value": 1e400}',
                    b"[" * 10000 + b"]" * 10000):
            response = client.post(url, content=raw, headers={"content-type": "application/json"})
            assert 400 <= response.status_code < 500, raw[:40]
        # Well formed, but naming no sample of ours: refused with a reason.
        for scan in ("\x00\x01", "=" + "W" * 30, "&/CHW000026000001", qc.samples[0][:-1]):
            response = client.post(url, json=body("sterility", scan, text="no growth"))
            assert response.status_code in (400, 404, 409), scan
        corrections = f"/api/v1/lots/{qc.din}/qc/results/1/corrections"
        for payload in ({"value": "x", "reason": "r"}, {"reason": "r" * 5000}, {"reason": "\x00"}, [], None):
            response = client.post(corrections, json=payload)
            assert 400 <= response.status_code < 500, payload
        for path in ("/api/v1/lots/W000026000001/qc/results/0/corrections",
                     "/api/v1/lots/W000026000001/qc/results/99999999999999999999999/corrections",
                     "/api/v1/lots/nope/qc/results"):
            assert client.post(path, json={"value": 1, "reason": "r"}).status_code in (404, 422), path
    assert result_rows(database, qc.din) == []


def test_malformed_specifications_are_refused_without_a_server_error(app: FastAPI, database: Database) -> None:
    qa = make_user(database, Role.QA)
    with client_of(app, qa) as client:
        for payload in BAD_SPECIFICATIONS:
            response = client.post("/api/v1/specifications", json=payload)
            assert 400 <= response.status_code < 500 and response.json()["message"], payload
        for raw in (b'{"code": "MSC-FP", "version": 1, "title": "Title", "tests": [{"min": 1e400}]}',
                    b'{"code": "MSC-FP", "version": 1, "title": "Title", "tests": [{"k_eu_per_kg": -Infinity}]}',
                    b'{"code": "MSC-FP", "version": 1, "title": "Title", "tests": [{"a": ' + b"[" * 5000
                    + b"]" * 5000 + b"}]}"):
            response = client.post("/api/v1/specifications", content=raw, headers={"content-type": "application/json"})
            assert 400 <= response.status_code < 500 and response.json()["message"], raw[:60]
        for default in ({}, {"code": "msc"}, {"code": "MSC-FP", "x": 1}):
            assert client.post("/api/v1/specifications/default", json=default).status_code == 422
        for path in ("/api/v1/specifications/MSC-FP/0/approve", "/api/v1/specifications/%00/1/approve",
                     "/api/v1/specifications/MSC-FP/99999999999999/approve"):
            assert client.post(path, json=qa.credentials).status_code in (404, 422), path
        assert client.get("/api/v1/specifications").json() == []


def test_odd_form_input_at_the_pages_is_refused_without_a_server_error(
    client: TestClient, database: Database, settings: Settings
) -> None:
    qc = lot_in_qc(database, settings)
    sign_in(client, qc.analyst)
    token = csrf_of(client, f"/lots/{qc.din}/qc")
    for fields in ({"test_code": "", "scan": ""}, {"test_code": "sterility", "scan": "\x00", "day": "x"},
                   {"test_code": "sterility", "scan": qc.samples[0], "status": "final", "value": "1e999"},
                   {"test_code": "sterility", "scan": qc.samples[0], "result_text": "é" * 100},
                   {"test_code": "Sterility!", "scan": qc.samples[0], "result_text": "no growth"}):
        response = client.post(f"/lots/{qc.din}/qc/results", headers=HTML, data={**fields, "csrf_token": token})
        assert 400 <= response.status_code < 500, fields
        assert "NOT RECORDED" in response.text
    qa = TestClient(client.app, raise_server_exceptions=False)
    sign_in(qa, qc.qa)
    token = csrf_of(qa, "/specifications")
    for content in ("", "[]", "null", '{"code": "MSC-FP"}', "[" * 50_000, '{"version": NaN}', "\x00"):
        response = qa.post("/specifications", headers=HTML, data={"content": content, "csrf_token": token})
        assert 400 <= response.status_code < 500, content[:20]
    assert qa.post("/specifications/MSC-FP/1/approve", headers=HTML,
                   data={"password": "", "csrf_token": token}).status_code in (400, 409)
    assert result_rows(database, qc.din) == []
