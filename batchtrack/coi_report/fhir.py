"""A final product bag as a FHIR R5 `BiologicallyDerivedProduct` resource (JSON), for a clinic or a registry.

The resource names the bag by its ISBT 128 identity (DIN, product code, division) and its therapy's COI
identifier, and never carries patient identity: `collection.source` (a reference to the Patient) is left
out, the COI identifier being the link to the recipient that the receiving system resolves on its side.

`product_facts` reads what is recorded (a fixed handful of queries); `biologically_derived_product` builds
the resource from it without any I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session
from sqlmodel import col, select

from batchtrack.errors import Conflict, NotFound
from batchtrack.i18n.text import _
from batchtrack.identifiers import isbt
from batchtrack.labels import content as label_content
from batchtrack.lots.workflow import LotState
from batchtrack.models.bedside import Infusion
from batchtrack.models.collection import Collection
from batchtrack.models.container import Container, ContainerKind, ContainerStatus
from batchtrack.models.lot import Lot, LotCollection
from batchtrack.models.party import Donor, DonorKind
from batchtrack.models.processing import StepValue, StepVessel, VesselRole
from batchtrack.models.therapy import Therapy

FHIR_MEDIA_TYPE = "application/fhir+json"
RESOURCE_TYPE = "BiologicallyDerivedProduct"
PRODUCT_CATEGORY_SYSTEM = "http://hl7.org/fhir/product-category"
PRODUCT_STATUS_SYSTEM = "http://hl7.org/fhir/biologicallyderived-product-status"
ISBT128_SYSTEM = "http://terminology.hl7.org/CodeSystem/ISBT128"
DIN_SYSTEM = "https://www.isbt128.org/uri/DonationIdentificationNumber"
PRODUCT_IDENTIFIER_SYSTEM = "https://www.isbt128.org/uri/MPHOUniqueIdentifier"
# The COI identifier is this installation's own: a local URN names its namespace.
COI_SYSTEM = "urn:batchtrack:chain-of-identity"
UCUM = "http://unitsofmeasure.org"
CELSIUS = "\u00b0C"
# A fresh final product is kept at 2-8 degrees C (the product label says so; DESIGN.md section 5).
STORAGE_CELSIUS = (2.0, 8.0)
AVAILABLE_LOT_STATES = frozenset({LotState.RELEASED, LotState.RELEASED_PENDING_STERILITY, LotState.SHIPPED,
                                  LotState.AT_CLINIC})
# Values recorded at the step that filled the bag, exported as properties: name -> (label, UCUM unit, code).
_PROPERTIES = {
    "viable_cells": ("Viable cells per container", "cells", "{cells}"),
    "viability": ("Viability", "%", "%"),
    "volume": ("Volume", "mL", "mL"),
}
_COLLECTION_TYPE = {DonorKind.AUTOLOGOUS.value: isbt.COLLECTION_AUTOLOGOUS,
                    DonorKind.DIRECTED.value: isbt.COLLECTION_DIRECTED}


@dataclass(frozen=True, slots=True)
class ProductFacts:
    """What is recorded about one final product bag that the resource shows."""

    container_id: int
    din: str
    product_code: str  # the 8-character ISBT 128 product code, division included
    division: str
    container_status: str
    lot_state: str
    expires_at: datetime | None
    collected_at: datetime | None
    coi: str
    donor_kind: str
    values: dict[str, float]  # the filling step's values in force (viable cells, viability, volume)
    infused_at: datetime | None


def product_facts(*, session: Session, container_id: int) -> ProductFacts:
    """The recorded facts of a final product bag; NotFound for an unknown container, Conflict for another kind."""
    row = session.execute(
        select(Container, Lot, col(Therapy.coi), col(Donor.kind))
        .outerjoin(Lot, col(Lot.id) == col(Container.lot_id))
        .outerjoin(Therapy, col(Therapy.id) == col(Lot.therapy_id))
        .outerjoin(Donor, col(Donor.id) == col(Therapy.donor_id))
        .where(col(Container.id) == container_id)
    ).one_or_none()
    if row is None:
        raise NotFound(_("no container {container}", container=container_id))
    container, lot, coi, donor_kind = row
    if container.kind != ContainerKind.FINAL_PRODUCT or lot is None or coi is None:
        raise Conflict(_("container {container} is a {kind}: only final product bags are exported as a "
                         "BiologicallyDerivedProduct", container=container_id, kind=container.kind.replace("_", " ")),
                       code="fhir.not_a_final_product")
    collected_at = session.execute(
        select(col(Collection.collected_at)).join(LotCollection, col(LotCollection.collection_id) == col(Collection.id))
        .where(col(LotCollection.lot_id) == lot.id, col(Collection.collected_at).is_not(None))
        .order_by(col(Collection.collected_at)).limit(1)
    ).scalar_one_or_none()
    # The values of the step that put cells into this bag; a correction replaces the row it corrects.
    rows = list(session.execute(
        select(StepValue).join(StepVessel, col(StepVessel.step_id) == col(StepValue.step_id))
        .where(col(StepVessel.container_id) == container_id, col(StepVessel.role) == VesselRole.OUT)
        .order_by(col(StepValue.id))
    ).scalars())
    replaced = {r.replaces_id for r in rows if r.replaces_id is not None}
    infused_at = session.execute(
        select(col(Infusion.ended_at)).where(col(Infusion.container_id) == container_id)).scalar_one_or_none()
    return ProductFacts(
        container_id=container_id, din=container.din, product_code=container.product_code + container.division,
        division=container.division, container_status=container.status, lot_state=lot.state,
        expires_at=lot.expires_at, collected_at=collected_at, coi=str(coi), donor_kind=str(donor_kind),
        values={r.name: r.value for r in rows if r.id not in replaced and r.name in _PROPERTIES},
        infused_at=infused_at,
    )


def fhir_datetime(moment: datetime) -> str:
    """A FHIR dateTime in UTC to the second ('2026-11-25T09:30:00Z')."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def is_available(product: ProductFacts, now: datetime) -> bool:
    """Available: the bag is in use, its lot released (or on its way to the clinic) and not expired."""
    return (product.container_status == ContainerStatus.IN_USE and product.lot_state in AVAILABLE_LOT_STATES
            and product.expires_at is not None and now < product.expires_at)


def _quantity(value: float, unit: str, code: str) -> dict[str, Any]:
    return {"value": value, "unit": unit, "system": UCUM, "code": code}


def _properties(product: ProductFacts) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    collection_type = _COLLECTION_TYPE.get(product.donor_kind)
    if collection_type is not None:
        found.append({"type": {"text": "Intended use"},
                      "valueString": label_content.use_statement_for(collection_type)})
    found.append({"type": {"text": "Antibiotics in manufacture"}, "valueString": label_content.ANTIBIOTIC_STATEMENT})
    for name, (label, unit, code) in _PROPERTIES.items():
        if name in product.values:
            found.append({"type": {"text": label}, "valueQuantity": _quantity(product.values[name], unit, code)})
    if product.infused_at is not None:
        found.append({"type": {"text": "Infused"}, "valueDateTime": fhir_datetime(product.infused_at)})
    return found


def biologically_derived_product(
    *, product: ProductFacts, facility_name: str, product_description: str, now: datetime
) -> dict[str, Any]:
    """The bag as a FHIR R5 BiologicallyDerivedProduct (a JSON-ready dict)."""
    available = is_available(product, now)
    resource: dict[str, Any] = {
        "resourceType": RESOURCE_TYPE,
        "id": f"container-{product.container_id}",
        "productCategory": {"system": PRODUCT_CATEGORY_SYSTEM, "code": "cells", "display": "Cells"},
        "productCode": {
            "coding": [{"system": ISBT128_SYSTEM, "code": product.product_code, "display": product_description}],
            "text": product_description,
        },
        "identifier": [
            {"use": "official", "system": PRODUCT_IDENTIFIER_SYSTEM, "value": product.din + product.product_code,
             "type": {"text": "DIN + product code + division (ISBT 128)"}},
            {"use": "secondary", "system": COI_SYSTEM, "value": product.coi,
             "type": {"text": "Chain-of-identity identifier"}},
        ],
        "biologicalSourceEvent": {"system": DIN_SYSTEM, "value": product.din},
        "processingFacility": [{"display": facility_name}],
        "division": product.division,
        "productStatus": {"system": PRODUCT_STATUS_SYSTEM, "code": "available" if available else "unavailable",
                          "display": "Available" if available else "Unavailable"},
    }
    if product.expires_at is not None:
        resource["expirationDate"] = fhir_datetime(product.expires_at)
    if product.collected_at is not None:
        resource["collection"] = {"collectedDateTime": fhir_datetime(product.collected_at)}
    low, high = STORAGE_CELSIUS
    resource["storageTempRequirements"] = {"low": _quantity(low, CELSIUS, "Cel"),
                                           "high": _quantity(high, CELSIUS, "Cel")}
    resource["property"] = _properties(product)
    return resource
