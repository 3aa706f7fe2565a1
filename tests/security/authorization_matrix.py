"""Which roles each route admits, read from the routes' `Allow` declarations, and the reviewable document of it.

Regenerate docs/authorization-matrix.md after changing a route's roles:

    PYTHONPATH=tests python -m security.authorization_matrix
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from batchtrack.config import Settings
from batchtrack.db import Database, make_engine
from batchtrack.main import create_app
from batchtrack.models.user import Role
from batchtrack.web.deps import Allow

from route_catalogue import PUBLIC, Endpoint, endpoints

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "authorization-matrix.md"
REGENERATE = "PYTHONPATH=tests python -m security.authorization_matrix"
# Placeholder values for path parameters: well formed, naming nothing recorded.
SAMPLE = {"din": "W000026000001", "coi": "CHW000026000001", "name": "harvest", "container_id": "1",
          "subject_code": "S-001", "label_id": "1", "station": "bench-1", "step": "harvest", "code": "M-1",
          "number": "DEV-2026-0001", "version": "1", "result_id": "1", "alert_id": "1", "check_id": "1"}


def declared_roles(endpoint: Endpoint) -> frozenset[Role] | None:
    """The roles the endpoint admits (every `Allow` in its dependencies must admit); None for a public route."""
    admitted: frozenset[Role] | None = None
    stack = [endpoint.dependant]
    while stack:
        current = stack.pop()
        if isinstance(current.call, Allow):
            admitted = current.call.roles if admitted is None else admitted & current.call.roles
        stack.extend(current.dependencies)
    return admitted


def rows(app: FastAPI) -> list[tuple[Endpoint, frozenset[Role] | None]]:
    """Every endpoint with the roles it admits, sorted by path then method."""
    found = sorted(endpoints(app), key=lambda e: (e.path, e.method))
    return [(e, declared_roles(e)) for e in found]


def markdown(app: FastAPI) -> str:
    """The matrix as a Markdown table: one row per endpoint, one column per role."""
    roles = list(Role)
    lines = [
        "# Authorization matrix",
        "",
        "Which roles each route admits, generated from the routes' declarations "
        f"(do not edit by hand: `{REGENERATE}`).",
        "A test signs in as each role and calls every route: a role not marked here is refused (403, `role`).",
        "",
        "| method | path | " + " | ".join(r.value for r in roles) + " |",
        "|---|---|" + "---|" * len(roles),
    ]
    for endpoint, admitted in rows(app):
        if admitted is None:
            cells = ["public" if (endpoint.path, endpoint.method) in PUBLIC else "?"] * len(roles)
        else:
            cells = ["yes" if r in admitted else "" for r in roles]
        lines.append(f"| {endpoint.method} | `{endpoint.path}` | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def document_app() -> FastAPI:
    """An application to read the routes from (it never opens its database)."""
    settings = Settings(environment="test", database_url="sqlite:///matrix-unused.sqlite3",
                        secret_key="matrix-" + "x" * 32)
    return create_app(settings, Database(make_engine(settings.effective_database_url)))


if __name__ == "__main__":
    DOCUMENT.write_text(markdown(document_app()), encoding="utf-8")
    print(f"wrote {DOCUMENT}")  # noqa: T201
