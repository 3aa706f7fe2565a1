"""The OpenAPI description of /api/v1, for signed-in users and API tokens."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.openapi.utils import get_openapi

from batchtrack.auth.principal import Principal
from batchtrack.deps import ANY_ROLE

router = APIRouter(tags=["meta"])


def build_schema(request: Request) -> dict[str, Any]:
    """The application's OpenAPI schema, built once per process."""
    app = request.app
    if app.openapi_schema is None:
        app.openapi_schema = get_openapi(title=app.title, version=app.version, description=app.description,
                                         routes=app.routes)
    schema: dict[str, Any] = app.openapi_schema
    return schema


@router.get("/openapi.json", include_in_schema=False)
def openapi(request: Request, _viewer: Annotated[Principal, Depends(ANY_ROLE)]) -> dict[str, Any]:
    """The OpenAPI 3 description of this API."""
    return build_schema(request)
