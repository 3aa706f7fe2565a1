"""The application's API routes as they are served: included routers resolved, each with its whole path.

FastAPI releases that include routers lazily hand out route contexts (`iter_route_contexts`), the prefix of each
including router in their path; earlier releases copy each included route into the application, its whole path in
it. Every reader of the route table (the menu, the documentation, the upload cap, the route catalogue) goes
through `served`, so none depends on which release is installed.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi.routing import APIRoute
from starlette.routing import BaseRoute


@dataclass(frozen=True, slots=True)
class ServedRoute:
    """One API route: as declared (`route`: its endpoint, name, flags) and as served (its whole path)."""

    route: APIRoute
    path: str
    methods: frozenset[str]
    dependant: Any

    @property
    def name(self) -> str:
        """The route's name (its endpoint function's, unless it was given another)."""
        return self.route.name


def served(routes: Sequence[BaseRoute]) -> Iterator[ServedRoute]:
    """Every API route of `routes` (an application's), with the path it answers at."""
    try:
        from fastapi.routing import iter_route_contexts  # included routers are resolved lazily
    except ImportError:  # pragma: no cover - an older FastAPI: included routes are plain APIRoutes
        for route in routes:
            if isinstance(route, APIRoute):
                yield ServedRoute(route, route.path, frozenset(route.methods or ()), route.dependant)
        return
    for context in iter_route_contexts(routes):
        if isinstance(context.original_route, APIRoute):
            yield ServedRoute(context.original_route, context.path or context.original_route.path,
                              frozenset(context.methods or ()), context.dependant)
