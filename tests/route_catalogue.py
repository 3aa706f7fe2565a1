"""Enumerate the application's routes (never a hand-written list) and fill their path parameters."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI

from batchtrack.web.served_routes import served

# The language switch is on every page, the sign-in page included.
PUBLIC = {("/login", "GET"), ("/login", "POST"), ("/health", "GET"), ("/health/live", "GET"), ("/health/ready", "GET"),
          ("/language", "POST")}


@dataclass(frozen=True)
class Endpoint:
    """One method on one route, with the route's dependency tree."""

    path: str
    method: str
    dependant: Any

    def url(self, values: dict[str, str]) -> str:
        """The path with each {parameter} replaced from `values` (unknown ones get '1')."""
        return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: values.get(m.group(1), "1"), self.path)


def endpoints(app: FastAPI) -> Iterator[Endpoint]:
    """Every (path, method) the application answers, static files excepted."""
    for route in served(app.routes):
        for method in sorted(route.methods):
            yield Endpoint(route.path, method, route.dependant)


def protected(app: FastAPI) -> list[Endpoint]:
    """Every endpoint that must refuse a caller without credentials."""
    return [e for e in endpoints(app) if (e.path, e.method) not in PUBLIC]
