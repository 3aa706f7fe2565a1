"""The OpenAPI description of /api/v1 and its interactive documentation, for signed-in users and API tokens.

The description is what an integrator builds a client from, so it says what the API really does: operations named
after their route functions, the bearer token they take, and every refusal they can answer with, in the one body
shape all refusals share (batchtrack.errors.BatchtrackError.as_dict, rendered by batchtrack.web.errors_render).
The documentation page is Swagger UI 5 (Apache-2.0; 5.32.6 in fastapi-offline 1.7.7, MIT), served from the installed
`fastapi-offline` package: nothing is loaded from elsewhere, so the site's Content-Security-Policy holds on it
unchanged. (Swagger UI 4, as swagger-ui-bundle 1.1.0 ships it, cannot read the OpenAPI 3.1 that FastAPI writes.)
"""

from __future__ import annotations

from collections.abc import Iterator
from importlib.resources import files
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles

from batchtrack.auth.principal import Principal
from batchtrack.web import served_routes
from batchtrack.web.deps import ANY_ROLE, Allow

router = APIRouter(tags=["meta"])

API_PREFIX = "/api/v1"
SCHEMA_PATH = f"{API_PREFIX}/openapi.json"
DOCS_PATH = f"{API_PREFIX}/docs"
DOCS_ASSETS = f"{DOCS_PATH}/assets"
# Swagger UI's script and style sheet, as the package ships them.
SWAGGER_UI_FILES = files("fastapi_offline") / "static"
# The page's own start-up script lives with the site's static files: an inline script would need the policy loosened.
DOCS_SCRIPT = "/static/api-docs.js"

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
BEARER = "bearer"
BEARER_SCHEME: dict[str, Any] = {
    "type": "http", "scheme": "bearer",
    "description": "An API token, issued by an administrator (`batchtrack user token USERNAME --name NAME`, or "
                   "POST /api/v1/tokens), sent as `Authorization: Bearer <token>`. A signed-in browser session "
                   "is accepted too.",
}
# What each refusal means, as the operation lists it.
REFUSALS: dict[int, str] = {
    400: "Refused as given: the reasons say what to change",
    401: "No valid credentials: a missing, unknown, revoked or expired token, or no session",
    403: "Not allowed: a role the caller does not hold, or a signature refused",
    404: "No such record",
    409: "Refused by what is recorded: a gate, a lifecycle guard or a duplicate; the reasons list every one",
    413: "The request body is larger than this address accepts",
    422: "Malformed input: a field missing, of the wrong type or out of range",
}
_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def operation_id(route: APIRoute) -> str:
    """A route's operation id: its function's name (`verify_scan`), unique across the API (a test keeps it so)."""
    return route.name


def _dependencies(dependant: Dependant) -> Iterator[Dependant]:
    stack = [dependant]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(current.dependencies)


def authenticated(route: APIRoute) -> bool:
    """Whether the route admits only callers holding a role (every API route, today)."""
    return any(isinstance(d.call, Allow) for d in _dependencies(route.dependant))


def refusals_of(route: APIRoute) -> list[int]:
    """The 4xx statuses a route can answer with, from what it declares (pure): credentials and roles (401, 403), a
    record named in its path (404), input (422), and a write's refusals (400, 409) and body cap (413)."""
    found: set[int] = set()
    dependencies = list(_dependencies(route.dependant))
    if authenticated(route):
        found |= {401, 403}
    if any(d.path_params for d in dependencies):
        found.add(404)
    if any(d.path_params or d.query_params or d.body_params or d.header_params for d in dependencies):
        found.add(422)
    if set(route.methods or ()) & _WRITES:
        found |= {400, 409, 413}
    return sorted(found)


def _refusals_documented(node: Any) -> Any:
    """`node` with every reference to FastAPI's validation error body pointing at the refusal body instead."""
    if isinstance(node, dict):
        if node.get("$ref") == "#/components/schemas/HTTPValidationError":
            return {**node, "$ref": f"#/components/schemas/{REFUSAL}"}
        return {key: _refusals_documented(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_refusals_documented(item) for item in node]
    return node


def _document_refusals_and_security(schema: dict[str, Any], app: FastAPI) -> None:
    """Add to each operation its bearer requirement and every refusal it can give, with the refusal body; an
    answer a route documents itself (the bedside check's 409, say) is kept as the route says it."""
    routes = {operation_id(served.route): served.route for served in served_routes.served(app.routes)
              if served.route.include_in_schema}
    refusal_body = {"application/json": {"schema": {"$ref": f"#/components/schemas/{REFUSAL}"}}}
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            route = routes.get(operation.get("operationId", ""))
            if route is None:
                continue
            if authenticated(route):
                operation["security"] = [{BEARER: []}]
            answers = operation.setdefault("responses", {})
            for status in refusals_of(route):
                answers.setdefault(str(status), {"description": REFUSALS[status]})
            for status, answer in answers.items():
                if status.startswith("4"):  # a refusal the route names itself (description only) too
                    answer.setdefault("content", refusal_body)


def schema_of(app: FastAPI) -> dict[str, Any]:
    """The application's OpenAPI schema, built once per process (also what `app.openapi()` returns)."""
    if app.openapi_schema is None:
        built = _refusals_documented(get_openapi(title=app.title, version=app.version, description=app.description,
                                                 routes=app.routes))
        components = built.setdefault("components", {})
        schemas = components.setdefault("schemas", {})
        schemas.pop("HTTPValidationError", None)
        schemas.pop("ValidationError", None)
        schemas[REFUSAL] = REFUSAL_SCHEMA
        components.setdefault("securitySchemes", {})[BEARER] = BEARER_SCHEME
        _document_refusals_and_security(built, app)
        app.openapi_schema = built
    schema: dict[str, Any] = app.openapi_schema
    return schema


def build_schema(request: Request) -> dict[str, Any]:
    """The schema of the application serving `request`."""
    return schema_of(request.app)


def install(app: FastAPI) -> None:
    """Serve Swagger UI's files under /api/v1/docs/assets, and make `app.openapi()` the schema served here."""
    app.openapi = lambda: schema_of(app)  # type: ignore[method-assign]
    app.mount(DOCS_ASSETS, StaticFiles(directory=str(SWAGGER_UI_FILES)), name="api-docs-assets")


DOCS_PAGE = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>batchtrack API</title>
<link rel="stylesheet" href="{DOCS_ASSETS}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui" data-schema-url="{SCHEMA_PATH}"></div>
<script src="{DOCS_ASSETS}/swagger-ui-bundle.js"></script>
<script src="{DOCS_SCRIPT}"></script>
</body>
</html>
"""


@router.get("/openapi.json", include_in_schema=False)
def openapi(request: Request, _viewer: Annotated[Principal, Depends(ANY_ROLE)]) -> dict[str, Any]:
    """The OpenAPI 3 description of this API."""
    return build_schema(request)


@router.get("/docs", include_in_schema=False, response_class=HTMLResponse)
def docs(_viewer: Annotated[Principal, Depends(ANY_ROLE)]) -> HTMLResponse:
    """The interactive documentation of this API (Swagger UI), reading the description above."""
    return HTMLResponse(DOCS_PAGE)
