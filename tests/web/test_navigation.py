"""The menu by role: every link a role is shown opens for it, and every page a role works from is in its menu. Which
roles a page admits is read from the routes' declarations (the authorization matrix's knowledge), never kept twice."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urlsplit

from fastapi import FastAPI
from fastapi.testclient import TestClient
from security.authorization_matrix import declared_roles
from security.support import HTML, post_login

from batchtrack.db import Database
from batchtrack.models.user import Role
from batchtrack.web import navigation

from builders import UserHandle, make_user
from route_catalogue import PUBLIC, endpoints

# Pages that answer GET without a path parameter but are reached from another page, not from the menu, and why.
NOT_IN_MENU = {
    "/search": "the header's search box answers it",
    "/subjects/new": "the subjects page's 'Enrol a subject' opens it",
    "/account/password": "the account page's 'Change my password' opens it",
    "/account/notifications": "the account page's 'My notifications' opens it",
    "/admin/tokens": "the users page's 'All API tokens' opens it",
}


class Links(HTMLParser):
    """The links of a page's menu (nav) and of the signed-in person's own links (.who), and which is current."""

    def __init__(self) -> None:
        super().__init__()
        self.menu: list[str] = []
        self.account: list[str] = []
        self.current: dict[str, str] = {}
        self._inside: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "nav" and found.get("aria-label") == "Main":
            self._inside.append("menu")
        elif tag == "span" and found.get("class") == "who":
            self._inside.append("account")
        elif tag in ("nav", "span"):
            self._inside.append("")
        elif tag == "a" and self._inside and self._inside[0] in ("menu", "account") and found.get("href"):
            href = urlsplit(str(found["href"])).path
            (self.menu if self._inside[0] == "menu" else self.account).append(href)
            if found.get("aria-current"):
                self.current[href] = str(found["aria-current"])

    def handle_endtag(self, tag: str) -> None:
        if tag in ("nav", "span") and self._inside:
            self._inside.pop()


def links_of(page: str) -> Links:
    """The menu's links of a page's HTML."""
    parser = Links()
    parser.feed(page)
    return parser


def signed_in(app: FastAPI, user: UserHandle) -> TestClient:
    """A browser-like client signed in through the form as `user` (the caller closes it)."""
    client = TestClient(app, raise_server_exceptions=False)
    assert post_login(client, user.username, user.password).status_code == 303
    return client


def menu_pages(app: FastAPI) -> set[str]:
    """The pages a menu could hold: those that answer GET with HTML and need no path parameter nor prior page."""
    return {e.path for e in endpoints(app) if e.method == "GET" and not e.path.startswith("/api/")
            and "{" not in e.path and "." not in e.path and (e.path, e.method) not in PUBLIC
            and e.path not in NOT_IN_MENU}


def test_the_menu_admits_exactly_the_roles_its_pages_routes_declare(app: FastAPI) -> None:
    menu = navigation.menu_of(app.routes)
    declared = {e.path: declared_roles(e) for e in endpoints(app) if e.method == "GET"}
    for entry in menu.pages + menu.account:
        assert entry.roles == declared[entry.path], entry.route


def test_every_page_a_role_works_from_is_in_its_menu_and_nothing_else_is(app: FastAPI) -> None:
    menu = navigation.menu_of(app.routes)
    declared = {e.path: declared_roles(e) for e in endpoints(app) if e.method == "GET"}
    worked_by = {entry.path: navigation.WORKED_BY.get(entry.route, frozenset(Role))
                 for entry in menu.pages + menu.account}
    for role in Role:
        shown = {entry.path for entry in menu.pages_for({role}) + menu.account_for({role})}
        works_from = {path for path in menu_pages(app)
                      if role in (declared[path] or frozenset()) and role in worked_by[path]}
        assert shown == works_from, role


def test_a_courier_s_menu_is_its_own_work_though_it_may_read_more(app: FastAPI, database: Database) -> None:
    with signed_in(app, make_user(database, Role.COURIER)) as client:
        links = links_of(client.get("/", headers=HTML).text)
        assert links.menu == ["/", "/station", "/clinic/receive", "/deviations"]
        for readable in ("/processing", "/materials", "/equipment", "/specifications", "/subjects"):
            assert readable not in links.menu
            assert client.get(readable, headers=HTML).status_code == 200, readable


def test_every_link_shown_to_a_role_opens_for_it(app: FastAPI, database: Database) -> None:
    menu = navigation.menu_of(app.routes)
    for role in Role:
        client = signed_in(app, make_user(database, role))
        with client:
            home = client.get("/", headers=HTML)
            assert home.status_code == 200, role
            links = links_of(home.text)
            assert links.menu == [entry.path for entry in menu.pages_for({role})], role
            assert links.account == [entry.path for entry in menu.account_for({role})], role
            for href in links.menu + links.account:
                answer = client.get(href, headers=HTML)
                assert answer.status_code == 200, f"{role.value} {href}: {answer.status_code}"


def test_a_courier_is_not_shown_the_pages_that_refuse_couriers(app: FastAPI, database: Database) -> None:
    with signed_in(app, make_user(database, Role.COURIER)) as client:
        links = links_of(client.get("/", headers=HTML).text)
        for refused in ("/receiving", "/bedside", "/training", "/audit", "/access-review", "/admin/users"):
            assert refused not in links.menu + links.account
            assert client.get(refused, headers=HTML).status_code == 403
        assert "/clinic/receive" in links.menu


def test_a_person_with_two_roles_is_shown_the_pages_of_both(app: FastAPI, database: Database) -> None:
    with signed_in(app, make_user(database, Role.QA, Role.NURSE)) as client:
        links = links_of(client.get("/", headers=HTML).text)
    assert {"/bedside", "/receiving", "/audit", "/training"} <= set(links.menu)


def test_the_page_shown_is_marked_current_and_its_section_for_a_page_within_it(
    app: FastAPI, database: Database
) -> None:
    with signed_in(app, make_user(database, Role.QA)) as client:
        on_list = links_of(client.get("/deviations", headers=HTML).text)
        on_home = links_of(client.get("/", headers=HTML).text)
        on_account = links_of(client.get("/account", headers=HTML).text)
    assert on_list.current == {"/deviations": "page"}
    assert on_home.current == {"/": "page"}
    assert on_account.current == {"/account": "page"}


def test_entries_know_their_page_and_the_pages_within_it() -> None:
    deviations = navigation.Entry("deviations_page", "/deviations", navigation.MENU[0][1], frozenset(Role))
    home = navigation.Entry("dashboard", "/", navigation.MENU[0][1], frozenset(Role))
    assert deviations.current("/deviations") == "page"
    assert deviations.current("/deviations/DEV-2026-0001") == "true"
    assert deviations.current("/deviations-archive") is None
    assert home.current("/") == "page"
    assert home.current("/deviations") is None


def test_the_search_box_names_everything_it_finds(app: FastAPI, database: Database) -> None:
    with signed_in(app, make_user(database, Role.NURSE)) as client:
        page = client.get("/", headers=HTML).text
    assert 'placeholder="Subject code, DIN, COI, container or name"' in page
    assert '<label for="q" class="visually-hidden">Subject code, DIN, COI, container or name</label>' in page
