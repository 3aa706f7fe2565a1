"""The administrator's pages: users listed with filters and pages, a user's page with every action as a signed
form, refusals shown in place; and the admin role's place in the authorisation matrix."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from accounts.support import HTML, form_csrf, sign_in
from fastapi import FastAPI
from fastapi.testclient import TestClient
from security.authorization_matrix import rows

from batchtrack.db import Database
from batchtrack.models.user import Role

from builders import UserHandle, make_user


@contextmanager
def _admin_browser(app: FastAPI, user: UserHandle) -> Iterator[TestClient]:
    """A browser signed in as `user`."""
    with TestClient(app, raise_server_exceptions=False) as browser:
        sign_in(browser, user.username, user.password)
        yield browser


def _signed_form(browser: TestClient, admin: UserHandle, path: str, **fields: str) -> dict[str, str]:
    return {"reason": "as asked by QA", "username": admin.username, "password": admin.password,
            "csrf_token": form_csrf(browser, path), **fields}


def test_the_users_list_filters_by_role_and_state_and_says_when_nothing_matches(
    app: FastAPI, database: Database
) -> None:
    admin = make_user(database, Role.ADMIN)
    nurse = make_user(database, Role.NURSE)
    with _admin_browser(app, admin) as browser:
        everyone = browser.get("/admin/users", headers=HTML)
        assert everyone.status_code == 200 and nurse.username in everyone.text and admin.username in everyone.text
        nurses = browser.get("/admin/users", params={"role": "nurse"}, headers=HTML)
        assert nurse.username in nurses.text and admin.username not in nurses.text
        none = browser.get("/admin/users", params={"state": "inactive"}, headers=HTML)
        assert "No user matches these filters." in none.text
        beyond = browser.get("/admin/users", params={"page": 9}, headers=HTML)
        assert "Go to the first page" in beyond.text


def test_an_administrator_deactivates_a_user_from_their_page(app: FastAPI, database: Database) -> None:
    admin = make_user(database, Role.ADMIN)
    nurse = make_user(database, Role.NURSE)
    page = f"/admin/users/{nurse.username}"
    with _admin_browser(app, admin) as browser:
        shown = browser.get(page, headers=HTML)
        assert 'id="deactivate-form"' in shown.text and 'id="roles-form"' in shown.text
        done = browser.post(f"{page}/deactivate", data=_signed_form(browser, admin, page), headers=HTML)
        assert done.status_code == 200 and "deactivated" in done.text and 'id="reactivate-form"' in done.text
    assert TestClient(app).get("/api/v1/me", headers={"authorization": f"Bearer {nurse.token}"}).status_code == 401


def test_a_refused_action_is_shown_in_place_with_its_reasons_and_changes_nothing(
    app: FastAPI, database: Database
) -> None:
    admin = make_user(database, Role.ADMIN)
    nurse = make_user(database, Role.NURSE)
    page = f"/admin/users/{nurse.username}"
    with _admin_browser(app, admin) as browser:
        wrong = browser.post(f"{page}/roles", data={**_signed_form(browser, admin, page), "roles": ["nurse"]},
                             headers=HTML)
        assert wrong.status_code == 409 and 'id="refusal"' in wrong.text and "roles_unchanged" in wrong.text
        bad_password = browser.post(f"{page}/deactivate", data={**_signed_form(browser, admin, page),
                                                                "password": "wrong-password-here"}, headers=HTML)
        assert bad_password.status_code == 403 and 'id="refusal"' in bad_password.text
        assert 'id="deactivate-form"' in bad_password.text


def test_a_user_created_from_the_list_gets_a_temporary_password_shown_once(app: FastAPI, database: Database) -> None:
    admin = make_user(database, Role.ADMIN)
    with _admin_browser(app, admin) as browser:
        created = browser.post("/admin/users", data={
            **_signed_form(browser, admin, "/admin/users"), "new_username": "ara.jung", "full_name": "Ara Jung",
            "roles": ["operator"]}, headers=HTML)
        assert created.status_code == 200, created.text
        match = re.search(r'id="temporary-password">\s*<p>Temporary password for ara\.jung: <code>([^<]+)</code>',
                          created.text)
        assert match
        again = browser.get("/admin/users/ara.jung", headers=HTML)
        assert match.group(1) not in again.text and "a new password is due" in again.text


def test_an_administrators_own_page_offers_no_action_on_their_own_account(app: FastAPI, database: Database) -> None:
    admin = make_user(database, Role.ADMIN)
    with _admin_browser(app, admin) as browser:
        own = browser.get(f"/admin/users/{admin.username}", headers=HTML)
    assert own.status_code == 200
    assert 'id="roles-form"' not in own.text and 'id="deactivate-form"' not in own.text


def test_the_menu_offers_users_to_the_admin_role_and_my_account_to_everyone(
    app: FastAPI, database: Database
) -> None:
    admin, nurse = make_user(database, Role.ADMIN), make_user(database, Role.NURSE)
    with _admin_browser(app, admin) as browser:
        assert 'id="admin-users"' in browser.get("/account", headers=HTML).text
    with _admin_browser(app, nurse) as browser:
        page = browser.get("/account", headers=HTML).text
        assert 'id="my-account"' in page and 'id="admin-users"' not in page


# What the admin role may send besides reads: accounts and tokens, its own password and sessions, the site's
# instruments (DESIGN.md section 1: users, roles, sites), a scan to verify at a station (it reads only, as for every
# role) and the acknowledgement of a STOP seen there (it changes nothing but the station's screen), and a
# qualification's grant, which every role reaches but whose rule admits only QA or a current trainer of it. Nothing
# that changes a lot, a patient, a material, a specification or a record.
ADMIN_WRITES = re.compile(
    r"^(/api/v1)?/(users|users/\{(username|account)\}/(deactivate|reactivate|roles|reset-password|tokens)"
    r"|users/\{username\}/qualifications|tokens|tokens/\{token_id\}/revoke|me/.+|admin/.+|account(/.+)?|logout"
    r"|equipment(/.+)?|scans|scans/stations/\{station\}/stop/acknowledgement|station|station/acknowledge)$")


def test_the_admin_role_has_no_gmp_action_of_its_own(app: FastAPI) -> None:
    writes = [f"{e.method} {e.path}" for e, admitted in rows(app)
              if admitted is not None and Role.ADMIN in admitted and e.method not in ("GET", "HEAD")]
    assert writes, "the admin role administers accounts"
    assert [w for w in writes if not ADMIN_WRITES.match(w.split(" ", 1)[1])] == []
