"""The periodic access review: every account's roles, qualifications, last sign-in and tokens in one report that QA
signs, stored with its hash; the report signed is the report read."""

from __future__ import annotations

import csv
import io

from conftest import api_client
from fastapi import FastAPI
from fastapi.testclient import TestClient

from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.models.user import Role

from builders import make_user
from deviation_builders import sign_in


def test_the_report_lists_each_account_with_roles_qualifications_sign_in_and_tokens(
    app: FastAPI, client: TestClient, database: Database
) -> None:
    operator = make_user(database, Role.OPERATOR)
    qa = make_user(database, Role.QA)
    sign_in(client, operator)
    with api_client(app, qa) as reader:
        report = reader.get("/api/v1/access-review").json()
    row = next(u for u in report["users"] if u["username"] == operator.username)
    assert row["active"] is True and row["locked"] is False and row["roles"] == ["operator"]
    assert row["last_login_at"] is not None
    assert [t["roles"] for t in row["tokens"]] == [["operator"]] and row["tokens"][0]["state"] == "active"
    assert row["tokens"][0]["expires_at"] is not None
    # The qualifications the demo and the builders grant are listed with their expiry.
    assert all({"code", "expires_on", "expired"} <= q.keys() for q in row["qualifications"])
    assert len(report["accounts_sha256"]) == 64


def test_qa_signs_the_report_read_and_a_changed_report_is_refused(
    app: FastAPI, database: Database, settings: Settings
) -> None:
    qa = make_user(database, Role.QA)
    with api_client(app, qa) as reader:
        read = reader.get("/api/v1/access-review").json()
        signed = reader.post("/api/v1/access-reviews", json={
            "username": qa.username, "password": qa.password, "comment": "Q4",
            "accounts_sha256": read["accounts_sha256"]})
        assert signed.status_code == 201, signed.text
        assert signed.json()["signature"]["intact"] is True and signed.json()["users"] == len(read["users"])
        make_user(database, Role.NURSE)  # an account added after the report was read
        changed = reader.post("/api/v1/access-reviews", json={
            "username": qa.username, "password": qa.password, "accounts_sha256": read["accounts_sha256"]})
        assert changed.status_code == 409 and changed.json()["error"] == "access_review.report_changed"
        past = reader.get("/api/v1/access-reviews").json()
    assert [(r["comment"], r["signature"]["meaning"]) for r in past] == [("Q4", "reviewed")]
    # The report as signed, not as it is now: the account added since is not in it.
    with api_client(app, qa) as reader:
        signed_csv = reader.get(f"/api/v1/access-reviews/{past[0]['id']}.csv")
        missing = reader.get("/api/v1/access-reviews/999999.csv")
    rows = list(csv.DictReader(io.StringIO(signed_csv.text)))
    assert sorted(r["username"] for r in rows) == sorted(u["username"] for u in read["users"])
    assert missing.status_code == 404


def test_only_qa_signs_the_access_review(app: FastAPI, database: Database) -> None:
    admin = make_user(database, Role.ADMIN)
    operator = make_user(database, Role.OPERATOR)
    with api_client(app, admin) as reader:
        assert reader.get("/api/v1/access-review").status_code == 200
        refused = reader.post("/api/v1/access-reviews", json={"username": admin.username, "password": admin.password})
        assert refused.status_code == 403
    with api_client(app, operator) as other:
        assert other.get("/api/v1/access-review").status_code == 403
