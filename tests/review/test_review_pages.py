"""The review pages: the audit trail (filtered, paged by seq, CSV link), a lot's record review signed from its page
before the release, and the access review."""

from __future__ import annotations

import csv
import io
import re

from fastapi.testclient import TestClient

from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.models.user import Role

from builders import UserHandle, make_user
from deviation_builders import HTML, csrf_of, sign_in
from release_builders import lot_state, ready_lot


def _post(client: TestClient, page: str, action: str, fields: dict[str, str]) -> str:
    """Submit a form of `page` as the browser does; the page it lands on."""
    token = csrf_of(client, page)
    response = client.post(action, headers=HTML, data={**fields, "csrf_token": token})
    assert response.status_code == 200, response.text[:500]
    return response.text


def _signing(user: UserHandle) -> dict[str, str]:
    return {"username": user.username, "password": user.password}


def test_qa_reads_the_exceptions_signs_the_record_review_and_then_releases_from_the_pages(
    client: TestClient, database: Database, settings: Settings
) -> None:
    lot = ready_lot(database, settings, reviewed=False)
    sign_in(client, lot.qa)
    release = client.get(f"/lots/{lot.din}/release", headers=HTML).text
    assert "release.record_review_missing" in release and "Not releasable: 1 unmet condition." in release
    assert f'href="http://testserver/lots/{lot.din}/record-review"' in release

    page = client.get(f"/lots/{lot.din}/record-review", headers=HTML).text
    assert "Not reviewed: the release needs QA" in page
    assert 'id="review-form"' in page and 'id="lot-trail-link"' in page
    reviewed = _post(client, f"/lots/{lot.din}/record-review", f"/lots/{lot.din}/record-review",
                     {**_signing(lot.qa), "comment": "read every exception"})
    assert "Reviewed through entry" in reviewed and "read every exception" in reviewed and ", intact" in reviewed

    released = _post(client, f"/lots/{lot.din}/release", f"/lots/{lot.din}/release",
                     {**_signing(lot.qa), "pending_sterility": "false"})
    assert lot_state(database, lot.din) == "released" and "QA decision: released" in released


def test_the_record_review_page_groups_exceptions_and_is_read_only_for_the_medical_director(
    client: TestClient, database: Database, settings: Settings
) -> None:
    lot = ready_lot(database, settings, reviewed=False)
    sign_in(client, lot.qa)
    token = csrf_of(client, f"/lots/{lot.din}/record-review")
    wrong = client.post(f"/lots/{lot.din}/record-review", headers=HTML,
                        data={"username": lot.qa.username, "password": "not-it", "csrf_token": token})
    assert wrong.status_code == 403 and "signature" in wrong.text
    client.post("/logout", data={"csrf_token": csrf_of(client, "/")}, headers=HTML)
    sign_in(client, lot.director)
    page = client.get(f"/lots/{lot.din}/record-review", headers=HTML).text
    assert "<h3>Refusals (1)</h3>" in page and "signature.refused" in page
    assert 'id="review-form"' not in page
    sign_in_as_operator = make_user(database, Role.OPERATOR)
    client.post("/logout", data={"csrf_token": csrf_of(client, "/")}, headers=HTML)
    sign_in(client, sign_in_as_operator)
    assert client.get(f"/lots/{lot.din}/record-review", headers=HTML).status_code == 403


def test_the_audit_trail_page_filters_pages_by_seq_and_links_the_csv_of_the_filter(
    client: TestClient, database: Database, settings: Settings
) -> None:
    lot = ready_lot(database, settings)
    sign_in(client, lot.qa)
    page = client.get("/audit", headers=HTML, params={"lot": lot.din}).text
    assert 'id="audit-entries"' in page and "record_review.signed" in page
    older = re.search(r'id="audit-older"|href="([^"]+)" rel="next"', page)
    assert older is not None
    link = re.search(r'<a href="([^"]+)" rel="next" id="audit-older">', page)
    assert link is not None and "before_seq=" in link.group(1) and f"lot={lot.din}" in link.group(1)
    second = client.get(link.group(1).replace("&amp;", "&"), headers=HTML).text
    assert 'id="audit-newer"' in second
    csv_link = re.search(r'<a href="([^"]+)" id="audit-csv"', page)
    assert csv_link is not None
    exported = client.get(csv_link.group(1).replace("&amp;", "&"))
    assert exported.status_code == 200 and len(list(csv.reader(io.StringIO(exported.text)))) > 50
    # The filter form sends every field, the empty ones too; its times are the site's local time.
    form = {"lot": lot.din, "therapy": "", "entity_type": "", "entity_id": "", "user": "", "action": "label.",
            "since": "2000-01-01 00:00", "until": ""}
    labels = client.get("/audit", headers=HTML, params=form)
    assert labels.status_code == 200 and "label.printed" in labels.text and "step.completed" not in labels.text
    assert 'value="2000-01-01 00:00"' in labels.text
    later = client.get("/audit", headers=HTML, params={**form, "since": "2999-01-01T00:00"}).text
    assert "No audit entry matches these filters." in later
    assert client.get("/audit", headers=HTML, params={**form, "lot": "not-a-din"}).status_code == 400
    empty = client.get("/audit", headers=HTML, params={"action": "no.such_action"}).text
    assert "No audit entry matches these filters." in empty
    operator = make_user(database, Role.OPERATOR)
    client.post("/logout", data={"csrf_token": csrf_of(client, "/")}, headers=HTML)
    sign_in(client, operator)
    assert client.get("/audit", headers=HTML).status_code == 403


def test_qa_signs_the_access_review_and_the_report_shows_roles_tokens_and_sign_ins(
    client: TestClient, database: Database
) -> None:
    qa = make_user(database, Role.QA)
    admin = make_user(database, Role.ADMIN)
    sign_in(client, qa)
    page = client.get("/access-review", headers=HTML).text
    assert qa.username in page and admin.username in page and "No access review has been signed yet." in page
    row = page.split(qa.username, 1)[1].split("</tr>", 1)[0]
    assert "<td>qa</td>" in row and "<td>never</td>" not in row  # signed in just now
    signed = _post(client, "/access-review", "/access-review", {**_signing(qa), "comment": "quarterly review"})
    assert "quarterly review" in signed and ", intact" in signed
    exported = client.get("/api/v1/access-review.csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert {r["username"] for r in rows} >= {qa.username, admin.username}
    assert next(r for r in rows if r["username"] == admin.username)["roles"] == "admin"
    client.post("/logout", data={"csrf_token": csrf_of(client, "/")}, headers=HTML)
    sign_in(client, admin)
    as_admin = client.get("/access-review", headers=HTML).text
    assert "quarterly review" in as_admin and 'id="access-review-form"' not in as_admin
