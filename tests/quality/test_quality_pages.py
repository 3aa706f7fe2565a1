"""The specification pages and the QC bench through the browser's forms (CSRF included): QA drafts and approves,
the analyst scans a sample and records results, corrections and refusals show where they happen."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.models.user import Role

from builders import make_user, seed_lot
from deviation_builders import csrf_of, lot_state, sign_in
from quality_builders import HTML, enter, lot_in_qc, qc_sample_of_another_lot, result_rows


def _no_inline_code(html: str) -> None:
    assert "style=" not in html and "<script" not in html and "<style" not in html


def test_qa_drafts_the_default_and_approves_it_from_the_pages(client: TestClient, database: Database) -> None:
    qa = make_user(database, Role.QA)
    sign_in(client, qa)
    empty = client.get("/specifications", headers=HTML)
    assert empty.status_code == 200 and "No specification is stored yet" in empty.text
    assert re.search(r'<a href="/specifications"[^>]*>Specifications</a>', empty.text), "the menu leads to them"
    assert 'id="do-draft-default"' in empty.text and 'id="spec-content"' in empty.text
    assert "&#34;version&#34;: 1" in empty.text  # the draft form starts from the shipped default
    _no_inline_code(empty.text)

    drafted = client.post("/specifications/default", headers=HTML, follow_redirects=False,
                          data={"csrf_token": csrf_of(client, "/specifications")})
    assert drafted.status_code == 303 and drafted.headers["location"].endswith("/specifications/MSC-FP/1")
    page = client.get("/specifications/MSC-FP/1", headers=HTML).text
    assert "Kinetic chromogenic LAL" in page and "\u2265 70%" in page and "post release" in page
    assert 'id="approve-form"' in page and 'type="password"' in page and "meaning: approved" in page
    _no_inline_code(page)

    wrong = client.post("/specifications/MSC-FP/1/approve", headers=HTML, data={
        "username": qa.username, "password": "not-mine",
        "csrf_token": csrf_of(client, "/specifications/MSC-FP/1")})
    assert wrong.status_code == 403 and "signature was not applied" in wrong.text
    approved = client.post("/specifications/MSC-FP/1/approve", headers=HTML, follow_redirects=False, data={
        **qa.credentials, "csrf_token": csrf_of(client, "/specifications/MSC-FP/1")})
    assert approved.status_code == 303
    signed = client.get("/specifications/MSC-FP/1", headers=HTML).text
    signature = signed[signed.index('id="approval-signature"'):]
    assert f"Test {qa.username.title()}" in signature and "approved" in signature and "intact" in signature
    assert re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", signature)
    assert 'id="approve-form"' not in signed

    listed = client.get("/specifications", headers=HTML).text
    assert "effective" in listed and 'id="do-draft-default"' not in listed
    assert "&#34;version&#34;: 2" in listed  # a new version starts from the newest one


def test_qa_drafts_a_new_version_from_json_and_bad_json_is_refused(client: TestClient, database: Database) -> None:
    qa = make_user(database, Role.QA)
    sign_in(client, qa)
    page = client.get("/specifications", headers=HTML).text
    text = re.search(r'<textarea id="spec-content"[^>]*>(.*?)</textarea>', page, re.S)
    assert text is not None
    content = text.group(1).replace("&#34;", '"').replace("&gt;", ">").replace("&lt;", "<").replace("&amp;", "&")
    content = content.replace('"min": 70.0', '"min": 75.0').replace("\n", "\r\n")  # a browser sends CRLF
    stored = client.post("/specifications", headers=HTML, follow_redirects=False,
                         data={"content": content, "csrf_token": csrf_of(client, "/specifications")})
    assert stored.status_code == 303, stored.text[:400]
    assert "\u2265 75%" in client.get(stored.headers["location"], headers=HTML).text
    broken = client.post("/specifications", headers=HTML,
                         data={"content": "{not json", "csrf_token": csrf_of(client, "/specifications")})
    assert broken.status_code == 400 and "not JSON" in broken.text
    forged = client.post("/specifications", headers=HTML, data={"content": content})
    assert forged.status_code == 403 and "form has expired" in forged.text


def test_others_read_specifications_without_the_qa_forms(client: TestClient, database: Database) -> None:
    sign_in(client, make_user(database, Role.COURIER))
    page = client.get("/specifications", headers=HTML)
    assert page.status_code == 200 and 'id="spec-content"' not in page.text and 'id="do-draft-default"' not in page.text
    refused = client.post("/specifications/default", headers=HTML,
                          data={"csrf_token": csrf_of(client, "/specifications")})
    assert refused.status_code == 403


def test_the_analyst_records_results_at_the_qc_bench_by_scanning_the_sample(
    client: TestClient, database: Database, settings: Settings
) -> None:
    qc = lot_in_qc(database, settings)
    sign_in(client, qc.analyst)
    lot_page = client.get(f"/lots/{qc.din}", headers=HTML).text
    assert f'href="http://testserver/lots/{qc.din}/qc"' in lot_page and 'id="lot-qc-link"' in lot_page
    bench = client.get(f"/lots/{qc.din}/qc", headers=HTML)
    assert bench.status_code == 200
    assert 'name="scan"' in bench.text and "autofocus" in bench.text and 'id="test_code"' in bench.text
    assert "MSC-FP v1" in bench.text and "\u2264 6.25 EU/mL" in bench.text and qc.coi in bench.text
    _no_inline_code(bench.text)

    form = {"test_code": "gram_stain", "result_text": "no organisms seen", "status": "final", "scan": qc.samples[0],
            "csrf_token": csrf_of(client, f"/lots/{qc.din}/qc")}
    recorded = client.post(f"/lots/{qc.din}/qc/results", headers=HTML, data=form)
    assert recorded.status_code == 200 and "RECORDED" in recorded.text and "conforms" in recorded.text
    assert '<option value="gram_stain" selected>' in recorded.text

    other_din, other_sample = qc_sample_of_another_lot(database, settings)
    wrong = client.post(f"/lots/{qc.din}/qc/results", headers=HTML,
                        data={**form, "test_code": "mycoplasma", "result_text": "not detected", "scan": other_sample})
    assert wrong.status_code == 409 and "NOT RECORDED" in wrong.text and other_din in wrong.text
    assert "scan.wrong_lot" in wrong.text and 'value="not detected"' in wrong.text  # what was typed is kept

    low = client.post(f"/lots/{qc.din}/qc/results", headers=HTML, data={
        **form, "test_code": "viability", "result_text": "", "value": "61.5"})
    assert low.status_code == 200 and "OUT OF SPECIFICATION" in low.text and "deviation DEV-" in low.text
    assert lot_state(database, qc.din) == ("on_hold", "in_qc")

    not_a_number = client.post(f"/lots/{qc.din}/qc/results", headers=HTML, data={
        **form, "test_code": "cd73", "result_text": "", "value": "ninety"})
    assert not_a_number.status_code == 400 and "input.value" in not_a_number.text
    _no_inline_code(not_a_number.text)
    assert len(result_rows(database, qc.din)) == 2


def test_the_analyst_corrects_a_result_at_the_bench_and_both_stay_visible(
    client: TestClient, database: Database, settings: Settings
) -> None:
    qc = lot_in_qc(database, settings)
    first = enter(database, qc, "cd34", value=0.5)
    sign_in(client, qc.analyst)
    bench = client.get(f"/lots/{qc.din}/qc", headers=HTML).text
    assert f'action="http://testserver/lots/{qc.din}/qc/results/{first.result.id}/corrections"' in bench
    url = f"/lots/{qc.din}/qc/results/{first.result.id}/corrections"
    no_reason = client.post(url, headers=HTML,
                            data={"value": "0.7", "csrf_token": csrf_of(client, f"/lots/{qc.din}/qc")})
    assert no_reason.status_code == 400 and "needs a reason" in no_reason.text
    corrected = client.post(url, headers=HTML, data={
        "value": "0.7", "reason": "the gate was set on the wrong population",
        "csrf_token": csrf_of(client, f"/lots/{qc.din}/qc")})
    assert corrected.status_code == 200 and "RECORDED" in corrected.text
    assert "<del>0.5%</del>" in corrected.text and f"corrects #{first.result.id}" in corrected.text
    assert "the gate was set on the wrong population" in corrected.text
    assert f"corrected by #{first.result.id + 1}" in corrected.text


def test_the_bench_shows_a_lot_without_a_specification_and_no_form_to_other_roles(
    client: TestClient, database: Database, settings: Settings
) -> None:
    lot = seed_lot(database, settings)
    sign_in(client, make_user(database, Role.QC_ANALYST))
    page = client.get(f"/lots/{lot.din}/qc", headers=HTML)
    assert page.status_code == 200 and "none bound yet" in page.text and 'name="scan"' not in page.text
    qc = lot_in_qc(database, settings, subject="S-002")
    viewer = TestClient(client.app, raise_server_exceptions=False)
    sign_in(viewer, make_user(database, Role.QA))
    shown = viewer.get(f"/lots/{qc.din}/qc", headers=HTML)
    assert shown.status_code == 200 and "Gram stain" in shown.text and 'name="scan"' not in shown.text
    refused = viewer.post(f"/lots/{qc.din}/qc/results", headers=HTML, data={
        "test_code": "gram_stain", "result_text": "no organisms seen", "scan": qc.samples[0],
        "csrf_token": csrf_of(viewer, f"/lots/{qc.din}/qc")})
    assert refused.status_code == 403
    assert client.get("/lots/W000026999999/qc", headers=HTML).status_code == 404
