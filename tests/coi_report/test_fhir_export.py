"""A final product bag as a FHIR R5 BiologicallyDerivedProduct: the shape of the resource (element names, types,
exact values), and the export of an infused bag through the API."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from batchtrack.coi_report import fhir
from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.models.user import Role

from builders import PATIENT_DOB, PATIENT_FAMILY, PATIENT_GIVEN, PATIENT_MRN, UserHandle
from coi_report_builders import InfusedTherapy, infused_therapy

ClientFactory = Callable[..., tuple[TestClient, UserHandle]]
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
PRODUCT = fhir.ProductFacts(
    container_id=8, din="W000026000001", product_code="Y00011A0", division="A0", container_status="in_use",
    lot_state="released", expires_at=NOW + timedelta(hours=6), collected_at=datetime(2026, 10, 30, 8, 15, tzinfo=UTC),
    coi="CHW000026000001", donor_kind="autologous",
    values={"viable_cells": 6.2e7, "viability": 93.0, "volume": 50.0}, infused_at=None,
)
# Every element R5 defines for the resource: the export uses no other name.
R5_ELEMENTS = {"resourceType", "id", "meta", "implicitRules", "language", "text", "contained", "extension",
               "modifierExtension", "productCategory", "productCode", "parent", "request", "identifier",
               "biologicalSourceEvent", "processingFacility", "division", "productStatus", "expirationDate",
               "collection", "storageTempRequirements", "property"}


def _resource(**changes: Any) -> dict[str, Any]:
    product = dataclasses.replace(PRODUCT, **changes)
    return fhir.biologically_derived_product(product=product, facility_name="Test Cell Therapy Facility",
                                             product_description="CS20AT04 BM-MSC, fresh, for infusion", now=NOW)


def _coding(value: object) -> dict[str, str]:
    assert isinstance(value, dict) and set(value) <= {"system", "code", "display", "version", "userSelected"}
    assert all(isinstance(v, str) for v in value.values())
    return value


def test_the_resource_has_the_r5_shape_with_exact_values() -> None:
    resource = _resource()
    assert set(resource) <= R5_ELEMENTS
    assert resource["resourceType"] == "BiologicallyDerivedProduct"
    assert resource["id"] == "container-8"
    assert _coding(resource["productCategory"]) == {
        "system": "http://hl7.org/fhir/product-category", "code": "cells", "display": "Cells"}
    [code] = resource["productCode"]["coding"]
    assert _coding(code) == {"system": "http://terminology.hl7.org/CodeSystem/ISBT128", "code": "Y00011A0",
                             "display": "CS20AT04 BM-MSC, fresh, for infusion"}
    assert resource["division"] == "A0" and isinstance(resource["division"], str)
    assert resource["biologicalSourceEvent"] == {"system": fhir.DIN_SYSTEM, "value": "W000026000001"}
    assert resource["processingFacility"] == [{"display": "Test Cell Therapy Facility"}]
    assert _coding(resource["productStatus"]) == {
        "system": "http://hl7.org/fhir/biologicallyderived-product-status", "code": "available",
        "display": "Available"}
    assert resource["expirationDate"] == "2026-11-25T15:00:00Z"
    assert resource["collection"] == {"collectedDateTime": "2026-10-30T08:15:00Z"}
    low, high = resource["storageTempRequirements"]["low"], resource["storageTempRequirements"]["high"]
    assert (low["value"], high["value"], low["code"], low["system"]) == (2.0, 8.0, "Cel", "http://unitsofmeasure.org")


def test_the_identifiers_are_the_isbt_product_identity_and_the_coi() -> None:
    identifiers = _resource()["identifier"]
    assert isinstance(identifiers, list)
    for identifier in identifiers:
        assert set(identifier) <= {"use", "type", "system", "value", "period", "assigner"}
        assert isinstance(identifier["system"], str) and isinstance(identifier["value"], str)
    by_system = {i["system"]: i["value"] for i in identifiers}
    assert by_system == {fhir.PRODUCT_IDENTIFIER_SYSTEM: "W000026000001Y00011A0",
                         fhir.COI_SYSTEM: "CHW000026000001"}


def test_properties_carry_the_intended_use_and_the_filling_values_as_quantities() -> None:
    properties = _resource()["property"]
    for prop in properties:
        assert set(prop) - {"type"} and isinstance(prop["type"]["text"], str)
        [value_key] = [k for k in prop if k.startswith("value")]
        assert value_key in {"valueString", "valueQuantity", "valueDateTime"}
    by_type = {p["type"]["text"]: p for p in properties}
    assert by_type["Intended use"]["valueString"] == "FOR AUTOLOGOUS USE ONLY"
    assert by_type["Viable cells per container"]["valueQuantity"] == {
        "value": 6.2e7, "unit": "cells", "system": "http://unitsofmeasure.org", "code": "{cells}"}
    assert by_type["Volume"]["valueQuantity"]["value"] == 50.0
    assert _resource(donor_kind="directed")["property"][0]["valueString"] == "FOR DIRECTED RECIPIENT USE ONLY"


@pytest.mark.parametrize(("changes", "status"), [
    ({}, "available"),
    ({"container_status": "infused"}, "unavailable"),
    ({"lot_state": "in_qc"}, "unavailable"),
    ({"expires_at": NOW - timedelta(minutes=1)}, "unavailable"),
    ({"expires_at": None}, "unavailable"),
])
def test_the_status_is_available_only_for_a_released_unexpired_bag_in_use(
    changes: dict[str, Any], status: str
) -> None:
    assert _resource(**changes)["productStatus"]["code"] == status


def test_optional_elements_without_a_recorded_value_are_left_out() -> None:
    resource = _resource(expires_at=None, collected_at=None, values={})
    assert "expirationDate" not in resource and "collection" not in resource
    assert {p["type"]["text"] for p in resource["property"]} == {"Intended use", "Antibiotics in manufacture"}
    json.dumps(resource)  # JSON-ready as it is


@pytest.fixture
def chain(database: Database, settings: Settings) -> InfusedTherapy:
    return infused_therapy(database, settings)


def test_the_infused_bag_is_exported_with_its_exact_din_product_code_division_facility_and_coi(
    chain: InfusedTherapy, settings: Settings, as_role: ClientFactory
) -> None:
    client, _ = as_role(Role.QA)
    response = client.get(f"/api/v1/containers/{chain.infused_id}/fhir")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/fhir+json")
    resource = response.json()
    assert resource["resourceType"] == "BiologicallyDerivedProduct"
    assert resource["biologicalSourceEvent"]["value"] == chain.din
    assert resource["productCode"]["coding"][0]["code"] == "Y00011A0"
    assert resource["division"] == "A0"
    assert resource["processingFacility"][0]["display"] == settings.facility_name == "Test Cell Therapy Facility"
    values = {i["system"]: i["value"] for i in resource["identifier"]}
    assert values[fhir.COI_SYSTEM] == chain.coi
    assert values[fhir.PRODUCT_IDENTIFIER_SYSTEM] == f"{chain.din}Y00011A0"
    assert resource["productStatus"]["code"] == "unavailable"  # infused
    by_type = {p["type"]["text"]: p for p in resource["property"]}
    assert by_type["Viable cells per container"]["valueQuantity"]["value"] == 6.2e7
    assert "Infused" in by_type and resource["collection"]["collectedDateTime"].endswith("Z")
    spare = client.get(f"/api/v1/containers/{chain.spare_id}/fhir").json()
    assert (spare["division"], spare["productStatus"]["code"]) == ("B0", "available")


def test_the_export_never_carries_patient_identity_even_for_a_clinician(
    chain: InfusedTherapy, as_role: ClientFactory
) -> None:
    client, _ = as_role(Role.INVESTIGATOR)
    text = client.get(f"/api/v1/containers/{chain.infused_id}/fhir").text
    for word in (PATIENT_FAMILY, PATIENT_FAMILY.upper(), PATIENT_GIVEN, PATIENT_MRN, PATIENT_DOB.isoformat()):
        assert word not in text


def test_a_container_that_is_not_a_final_product_an_unknown_one_and_a_malformed_id_are_refused(
    chain: InfusedTherapy, as_role: ClientFactory
) -> None:
    client, _ = as_role(Role.OPERATOR)
    vessel = client.get("/api/v1/containers/2/fhir")
    assert vessel.status_code == 409 and vessel.json()["error"] == "fhir.not_a_final_product"
    assert "culture vessel" in vessel.json()["message"]
    missing = client.get("/api/v1/containers/99999/fhir")
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"
    for bad in ("0", "-1", "abc", "99999999999999999999999"):
        assert client.get(f"/api/v1/containers/{bad}/fhir").status_code == 422
