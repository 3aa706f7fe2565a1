"""The framework's own limit: a FastAPI app with one JSON endpoint, no database and no middleware.

Served by uvicorn exactly as batchtrack is (`uvicorn bare_app:create_app --factory --app-dir bench`), built as
`batchtrack serve` builds batchtrack (on a processor of its own, its start-up objects then frozen out of the
garbage collector's passes), and given the same request bodies as the scan endpoint, so the two differ only by
what batchtrack does.
"""

from __future__ import annotations

import gc
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel, Field

from batchtrack.server_process import cpu as process_cpu


class Echo(BaseModel):
    """A scan-shaped body, validated as the scan request is."""

    raw: str = Field(max_length=100_000)
    station: str = Field(min_length=1, max_length=64)
    expect: dict[str, Any] = Field(default_factory=dict)


def create_app() -> FastAPI:
    """An app whose only route echoes a small dict."""
    process_cpu.keep_on_one_cpu()
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

    @app.post("/bare")
    def bare(data: Echo) -> dict[str, Any]:
        """Echo a small dict; a plain `def`, so it runs in the thread pool as the scan route does."""
        return {"ok": True, "station": data.station, "raw_length": len(data.raw)}

    gc.collect()
    gc.freeze()
    return app
