"""Enrolment and signed eligibility through the API: the therapy (COI) is opened only for an eligible subject."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient

from batchtrack.audit import service as audit_service
from batchtrack.db import Database
from batchtrack.models.base import utcnow
from batchtrack.models.user import Role

from builders import PATIENT_FAMILY, PATIENT_MRN, UserHandle, eligible_answers

ClientFactory = Callable[..., tuple[TestClient, UserHandle]]


def enrolment_body(subject: str = "S-101", **extra: object) -> dict[str, object]:
    return {"subject_code": subject, "family_name": PATIENT_FAMILY, "given_name": "Ana", "date_of_birth": "1990-05-01",
            "mrn": PATIENT_MRN, "indication": "nephritis",
            "consent_date": (utcnow().date() - timedelta(days=2)).isoformat(),
            "weight": {"visit_date": utcnow().date().isoformat(), "weight_kg": 60}, **extra}


def test_an_eligible_signed_assessment_opens_the_therapy(as_role: ClientFactory, database: Database) -> None:
    client, investigator = as_role(Role.INVESTIGATOR)
    enrolled = client.post("/api/v1/recipients", json=enrolment_body())
    assert enrolled.status_code == 201, enrolled.text
    assert enrolled.json()["family_name"] == PATIENT_FAMILY and enrolled.json()["therapy_coi"] is None
    signed = client.post("/api/v1/recipients/S-101/eligibility", json={
        "answers": eligible_answers(), "prescribed_cells_per_kg": 1e6, **investigator.credentials})
    assert signed.status_code == 201, signed.text
    body = signed.json()
    assert body["eligible"] is True and body["reasons"] == []
    assert body["therapy_coi"].startswith("CHW0000") and body["assessed_by"] == f"Test {investigator.username.title()}"
    therapy = client.get(f"/api/v1/therapies/{body['therapy_coi']}").json()
    assert therapy["subject_code"] == "S-101" and therapy["prescribed_cells_per_kg"] == 1e6
    with database.transaction(write=False) as session:
        actions = [e.action for e in audit_service.entries_for(session=session, entity_type="recipient",
                                                               entity_id="S-101")]
    assert actions == ["recipient.enrolled", "recipient.weight_recorded", "signature.applied",
                       "recipient.eligibility_assessed"]


def test_a_pen_strep_hypersensitive_recipient_is_refused_whatever_the_answers(as_role: ClientFactory) -> None:
    client, investigator = as_role(Role.INVESTIGATOR)
    client.post("/api/v1/recipients", json=enrolment_body(allergies=[{"substance": "Penicillin G",
                                                                       "reaction": "anaphylaxis"}]))
    body = client.post("/api/v1/recipients/S-101/eligibility", json={
        "answers": eligible_answers(), "prescribed_cells_per_kg": 1e6, **investigator.credentials}).json()
    assert body["eligible"] is False and body["therapy_coi"] is None
    assert [r["code"] for r in body["reasons"]] == ["eligibility.pen_strep_hypersensitivity"]


def test_a_wrong_password_signs_nothing_and_opens_nothing(as_role: ClientFactory) -> None:
    client, investigator = as_role(Role.INVESTIGATOR)
    client.post("/api/v1/recipients", json=enrolment_body())
    refused = client.post("/api/v1/recipients/S-101/eligibility", json={
        "answers": eligible_answers(), "prescribed_cells_per_kg": 1e6, "username": investigator.username,
        "password": "not-my-password"})
    assert refused.status_code == 403 and refused.json()["error"] == "signature.password"
    assert client.get("/api/v1/recipients/S-101").json()["eligible"] is None


def test_only_an_investigator_enrols_and_signs(as_role: ClientFactory) -> None:
    nurse, _ = as_role(Role.NURSE)
    assert nurse.post("/api/v1/recipients", json=enrolment_body()).status_code == 403
    operator, _ = as_role(Role.OPERATOR)
    assert operator.post("/api/v1/recipients", json=enrolment_body()).status_code == 403


def test_a_withdrawn_consent_refuses_a_new_assessment(as_role: ClientFactory) -> None:
    client, investigator = as_role(Role.INVESTIGATOR)
    client.post("/api/v1/recipients", json=enrolment_body())
    withdrawn = client.post("/api/v1/recipients/S-101/consent-withdrawal", json={"reason": "subject's wish"})
    assert withdrawn.status_code == 200
    refused = client.post("/api/v1/recipients/S-101/eligibility", json={
        "answers": eligible_answers(), "prescribed_cells_per_kg": 1e6, **investigator.credentials})
    assert refused.status_code == 409 and refused.json()["error"] == "consent.withdrawn"


def test_enrolment_refuses_a_directed_enrolment_without_its_donor_and_a_future_consent(as_role: ClientFactory) -> None:
    client, _ = as_role(Role.INVESTIGATOR)
    assert client.post("/api/v1/recipients", json=enrolment_body(donor_kind="directed")).status_code == 422
    future = enrolment_body(consent_date=(utcnow().date() + timedelta(days=3)).isoformat())
    refused = client.post("/api/v1/recipients", json=future)
    assert refused.status_code == 409 and refused.json()["error"] == "enrolment.consent_future"


def test_a_directed_allogeneic_enrolment_records_the_donors_eligibility_and_a_directed_product(
    as_role: ClientFactory,
) -> None:
    client, investigator = as_role(Role.INVESTIGATOR)
    body = enrolment_body(donor_kind="directed", donor={"donor_code": "D-77", "date_of_birth": "1970-06-01",
                                                        "hla_match": "haplo-identical (sibling)"})
    assert client.post("/api/v1/recipients", json=body).status_code == 201
    signed = client.post("/api/v1/recipients/S-101/eligibility", json={
        "answers": eligible_answers(donor_kind="directed"), "prescribed_cells_per_kg": 1e6,
        **investigator.credentials}).json()
    assert signed["eligible"] is True
    subject = client.get("/api/v1/recipients/S-101").json()
    assert (subject["donor_kind"], subject["donor_code"], subject["donor_eligibility"]) == (
        "directed", "D-77", "eligible")
    therapy = client.get(f"/api/v1/therapies/{signed['therapy_coi']}").json()
    assert therapy["donor_kind"] == "directed" and therapy["product_code"][5] == "2"  # directed recipient use


def test_a_directed_donor_outside_18_to_70_is_not_eligible(as_role: ClientFactory) -> None:
    client, investigator = as_role(Role.INVESTIGATOR)
    body = enrolment_body(donor_kind="directed", donor={"donor_code": "D-78", "date_of_birth": "1940-01-01"})
    client.post("/api/v1/recipients", json=body)
    signed = client.post("/api/v1/recipients/S-101/eligibility", json={
        "answers": eligible_answers(donor_kind="directed"), "prescribed_cells_per_kg": 1e6,
        **investigator.credentials}).json()
    assert signed["eligible"] is False and signed["therapy_coi"] is None
    assert [r["code"] for r in signed["reasons"]] == ["eligibility.donor_age"]
    assert client.get("/api/v1/recipients/S-101").json()["donor_eligibility"] == "ineligible"
