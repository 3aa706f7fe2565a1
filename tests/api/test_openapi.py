"""The API's description is one an integrator can build a client from: operations named after their routes, the
bearer scheme declared, every refusal documented with the refusal body; and its documentation page is served from
the package, under the site's Content-Security-Policy."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from typing import Any

from click.testing import CliRunner
from fastapi import FastAPI
from fastapi.testclient import TestClient

from batchtrack.cli import main as cli
from batchtrack.models.user import Role

from builders import UserHandle

ClientFactory = Callable[..., tuple[TestClient, UserHandle]]
REFUSAL_REF = "#/components/schemas/Refusal"
METHODS = {"get", "post", "put", "patch", "delete"}


def _operations(description: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    # The API's operations (the health checks beside it are public and answer no refusals).
    return [(path, method, operation) for path, operations in description["paths"].items()
            for method, operation in operations.items() if method in METHODS and path.startswith("/api/v1/")]


def _served(as_role: ClientFactory) -> dict[str, Any]:
    client, _ = as_role(Role.OPERATOR)
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    described: dict[str, Any] = response.json()
    return described


def test_every_operation_id_is_its_route_name_and_unique(as_role: ClientFactory) -> None:
    operations = _operations(_served(as_role))
    ids = Counter(operation["operationId"] for _, _, operation in operations)
    assert len(operations) > 100
    assert [name for name, count in ids.items() if count > 1] == []
    assert [name for name in ids if "_api_v1_" in name or not re.fullmatch(r"[a-z][a-z0-9_]*", name)] == []
    by_path = {(path, method): operation["operationId"] for path, method, operation in operations}
    assert by_path[("/api/v1/scans", "post")] == "verify_scan"
    assert by_path[("/api/v1/lots/{din}/transitions/{name}", "post")] == "apply_lot_transition"


def test_the_description_served_is_the_applications_own(app: FastAPI, as_role: ClientFactory) -> None:
    assert _served(as_role) == app.openapi()


def test_the_bearer_scheme_is_declared_and_required_by_every_operation(as_role: ClientFactory) -> None:
    described = _served(as_role)
    scheme = described["components"]["securitySchemes"]["bearer"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    unsecured = [f"{method.upper()} {path}" for path, method, operation in _operations(described)
                 if operation.get("security") != [{"bearer": []}]]
    assert unsecured == []


def test_each_operation_lists_its_refusals_with_the_refusal_body(as_role: ClientFactory) -> None:
    described = _served(as_role)
    refusal = described["components"]["schemas"]["Refusal"]
    assert set(refusal["required"]) == {"error", "message", "reasons"}
    missing: list[str] = []
    for path, method, operation in _operations(described):
        expected = {"401", "403"}
        if "{" in path:
            expected |= {"404", "422"}
        if method != "get":
            expected |= {"400", "409", "413"}
        answers = operation["responses"]
        for status in sorted(expected):
            schema = answers.get(status, {}).get("content", {}).get("application/json", {}).get("schema")
            if schema is None:
                missing.append(f"{method.upper()} {path} {status}")
        for status, answer in answers.items():
            # Every 4xx documented has a body schema, the refusal's unless the route names a richer one.
            if status.startswith("4") and "schema" not in answer.get("content", {}).get("application/json", {}):
                missing.append(f"{method.upper()} {path} {status} without a body")
    assert missing == []
    scan = described["paths"]["/api/v1/scans"]["post"]["responses"]
    assert scan["409"]["content"]["application/json"]["schema"] == {"$ref": REFUSAL_REF}
    # What a route documents itself stays: the bedside check's refusal carries the check's record.
    bedside = described["paths"]["/api/v1/bedside/checks"]["post"]["responses"]["409"]
    assert bedside["content"]["application/json"]["schema"] != {"$ref": REFUSAL_REF}


def test_a_documented_refusal_is_the_body_really_sent(as_role: ClientFactory) -> None:
    described = _served(as_role)
    documented = described["paths"]["/api/v1/audit-entries/verify"]["get"]["responses"]["403"]
    assert documented["content"]["application/json"]["schema"] == {"$ref": REFUSAL_REF}
    client, _ = as_role(Role.NURSE)
    refused = client.get("/api/v1/audit-entries/verify")
    assert refused.status_code == 403
    body = refused.json()
    assert set(body) == set(described["components"]["schemas"]["Refusal"]["required"])
    assert body["error"] == "role"


def test_the_docs_page_loads_swagger_ui_from_this_site_only(as_role: ClientFactory) -> None:
    client, _ = as_role(Role.QC_ANALYST)
    page = client.get("/api/v1/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources and all(source.startswith("/") for source in sources), sources
    assert "<script>" not in page.text  # no inline script: the policy forbids it
    for source in sources:
        asset = client.get(source)
        assert asset.status_code == 200, source
        assert asset.headers["content-security-policy"] == page.headers["content-security-policy"]
    assert "script-src 'self';" in page.headers["content-security-policy"]
    assert "unsafe" not in page.headers["content-security-policy"]


def test_the_docs_page_and_the_description_need_credentials(client: TestClient) -> None:
    for path in ("/api/v1/docs", "/api/v1/openapi.json"):
        refused = client.get(path)
        assert refused.status_code == 401
        assert refused.json()["error"] == "not_authenticated"


def test_the_docs_address_serve_names_is_served(as_role: ClientFactory) -> None:
    helped = CliRunner().invoke(cli, ["serve", "--help"])
    assert helped.exit_code == 0
    named = re.findall(r"/api/v1/docs\b", helped.output)
    assert named
    client, _ = as_role(Role.NURSE)
    assert client.get(named[0]).status_code == 200
