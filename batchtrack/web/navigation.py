"""The menu: the pages people work from, each shown only to the roles its route admits and whose work it is.

Which roles may open a page is declared once, by the `Allow` dependency of its route; the menu reads it from the
application's routes rather than keep a second list that could drift (a link that answers 403). `WORKED_BY` only
narrows that: a page open to every role for reading is in the menus of those who work from it. The functions here
do no I/O: the route table in, the menu out.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from starlette.routing import BaseRoute

from batchtrack.i18n.text import Text, _
from batchtrack.models.user import Role
from batchtrack.web.deps import Allow
from batchtrack.web.served_routes import ServedRoute, served

# Whose daily work a page is, where that is fewer people than its route admits: the menu shows it to them alone.
# The others may still open it (a courier may read the specifications, a link may lead there), but their menu stays
# the few pages they work from.
_CLINIC = frozenset({Role.INVESTIGATOR, Role.NURSE, Role.COLLECTOR})
_LAB = frozenset({Role.OPERATOR, Role.QC_ANALYST, Role.QA})
_OVERSIGHT = frozenset({Role.QA, Role.MEDICAL_DIRECTOR})
WORKED_BY: dict[str, frozenset[Role]] = {
    "subjects": _CLINIC | _OVERSIGHT,
    "station": _CLINIC | _LAB | {Role.COURIER},
    "processing_start": frozenset({Role.OPERATOR, Role.QA}),
    "alerts_page": _CLINIC | _OVERSIGHT | {Role.QC_ANALYST},
    "materials_page": _LAB | {Role.ADMIN},
    "equipment_list_page": _LAB | {Role.ADMIN},
    "specifications_page": frozenset({Role.QC_ANALYST}) | _OVERSIGHT,
}
# The menu's pages by route name, in the order of a therapy's journey and then the facility's upkeep and review.
MENU: tuple[tuple[str, Text], ...] = (
    ("dashboard", _("Dashboard")),
    ("subjects", _("Subjects")),
    ("receiving", _("Receiving")),
    ("station", _("Scan station")),
    ("processing_start", _("Processing")),
    ("clinic_receive_page", _("Receive at the clinic")),
    ("bedside_page", _("Bedside")),
    ("deviations_page", _("Deviations")),
    ("alerts_page", _("Alerts")),
    ("materials_page", _("Materials")),
    ("equipment_list_page", _("Equipment")),
    ("specifications_page", _("Specifications")),
    ("training_page", _("Training")),
    ("audit_page", _("Audit trail")),
    ("access_review_page", _("Access review")),
)
# The signed-in person's own pages, beside their name.
ACCOUNT: tuple[tuple[str, Text], ...] = (
    ("account_page", _("My account")),
    ("admin_users_page", _("Users")),
)
# The element ids of the person's own links, which pages and tests find them by.
ELEMENT_IDS = {"account_page": "my-account", "admin_users_page": "admin-users"}
# How a link relates to the page shown: the page itself, a page within its section, or neither.
Current = Literal["page", "true"] | None


@dataclass(frozen=True, slots=True)
class Entry:
    """One link of the menu: the page's route name, its path, its label, the roles its route admits and those whose
    work it is (the roles it is shown to: never one the route refuses)."""

    route: str
    path: str
    label: Text
    roles: frozenset[Role]
    worked_by: frozenset[Role] | None = None

    @property
    def shown_to(self) -> frozenset[Role]:
        """The roles whose menu holds the link."""
        return self.roles if self.worked_by is None else self.roles & self.worked_by

    @property
    def element_id(self) -> str:
        """The id of the link's element."""
        return ELEMENT_IDS.get(self.route, "nav-" + self.route.replace("_", "-"))

    def admits(self, roles: Iterable[Role]) -> bool:
        """True when the link is in the menu of a person holding `roles`."""
        return not self.shown_to.isdisjoint(roles)

    def current(self, path: str) -> Current:
        """`"page"` when `path` is this page, `"true"` when it is a page within it (a deviation within Deviations),
        None otherwise. The home page contains no other."""
        if path == self.path:
            return "page"
        if self.path != "/" and path.startswith(self.path.rstrip("/") + "/"):
            return "true"
        return None


@dataclass(frozen=True, slots=True)
class Menu:
    """The whole menu, before it is cut to a person's roles."""

    pages: tuple[Entry, ...]
    account: tuple[Entry, ...]

    def pages_for(self, roles: Iterable[Role]) -> tuple[Entry, ...]:
        """The menu's pages a person holding `roles` may open, in the menu's order."""
        held = frozenset(roles)
        return tuple(entry for entry in self.pages if entry.admits(held))

    def account_for(self, roles: Iterable[Role]) -> tuple[Entry, ...]:
        """The person's own pages that `roles` may open."""
        held = frozenset(roles)
        return tuple(entry for entry in self.account if entry.admits(held))


def admitted_roles(dependant: Any) -> frozenset[Role] | None:
    """The roles a route admits: those every `Allow` among its dependencies admits; None when it declares none."""
    admitted: frozenset[Role] | None = None
    stack = [dependant]
    while stack:
        current = stack.pop()
        if isinstance(current.call, Allow):
            admitted = current.call.roles if admitted is None else admitted & current.call.roles
        stack.extend(current.dependencies)
    return admitted


def page_routes(routes: Sequence[BaseRoute]) -> Iterator[ServedRoute]:
    """Every route of the application that answers GET (a route of an included router as it is served)."""
    return (route for route in served(routes) if "GET" in route.methods)


def menu_of(routes: Sequence[BaseRoute]) -> Menu:
    """The menu of an application with `routes`: each entry's path and roles read from its GET route.

    A menu page whose route is missing or declares no roles is a mistake in the code, raised at once (LookupError).
    """
    found = {route.name: route for route in page_routes(routes)}
    if unknown := set(WORKED_BY) - {name for name, _label in MENU}:
        raise LookupError(f"WORKED_BY names pages the menu does not hold: {sorted(unknown)}")

    def entry(name: str, label: Text) -> Entry:
        route = found.get(name)
        if route is None:
            raise LookupError(f"the menu names the page {name!r}, which no GET route serves")
        roles = admitted_roles(route.dependant)
        if roles is None:
            raise LookupError(f"the menu's page {name!r} ({route.path}) declares no roles")
        return Entry(route=name, path=route.path, label=label, roles=roles, worked_by=WORKED_BY.get(name))

    return Menu(pages=tuple(entry(name, label) for name, label in MENU),
                account=tuple(entry(name, label) for name, label in ACCOUNT))
