"""A user chooses where their notifications go and which kinds they receive, by the API and on their account's
page: their roles' kinds offered and chosen by default, other kinds and bad addresses refused with the reason."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI
from fastapi.testclient import TestClient

from batchtrack.db import Database
from batchtrack.models.user import Role

from builders import UserHandle, make_user
from deviation_builders import HTML, csrf_of, entries, sign_in

ClientFactory = Callable[..., tuple[TestClient, UserHandle]]


def test_before_choosing_a_user_has_no_address_and_their_roles_kinds(as_role: ClientFactory) -> None:
    client, _user = as_role(Role.QA)
    shown = client.get("/api/v1/me/notifications")
    assert shown.status_code == 200
    assert shown.json() == {"email": "", "saved": False,
                            "kinds": ["positive_sterility_after_release", "out_of_specification", "deviation_opened",
                                      "receipt_window_closing"],
                            "offered": ["positive_sterility_after_release", "out_of_specification",
                                        "deviation_opened", "receipt_window_closing"]}


def test_a_user_saves_an_address_and_kinds_audited(as_role: ClientFactory, database: Database) -> None:
    client, user = as_role(Role.QA)
    saved = client.put("/api/v1/me/notifications", json={"email": " qa@facility.example ",
                                                         "kinds": ["deviation_opened"]})
    assert saved.status_code == 200, saved.text
    assert saved.json()["email"] == "qa@facility.example" and saved.json()["kinds"] == ["deviation_opened"]
    assert client.get("/api/v1/me/notifications").json()["saved"] is True
    [entry] = [e for e in entries(database, "user", str(user.principal.user_id))
               if e.action == "notification.subscription_changed"]
    assert "qa@facility.example" in entry.new_values


def test_a_kind_the_roles_do_not_receive_and_a_bad_address_are_refused(as_role: ClientFactory) -> None:
    client, _user = as_role(Role.OPERATOR)
    refused = client.put("/api/v1/me/notifications", json={"email": "nobody", "kinds": ["account_locked"]})
    assert refused.status_code == 400
    assert [r["code"] for r in refused.json()["reasons"]] == ["notification.address",
                                                              "notification.kind_not_offered"]
    too_long = client.put("/api/v1/me/notifications", json={"email": "a" * 300 + "@x.example", "kinds": []})
    assert too_long.status_code == 422
    assert client.get("/api/v1/me/notifications").json()["saved"] is False


def test_the_account_page_saves_the_choice_and_shows_a_refusal(app: FastAPI, database: Database) -> None:
    nurse = make_user(database, Role.NURSE)
    with TestClient(app, raise_server_exceptions=False) as browser:
        sign_in(browser, nurse)
        assert '/account/notifications" id="my-notifications"' in browser.get("/account", headers=HTML).text
        page = browser.get("/account/notifications", headers=HTML)
        assert page.status_code == 200 and 'id="kind-positive_sterility_after_release"' in page.text
        assert 'id="kind-deviation_opened"' not in page.text and 'id="mail-off"' in page.text
        token = csrf_of(browser, "/account/notifications")
        saved = browser.post("/account/notifications", headers=HTML, follow_redirects=True, data={
            "csrf_token": token, "email": "nurse@clinic.example", "kinds": "positive_sterility_after_release"})
        assert saved.status_code == 200 and 'id="notifications-saved"' in saved.text
        assert 'value="nurse@clinic.example"' in saved.text
        refused = browser.post("/account/notifications", headers=HTML, data={
            "csrf_token": token, "email": "nurse at clinic", "kinds": "deviation_opened"})
        assert refused.status_code == 400 and 'id="refusal"' in refused.text
        assert "notification.kind_not_offered" in refused.text and "notification.address" in refused.text


def test_the_page_is_in_korean_for_a_korean_reader(app: FastAPI, database: Database) -> None:
    operator = make_user(database, Role.OPERATOR)
    with TestClient(app, raise_server_exceptions=False) as browser:
        sign_in(browser, operator)
        page = browser.get("/account/notifications", headers={"accept": "text/html", "accept-language": "ko"})
    assert page.status_code == 200 and "내 통보 설정" in page.text
    assert "운송 중인 백의 세포처리시설 입고 기한 임박" in page.text


def test_the_longest_address_is_kept_whole_and_a_body_that_chooses_nothing_is_refused(
    as_role: ClientFactory, database: Database
) -> None:
    client, _user = as_role(Role.QA)
    longest = "q" * 64 + "@" + ".".join(["d" * 63, "e" * 63, "f" * 58]) + ".kr"
    assert len(longest) == 254
    saved = client.put("/api/v1/me/notifications", json={"email": longest, "kinds": []})
    assert saved.status_code == 200, saved.text
    assert client.get("/api/v1/me/notifications").json()["email"] == longest
    for body in ({}, {"kinds": []}, {"email": "qa@facility.example"},
                 {"email": "qa@facility.example", "kinds": [], "unknown_field": 1}):
        refused = client.put("/api/v1/me/notifications", json=body)
        assert refused.status_code == 422 and refused.json()["message"], body
    assert client.get("/api/v1/me/notifications").json()["email"] == longest
