"""The OpenAPI description of /api/v1, for signed-in users and API tokens."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.openapi.utils import get_openapi

from batchtrack.auth.principal import Principal
from batchtrack.web.deps import ANY_ROLE

router = APIRouter(tags=["meta"])


# Malformed input is answered like every other refusal (batchtrack.web.errors_render), not with FastAPI's default
# {"detail": [...]}: the description says what is really sent, so that clients and schema checks can rely on it.
REFUSAL = "Refusal"
REFUSAL_SCHEMA: dict[str, Any] = {
    "title": REFUSAL, "type": "object", "required": ["error", "message", "reasons"],
    "properties": {
        "error": {"type": "string", "description": "stable code of the refusal"},
        "message": {"type": "string", "description": "what is wrong, for a person"},
        "reasons": {"type": "array", "items": {
            "type": "object", "required": ["code", "message"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
        }},
    },
}


def _refusals_documented(node: Any) -> Any:
    """`node` with every reference to FastAPI's validation error body pointing at the refusal body instead."""
    if isinstance(node, dict):
        if node.get("$ref") == "#/components/schemas/HTTPValidationError":
            return {**node, "$ref": f"#/components/schemas/{REFUSAL}"}
        return {key: _refusals_documented(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_refusals_documented(item) for item in node]
    return node


def build_schema(request: Request) -> dict[str, Any]:
    """The application's OpenAPI schema, built once per process."""
    app = request.app
    if app.openapi_schema is None:
        built = _refusals_documented(get_openapi(title=app.title, version=app.version, description=app.description,
                                                 routes=app.routes))
        components = built.setdefault("components", {}).setdefault("schemas", {})
        components.pop("HTTPValidationError", None)
        components.pop("ValidationError", None)
        components[REFUSAL] = REFUSAL_SCHEMA
        app.openapi_schema = built
    schema: dict[str, Any] = app.openapi_schema
    return schema


@router.get("/openapi.json", include_in_schema=False)
def openapi(request: Request, _viewer: Annotated[Principal, Depends(ANY_ROLE)]) -> dict[str, Any]:
    """The OpenAPI 3 description of this API."""
    return build_schema(request)
