"""Write requests of the API that carry free text, each with the state it needs: the texts named are filled in by
the test with the longest text the API accepts for them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from batchtrack.collections import schemas as collection_schemas
from batchtrack.collections import service as collection_service
from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.models.base import utcnow
from batchtrack.models.user import Role
from batchtrack.quality import specification

from bedside_builders import at_clinic, bag_scan, bag_scans, check_body, clinic, infusion_body, released_lot, wristband
from builders import PATIENT_DOB, UserHandle, collected_bag, enrol_eligible, make_user, seed_lot
from deviation_builders import open_deviation
from material_builders import received_material, registered_instrument
from processing_builders import open_bench, run_isolation
from quality_builders import body, lot_in_qc
from release_builders import ready_lot

Body = dict[str, Any]


@dataclass
class World:
    """What a scenario builds its state with: the test's database, settings and application."""

    database: Database
    settings: Settings
    app: FastAPI
    clients: list[TestClient] = field(default_factory=list)

    def client(self, user: UserHandle) -> TestClient:
        """An API client that sends the user's bearer token (closed after the test)."""
        self.clients.append(TestClient(self.app, raise_server_exceptions=False,
                                       headers={"Authorization": f"Bearer {user.token}"}))
        return self.clients[-1]

    def as_role(self, *roles: Role) -> tuple[TestClient, UserHandle]:
        """A new user holding `roles`, and an API client of theirs."""
        user = make_user(self.database, *roles)
        return self.client(user), user


@dataclass(frozen=True)
class Prepared:
    """A request ready to send once its texts are filled in: who sends it, to which URL, with which body."""

    client: TestClient
    url: str
    body: Body


@dataclass(frozen=True)
class Scenario:
    """One write route and the texts of its body that are stored ("donor.hla_match", "allergies[].substance")."""

    method: str
    path: str
    texts: tuple[str, ...]
    prepare: Callable[[World], Prepared]

    @property
    def name(self) -> str:
        """The route, as a test id."""
        return f"{self.method} {self.path}"


def _soon(days: float = 90) -> str:
    return (utcnow() + timedelta(days=days)).isoformat()


def _enrolment(world: World) -> Prepared:
    client, _ = world.as_role(Role.INVESTIGATOR)
    return Prepared(client, "/api/v1/recipients", {
        "subject_code": "S-900", "date_of_birth": PATIENT_DOB.isoformat(), "sex": "female", "indication": "nephritis",
        "consent_date": (utcnow().date() - timedelta(days=3)).isoformat(), "donor_kind": "directed",
        "donor": {"date_of_birth": "1990-01-02"}, "allergies": [{}],
        "weight": {"visit_date": utcnow().date().isoformat(), "weight_kg": 62.5}})


def _enrolled(world: World) -> tuple[TestClient, str]:
    client, investigator = world.as_role(Role.INVESTIGATOR)
    enrol_eligible(world.database, world.settings, investigator, subject="S-001")
    return client, "/api/v1/recipients/S-001"


def _allergy(world: World) -> Prepared:
    client, url = _enrolled(world)
    return Prepared(client, f"{url}/allergies", {})


def _consent_withdrawal(world: World) -> Prepared:
    client, url = _enrolled(world)
    return Prepared(client, f"{url}/consent-withdrawal", {})


def _collect(world: World) -> Prepared:
    client, clinician = world.as_role(Role.INVESTIGATOR, Role.COLLECTOR)
    coi = enrol_eligible(world.database, world.settings, clinician)
    with world.database.transaction() as session:
        din = collection_service.schedule(session=session, settings=world.settings, actor=clinician.principal,
                                          data=collection_schemas.CollectionCreate(therapy_coi=coi)).din
    started = utcnow() - timedelta(hours=2)
    return Prepared(client, f"/api/v1/collections/{din}/transitions/collect", {
        "started_at": started.isoformat(), "occurred_at": (started + timedelta(minutes=30)).isoformat(),
        "volume_ml": 55.0})


def _receipt(world: World) -> Prepared:
    clinician = make_user(world.database, Role.INVESTIGATOR, Role.COLLECTOR)
    din = collected_bag(world.database, world.settings, clinician,
                        enrol_eligible(world.database, world.settings, clinician))
    client, _ = world.as_role(Role.OPERATOR)
    return Prepared(client, "/api/v1/receipts", {
        "scan": f"={din}00", "expected_din": din, "temperature_c": 20.0, "decision": "quarantine",
        "inspection": {"bag_intact": True, "seal_intact": True, "label_legible": True, "no_clots": True}})


def _hold(world: World) -> Prepared:
    lot = seed_lot(world.database, world.settings)
    client, _ = world.as_role(Role.QA)
    return Prepared(client, f"/api/v1/lots/{lot.din}/transitions/hold", {})


def _lift_hold(world: World) -> Prepared:
    lot = seed_lot(world.database, world.settings)
    client, qa = world.as_role(Role.QA)
    held = client.post(f"/api/v1/lots/{lot.din}/transitions/hold", json={"reason": "bag seal in doubt"})
    assert held.status_code == 200, held.text
    return Prepared(client, f"/api/v1/lots/{lot.din}/hold/lift", {**qa.credentials})


def _expiry(world: World) -> Prepared:
    lot = seed_lot(world.database, world.settings)
    client, _ = world.as_role(Role.QA)
    first = client.put(f"/api/v1/lots/{lot.din}/expiry", json={"expires_at": _soon(30)})
    assert first.status_code == 200, first.text
    return Prepared(client, f"/api/v1/lots/{lot.din}/expiry", {"expires_at": _soon(20)})


def _custody(world: World) -> Prepared:
    lot = seed_lot(world.database, world.settings)
    client, operator = world.as_role(Role.OPERATOR)
    courier = make_user(world.database, Role.COURIER)
    return Prepared(client, "/api/v1/custody-events", {
        "scan": f"={lot.din}00", "handed_over_by": operator.username, "received_by": courier.username})


def _reprint(world: World) -> Prepared:
    lot = seed_lot(world.database, world.settings)
    client, _ = world.as_role(Role.COLLECTOR)
    return Prepared(client, f"/api/v1/lots/{lot.din}/labels", {"kind": "aspirate_bag", "format": "png"})


def _printed_label(world: World) -> tuple[TestClient, int]:
    lot = seed_lot(world.database, world.settings)
    client, _ = world.as_role(Role.QA, Role.COLLECTOR)
    printed = client.post(f"/api/v1/lots/{lot.din}/labels",
                          json={"kind": "aspirate_bag", "format": "png", "reason": "torn in the thaw"})
    assert printed.status_code in (200, 201), printed.text
    return client, printed.json()["job"]["labels"][0]["id"]


def _void(world: World) -> Prepared:
    client, label_id = _printed_label(world)
    return Prepared(client, f"/api/v1/labels/{label_id}/void", {})


def _destroy(world: World) -> Prepared:
    client, label_id = _printed_label(world)
    return Prepared(client, f"/api/v1/labels/{label_id}/destroy", {})


def _step_correction(world: World) -> Prepared:
    bench = open_bench(world.database, world.settings)
    run_isolation(world.database, world.settings, bench)
    return Prepared(world.client(bench.operator), f"/api/v1/lots/{bench.lot.din}/steps/isolation/corrections",
                    {"name": "viability", "value": 95})


def _material(world: World) -> Prepared:
    client, _ = world.as_role(Role.QA)
    return Prepared(client, "/api/v1/materials", {"kind": "medium", "expires_at": _soon()})


def _material_decision(decision: str) -> Callable[[World], Prepared]:
    def prepare(world: World) -> Prepared:
        code = received_material(world.database, world.settings, make_user(world.database, Role.OPERATOR))
        client, qa = world.as_role(Role.QA)
        return Prepared(client, f"/api/v1/materials/{code}/{decision}", {**qa.credentials})
    return prepare


def _instrument(world: World) -> Prepared:
    client, _ = world.as_role(Role.ADMIN, Role.QA)
    return Prepared(client, "/api/v1/equipment", {"code": "INC-0042", "kind": "incubator",
                                                  "calibration_due": _soon()})


def _registered(world: World) -> tuple[TestClient, str]:
    client, keeper = world.as_role(Role.ADMIN, Role.QA)
    return client, registered_instrument(world.database, keeper, "INC-0042")


def _calibration(world: World) -> Prepared:
    client, code = _registered(world)
    return Prepared(client, f"/api/v1/equipment/{code}/calibrations", {"calibration_due": _soon(180)})


def _retirement(world: World) -> Prepared:
    client, code = _registered(world)
    return Prepared(client, f"/api/v1/equipment/{code}/retire", {})


def _deviation(world: World) -> Prepared:
    lot = seed_lot(world.database, world.settings)
    client, _ = world.as_role(Role.OPERATOR)
    return Prepared(client, f"/api/v1/lots/{lot.din}/deviations", {})


def _deviation_closure(world: World) -> Prepared:
    lot = seed_lot(world.database, world.settings)
    number = open_deviation(world.database, lot.din, make_user(world.database, Role.OPERATOR))
    client, qa = world.as_role(Role.QA)
    return Prepared(client, f"/api/v1/deviations/{number}/close", {**qa.credentials})


def _specification(world: World) -> Prepared:
    client, _ = world.as_role(Role.QA)
    return Prepared(client, "/api/v1/specifications", specification.shipped_default().model_dump(mode="json"))


def _qc_result(world: World) -> Prepared:
    qc = lot_in_qc(world.database, world.settings)
    return Prepared(world.client(qc.analyst), f"/api/v1/lots/{qc.din}/qc/results",
                    body("cd34", qc.samples[0], value=0.4))


def _qc_correction(world: World) -> Prepared:
    qc = lot_in_qc(world.database, world.settings)
    client = world.client(qc.analyst)
    entered = client.post(f"/api/v1/lots/{qc.din}/qc/results", json=body("cd34", qc.samples[0], value=0.4))
    assert entered.status_code in (200, 201), entered.text
    result_id = entered.json()["result"]["id"] if "result" in entered.json() else entered.json()["id"]
    return Prepared(client, f"/api/v1/lots/{qc.din}/qc/results/{result_id}/corrections", {"value": 0.5})


def _rejection(world: World) -> Prepared:
    lot = ready_lot(world.database, world.settings)
    return Prepared(world.client(lot.qa), f"/api/v1/lots/{lot.din}/reject", {**lot.qa.credentials})


def _record_review(world: World) -> Prepared:
    lot = ready_lot(world.database, world.settings, reviewed=False)
    return Prepared(world.client(lot.qa), f"/api/v1/lots/{lot.din}/record-review",
                    {"username": lot.qa.username, "password": lot.qa.password})


def _access_review(world: World) -> Prepared:
    qa = make_user(world.database, Role.QA)
    return Prepared(world.client(qa), "/api/v1/access-reviews", {"username": qa.username, "password": qa.password})


def _shipment(world: World) -> Prepared:
    lot = released_lot(world.database, world.settings)
    courier = clinic(world.database).courier
    return Prepared(world.client(lot.bench.operator), f"/api/v1/lots/{lot.din}/shipments", {
        "scans": bag_scans(world.database, lot), "received_by": courier.username, "temperature_c": 18.0})


def _clinic_receipt(world: World) -> Prepared:
    lot = released_lot(world.database, world.settings)
    people = clinic(world.database)
    scans = bag_scans(world.database, lot)
    shipped = world.client(lot.bench.operator).post(f"/api/v1/lots/{lot.din}/shipments", json={
        "scans": scans, "received_by": people.courier.username, "temperature_c": 18.0, "location": "dispatch"})
    assert shipped.status_code in (200, 201), shipped.text
    return Prepared(world.client(people.nurse), f"/api/v1/lots/{lot.din}/clinic-receipts", {
        "scans": scans, "handed_over_by": people.courier.username, "temperature_c": 18.0})


def _infusion(world: World) -> Prepared:
    lot, people = at_clinic(world.database, world.settings)
    nurse = world.client(people.nurse)
    checked = nurse.post("/api/v1/bedside/checks", json=check_body(
        wristband(lot.coi), bag_scan(world.database, lot.bag_ids[0]), people.doctor))
    assert checked.status_code in (200, 201), checked.text
    made = infusion_body(checked.json()["id"], people.nurse, people.doctor)
    del made["adverse_reactions"]
    return Prepared(nurse, "/api/v1/bedside/infusions", made)


def _account_action(action: str, *, target_inactive: bool = False, **more: Any) -> Callable[[World], Prepared]:
    """An administrator's signed action on another user's account (the reason is filled in)."""
    def prepare(world: World) -> Prepared:
        client, admin = world.as_role(Role.ADMIN)
        target = make_user(world.database, Role.NURSE)
        signing = {"username": admin.username, "password": admin.password}
        if target_inactive:
            done = client.post(f"/api/v1/users/{target.username}/deactivate", json={"reason": "leave", **signing})
            assert done.status_code == 200, done.text
        return Prepared(client, f"/api/v1/users/{target.username}/{action}", {**signing, **more})
    return prepare


def _user_creation(world: World) -> Prepared:
    client, admin = world.as_role(Role.ADMIN)
    return Prepared(client, "/api/v1/users", {"new_username": "new.user", "roles": ["nurse"],
                                              "username": admin.username, "password": admin.password})


def _token(world: World) -> Prepared:
    client, _admin = world.as_role(Role.ADMIN)
    return Prepared(client, "/api/v1/tokens", {"user": make_user(world.database, Role.OPERATOR).username})


def _token_revocation(world: World) -> Prepared:
    client, _user = world.as_role(Role.NURSE)
    token_id = client.get("/api/v1/tokens").json()[0]["id"]
    other, _ = world.as_role(Role.ADMIN)
    return Prepared(other, f"/api/v1/tokens/{token_id}/revoke", {})


def _qualification_grant(world: World) -> Prepared:
    client, qa = world.as_role(Role.QA)
    nurse = make_user(world.database, Role.NURSE, qualified=False)
    return Prepared(client, f"/api/v1/users/{nurse.username}/qualifications",
                    {"qualification": "CLIN-BEDSIDE", **qa.credentials})


def _qualification_revocation(world: World) -> Prepared:
    client, qa = world.as_role(Role.QA)
    nurse = make_user(world.database, Role.NURSE, qualified=False)
    granted = client.post(f"/api/v1/users/{nurse.username}/qualifications",
                          json={"qualification": "CLIN-BEDSIDE", **qa.credentials})
    assert granted.status_code == 201, granted.text
    return Prepared(client, f"/api/v1/users/{nurse.username}/qualifications/{granted.json()['id']}/revoke",
                    qa.credentials)


SCENARIOS = (
    Scenario("POST", "/api/v1/recipients", ("family_name", "given_name", "mrn", "donor.donor_code",
                                            "donor.hla_match", "allergies[].substance", "allergies[].reaction"),
             _enrolment),
    Scenario("POST", "/api/v1/recipients/{subject_code}/allergies", ("substance", "reaction"), _allergy),
    Scenario("POST", "/api/v1/recipients/{subject_code}/consent-withdrawal", ("reason",), _consent_withdrawal),
    Scenario("POST", "/api/v1/collections/{din}/transitions/{name}", ("reason", "anticoagulant", "site"), _collect),
    Scenario("POST", "/api/v1/receipts", ("reason",), _receipt),
    Scenario("POST", "/api/v1/lots/{din}/transitions/{name}", ("reason",), _hold),
    Scenario("POST", "/api/v1/lots/{din}/hold/lift", ("reason",), _lift_hold),
    Scenario("PUT", "/api/v1/lots/{din}/expiry", ("reason",), _expiry),
    Scenario("POST", "/api/v1/custody-events", ("location", "note"), _custody),
    Scenario("POST", "/api/v1/lots/{din}/labels", ("reason",), _reprint),
    Scenario("POST", "/api/v1/labels/{label_id}/void", ("reason",), _void),
    Scenario("POST", "/api/v1/labels/{label_id}/destroy", ("reason",), _destroy),
    Scenario("POST", "/api/v1/lots/{din}/steps/{step}/corrections", ("reason",), _step_correction),
    Scenario("POST", "/api/v1/materials", ("description", "supplier", "supplier_lot"), _material),
    Scenario("POST", "/api/v1/materials/{code}/release", ("reason",), _material_decision("release")),
    Scenario("POST", "/api/v1/materials/{code}/reject", ("reason",), _material_decision("reject")),
    Scenario("POST", "/api/v1/equipment", ("description", "location"), _instrument),
    Scenario("POST", "/api/v1/equipment/{code}/calibrations", ("certificate",), _calibration),
    Scenario("POST", "/api/v1/equipment/{code}/retire", ("reason",), _retirement),
    Scenario("POST", "/api/v1/lots/{din}/deviations", ("description", "impact"), _deviation),
    Scenario("POST", "/api/v1/deviations/{number}/close", ("closure",), _deviation_closure),
    Scenario("POST", "/api/v1/specifications", ("title",), _specification),
    Scenario("POST", "/api/v1/lots/{din}/qc/results", ("method",), _qc_result),
    Scenario("POST", "/api/v1/lots/{din}/qc/results/{result_id}/corrections", ("method", "reason"), _qc_correction),
    Scenario("POST", "/api/v1/lots/{din}/reject", ("reason",), _rejection),
    Scenario("POST", "/api/v1/lots/{din}/shipments", ("location", "note"), _shipment),
    Scenario("POST", "/api/v1/lots/{din}/clinic-receipts", ("location", "note"), _clinic_receipt),
    Scenario("POST", "/api/v1/bedside/infusions", ("adverse_reactions",), _infusion),
    Scenario("POST", "/api/v1/lots/{din}/record-review", ("comment",), _record_review),
    Scenario("POST", "/api/v1/access-reviews", ("comment",), _access_review),
    Scenario("POST", "/api/v1/users", ("full_name", "reason"), _user_creation),
    Scenario("POST", "/api/v1/users/{username}/deactivate", ("reason",), _account_action("deactivate")),
    Scenario("POST", "/api/v1/users/{username}/reactivate", ("reason",),
             _account_action("reactivate", target_inactive=True)),
    Scenario("POST", "/api/v1/users/{username}/roles", ("reason",), _account_action("roles", roles=["qa"])),
    Scenario("POST", "/api/v1/users/{username}/reset-password", ("reason",), _account_action("reset-password")),
    Scenario("POST", "/api/v1/tokens", ("name",), _token),
    Scenario("POST", "/api/v1/tokens/{token_id}/revoke", ("reason",), _token_revocation),
    Scenario("POST", "/api/v1/users/{username}/qualifications", ("note",), _qualification_grant),
    Scenario("POST", "/api/v1/users/{username}/qualifications/{grant_id}/revoke", ("reason",),
             _qualification_revocation),
)
