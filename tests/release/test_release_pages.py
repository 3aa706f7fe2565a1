"""The release page: every unmet condition at once as a checklist, the release button only when none is left,
the pending-sterility path with its co-signatures, and the server refusing whatever the page showed."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from httpx2 import Response

from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.models.user import Role

from builders import make_user
from deviation_builders import HTML, csrf_of, open_deviation, sign_in
from release_builders import decisions, enter_result, lot_state, ready_lot, record_allergy


def _no_inline_code(html: str) -> None:
    assert "style=" not in html and "<script" not in html and "<style" not in html


def _submit(client: TestClient, din: str, path: str, fields: dict[str, str]) -> Response:
    """Submit a form of the release page, as the browser does (CSRF token from the page)."""
    token = csrf_of(client, f"/lots/{din}/release")
    return client.post(path, headers=HTML, follow_redirects=False, data={**fields, "csrf_token": token})


def _button(html: str, element_id: str) -> str:
    match = re.search(rf'<button[^>]*id="{element_id}"[^>]*>', html)
    assert match, element_id
    return match.group(0)


def test_the_checklist_shows_every_unmet_condition_and_keeps_the_release_button_disabled(
    client: TestClient, database: Database, settings: Settings
) -> None:
    lot = ready_lot(database, settings, skip=("mycoplasma",))
    record_allergy(database, lot.subject, "penicillin")
    sign_in(client, lot.qa)
    page = client.get(f"/lots/{lot.din}/release", headers=HTML)
    assert page.status_code == 200
    html = page.text
    _no_inline_code(html)
    assert "Not releasable: 2 unmet conditions." in html
    assert "release.test_missing" in html and "Mycoplasma: no result" in html
    assert "release.pen_strep_hypersensitivity" in html
    assert "Unmet:</span> Every test has a final result within its limit" in html
    assert "Met:</span> The chain of custody has no gap" in html
    assert "disabled" in _button(html, "do-release")
    assert 'id="reject-form"' in html and 'id="release-pending-form"' in html

    # The server refuses whatever the page shows.
    refused = _submit(client, lot.din, f"/lots/{lot.din}/release",
                      {**lot.qa.credentials, "pending_sterility": "false"})
    assert refused.status_code == 409 and "release.test_missing" in refused.text
    assert lot_state(database, lot.din) == "in_qc"


def test_qa_releases_from_the_page_when_nothing_is_left_and_the_lot_page_links_to_it(
    client: TestClient, database: Database, settings: Settings
) -> None:
    lot = ready_lot(database, settings)
    sign_in(client, lot.qa)
    lot_page = client.get(f"/lots/{lot.din}", headers=HTML).text
    assert f'href="http://testserver/lots/{lot.din}/release"' in lot_page
    assert f'href="http://testserver/lots/{lot.din}/certificate"' in lot_page
    html = client.get(f"/lots/{lot.din}/release", headers=HTML).text
    assert "Every condition of a release is met." in html and "disabled" not in _button(html, "do-release")
    done = _submit(client, lot.din, f"/lots/{lot.din}/release",
                   {**lot.qa.credentials, "pending_sterility": "false"})
    assert done.status_code == 303, done.text[:500]
    assert lot_state(database, lot.din) == "released"
    shown = client.get(f"/lots/{lot.din}/release", headers=HTML).text
    assert 'id="decision"' in shown and lot.qa.principal.full_name in shown and 'id="release-form"' not in shown
    certificate = client.get(f"/lots/{lot.din}/certificate", headers=HTML).text
    assert 'id="certificate-pdf-link"' in certificate and "Viability" in certificate
    _no_inline_code(certificate)


def test_a_deviation_opened_after_the_page_was_shown_is_caught_when_the_form_is_signed(
    client: TestClient, database: Database, settings: Settings
) -> None:
    lot = ready_lot(database, settings)
    sign_in(client, lot.qa)
    token = csrf_of(client, f"/lots/{lot.din}/release")  # the page showed every condition met
    open_deviation(database, lot.din, lot.analyst, description="Sample tube label smudged.")
    refused = client.post(f"/lots/{lot.din}/release", headers=HTML, data={
        **lot.qa.credentials, "pending_sterility": "false", "csrf_token": token})
    assert refused.status_code == 409
    assert "release.open_deviation" in refused.text and "lot.wrong_state" in refused.text
    assert decisions(database, lot.din) == []


def test_the_pending_sterility_path_collects_both_co_signatures_from_the_page(
    client: TestClient, database: Database, settings: Settings
) -> None:
    lot = ready_lot(database, settings, skip=("sterility",))
    enter_result(database, lot.din, lot.analyst, "sterility", text="no growth", status="preliminary")
    for user, role in ((lot.director, "medical_director"), (lot.physician, "treating_physician")):
        sign_in(client, user)
        html = client.get(f"/lots/{lot.din}/release", headers=HTML).text
        assert f'id="co-sign-{role}"' in html and 'id="release-form"' not in html
        signed = _submit(client, lot.din, f"/lots/{lot.din}/release/co-signatures",
                         {"role": role, **user.credentials})
        assert signed.status_code == 303, signed.text[:500]
        client.post("/logout", headers=HTML, data={"csrf_token": csrf_of(client, "/")})
    sign_in(client, lot.qa)
    html = client.get(f"/lots/{lot.din}/release", headers=HTML).text
    assert "disabled" in _button(html, "do-release") and "disabled" not in _button(html, "do-release-pending")
    assert lot.director.principal.full_name in html and lot.physician.principal.full_name in html
    released = _submit(client, lot.din, f"/lots/{lot.din}/release",
                       {**lot.qa.credentials, "pending_sterility": "true"})
    assert released.status_code == 303
    assert lot_state(database, lot.din) == "released_pending_sterility"


def test_qa_rejects_from_the_page_and_a_courier_cannot_read_the_checklist(
    client: TestClient, database: Database, settings: Settings
) -> None:
    lot = ready_lot(database, settings)
    sign_in(client, make_user(database, Role.COURIER))
    assert client.get(f"/lots/{lot.din}/release", headers=HTML).status_code == 403
    client.post("/logout", headers=HTML, data={"csrf_token": csrf_of(client, "/")})
    sign_in(client, lot.qa)
    rejected = _submit(client, lot.din, f"/lots/{lot.din}/reject",
                       {**lot.qa.credentials, "reason": "Bag seal defect found at final inspection."})
    assert rejected.status_code == 303, rejected.text[:500]
    assert lot_state(database, lot.din) == "rejected"
    assert "Bag seal defect found at final inspection." in client.get(f"/lots/{lot.din}/release", headers=HTML).text
