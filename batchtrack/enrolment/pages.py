"""Pages: the clinic's enrolment, eligibility, consent and collection scheduling."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from batchtrack.auth.principal import Principal
from batchtrack.collections import gates
from batchtrack.collections import schemas as collection_schemas
from batchtrack.collections import service as collection_service
from batchtrack.enrolment import schemas
from batchtrack.enrolment import service as enrolment_service
from batchtrack.errors import BadRequest
from batchtrack.i18n.text import Text, _
from batchtrack.models.user import Role
from batchtrack.people import rules
from batchtrack.protocols import definition, eligibility
from batchtrack.web.deps import Allow, SessionDep, SettingsDep
from batchtrack.web.pagination import PageDep
from batchtrack.web.rendering import form_data, form_invalid, render
from batchtrack.web.validation import IsoDate, SubjectPath

router = APIRouter(include_in_schema=False)
Reader = Annotated[Principal, Depends(Allow(*Role))]
Investigator = Annotated[Principal, Depends(Allow(Role.INVESTIGATOR))]
Clinician = Annotated[Principal, Depends(Allow(Role.INVESTIGATOR, Role.NURSE))]
Scheduler = Annotated[Principal, Depends(Allow(Role.INVESTIGATOR, Role.COLLECTOR))]
NameField = Annotated[str, Form(max_length=200)]


@router.get("/subjects", name="subjects")
def subjects(
    request: Request, session: SessionDep, viewer: Reader, page: PageDep,
    name: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    """Enrolled subjects (names only for clinical roles, who may also list those with a name)."""
    # Filtering by a name would tell a reader who may not see names which subjects have it: clinical roles only.
    name = name.strip() if viewer.sees_patient_identity else ""
    rows = enrolment_service.list_recipients(session=session, offset=page.offset, limit=page.limit, name=name)
    return render(request, "enrolment/subjects.html", {
        "subjects": [enrolment_service.summary(session=session, recipient=r, viewer=viewer) for r in rows],
        "name": name,
    }, principal=viewer)


def _enrol_page(request: Request, viewer: Principal, values: dict[str, str], notice: Text | None = None) -> Response:
    return render(request, "enrolment/enrol.html", {"protocols": definition.available(),
                                                    "values": values, "notice": notice}, principal=viewer)


@router.get("/subjects/new", name="enrol_form")
def enrol_form(request: Request, viewer: Investigator) -> Response:
    """The enrolment form."""
    return _enrol_page(request, viewer, {})


def _with_suggestions(values: dict[str, str], *, replace: bool) -> dict[str, str]:
    """The form's values with the romanised names suggested from Hangul names (only into empty fields unless
    `replace`)."""
    suggested = dict(values)
    for prefix in ("", "donor_") if values["donor_kind"] == "directed" else ("",):
        family, given = values[prefix + "family_name"], values[prefix + "given_name"]
        latin = (prefix + "family_name_latin", prefix + "given_name_latin")
        suggestion = rules.latin_to_record(family=family, given=given, family_latin=None, given_latin=None)
        if suggestion.how == rules.Romanisation.SUGGESTED and (replace or not any(values[k] for k in latin)):
            suggested[latin[0]], suggested[latin[1]] = suggestion.family, suggestion.given
    return suggested


@router.post("/subjects/new")
def enrol(
    request: Request, session: SessionDep, settings: SettingsDep, actor: Investigator,
    subject_code: Annotated[str, Form(max_length=32)] = "", family_name: NameField = "", given_name: NameField = "",
    family_name_latin: NameField = "", given_name_latin: NameField = "",
    date_of_birth: Annotated[str, Form(max_length=32)] = "",
    mrn: Annotated[str, Form(max_length=64)] = "", sex: Annotated[str, Form(max_length=8)] = "unknown",
    indication: Annotated[str, Form(max_length=16)] = "", consent_date: Annotated[str, Form(max_length=32)] = "",
    protocol_id: Annotated[str, Form(max_length=32)] = "KCT0004337",
    donor_kind: Annotated[str, Form(max_length=16)] = "autologous",
    donor_code: Annotated[str, Form(max_length=64)] = "", donor_date_of_birth: Annotated[str, Form(max_length=32)] = "",
    donor_family_name: NameField = "", donor_given_name: NameField = "",
    donor_family_name_latin: NameField = "", donor_given_name_latin: NameField = "",
    allergies: Annotated[str, Form(max_length=1000)] = "",
    weight_kg: Annotated[str, Form(max_length=10)] = "", weight_date: Annotated[str, Form(max_length=10)] = "",
    action: Annotated[str, Form(max_length=16)] = "enrol",
) -> Response:
    """Enrol a subject from the form and open their page; or show the form again with the romanised names
    suggested from Hangul names (asked for, or left empty), for the investigator to check before enrolling."""
    values = {
        "subject_code": subject_code, "family_name": family_name, "given_name": given_name,
        "family_name_latin": family_name_latin, "given_name_latin": given_name_latin,
        "date_of_birth": date_of_birth, "mrn": mrn, "sex": sex, "indication": indication,
        "consent_date": consent_date, "protocol_id": protocol_id, "donor_kind": donor_kind, "donor_code": donor_code,
        "donor_date_of_birth": donor_date_of_birth, "donor_family_name": donor_family_name,
        "donor_given_name": donor_given_name, "donor_family_name_latin": donor_family_name_latin,
        "donor_given_name_latin": donor_given_name_latin, "allergies": allergies, "weight_kg": weight_kg,
        "weight_date": weight_date,
    }
    if action == "suggest":
        return _enrol_page(request, actor, _with_suggestions(values, replace=True))
    suggested = _with_suggestions(values, replace=False)
    if suggested != values:
        # A romanised name is recorded only as a person saw it: a suggestion is shown first, not recorded unseen.
        return _enrol_page(request, actor, suggested, notice=_(
            "The romanised names were suggested from the Hangul. Check or correct them, then enrol."))
    try:
        data = schemas.EnrolmentCreate.model_validate({
            "subject_code": subject_code, "family_name": family_name, "given_name": given_name,
            "family_name_latin": family_name_latin, "given_name_latin": given_name_latin,
            "date_of_birth": date_of_birth, "mrn": mrn, "sex": sex, "indication": indication,
            "consent_date": consent_date, "protocol_id": protocol_id, "donor_kind": donor_kind,
            "donor": {"donor_code": donor_code, "date_of_birth": donor_date_of_birth,
                      "family_name": donor_family_name, "given_name": donor_given_name,
                      "family_name_latin": donor_family_name_latin, "given_name_latin": donor_given_name_latin}
            if donor_kind == "directed" else None,
            "allergies": [{"substance": a.strip()} for a in allergies.split(",") if a.strip()],
            "weight": {"visit_date": weight_date, "weight_kg": weight_kg} if weight_kg else None,
        })
    except ValidationError as exc:
        raise form_invalid(exc) from exc
    recipient = enrolment_service.enrol(session=session, actor=actor, data=data, zone=settings.zone)
    return RedirectResponse(request.url_for("subject_page", subject_code=recipient.subject_code), status_code=303)


@router.get("/subjects/{subject_code}", name="subject_page")
def subject_page(subject_code: SubjectPath, request: Request, session: SessionDep, viewer: Reader) -> Response:
    """A subject: enrolment, eligibility (with the form to sign it), consent, therapy and collections."""
    recipient = enrolment_service.get_recipient(session=session, subject_code=subject_code)
    protocol = definition.load(recipient.protocol_id)
    donor = enrolment_service.donor_of(session=session, recipient=recipient)
    criteria = eligibility.applicable(protocol, eligibility.Subject(indication=recipient.indication,
                                                                    donor_kind=donor.kind))
    therapy = enrolment_service.therapy_of(session=session, recipient=recipient)
    collections = [collection_service.to_public(session=session, collection=c)
                   for c in collection_service.of_therapy(session=session, therapy=therapy)] if therapy else []
    assessment = enrolment_service.latest_assessment(session=session, recipient=recipient)
    return render(request, "enrolment/subject.html", {
        "subject": enrolment_service.summary(session=session, recipient=recipient, viewer=viewer),
        "protocol": protocol, "criteria": criteria, "assessment": assessment,
        "assessment_reasons": json.loads(assessment.reasons) if assessment else [],
        "therapy": therapy, "collections": collections,
        "standing_reasons": gates.collection_allowed(collection_service.standing_of(session=session, therapy=therapy))
        if therapy else [],
    }, principal=viewer)


@router.post("/subjects/{subject_code}/eligibility", name="subject_eligibility")
def assess(
    subject_code: SubjectPath, request: Request, form: Annotated[FormData, Depends(form_data)], session: SessionDep,
    settings: SettingsDep, actor: Investigator,
) -> Response:
    """Sign the answers to every criterion; an eligible subject's therapy is opened."""
    answers = {str(key)[len("answer-"):]: value == "yes" for key, value in form.items()
               if str(key).startswith("answer-") and value in ("yes", "no")}
    try:
        data = schemas.EligibilityAnswers(answers=answers, username=str(form.get("username", ""))[:64],
                                          password=str(form.get("password", "")),
                                          prescribed_cells_per_kg=float(str(form.get("prescribed_cells_per_kg", "0"))
                                                                        or 0))
    except (ValidationError, ValueError) as exc:
        if isinstance(exc, ValidationError):
            raise form_invalid(exc) from exc
        raise BadRequest(_("the prescribed dose is not a number"), code="form_invalid") from exc
    enrolment_service.assess(session=session, settings=settings, actor=actor, subject_code=subject_code, data=data)
    return RedirectResponse(request.url_for("subject_page", subject_code=subject_code), status_code=303)


@router.post("/subjects/{subject_code}/weights", name="subject_weight")
def record_weight(
    subject_code: SubjectPath, request: Request, session: SessionDep, settings: SettingsDep, actor: Clinician,
    visit_date: Annotated[IsoDate, Form()], weight_kg: Annotated[float, Form(gt=1, lt=400)],
) -> Response:
    """Record a weight at a visit."""
    recipient = enrolment_service.get_recipient(session=session, subject_code=subject_code)
    enrolment_service.record_weight(session=session, actor=actor, recipient=recipient,
                                    data=schemas.WeightCreate(visit_date=visit_date, weight_kg=weight_kg),
                                    zone=settings.zone)
    return RedirectResponse(request.url_for("subject_page", subject_code=subject_code), status_code=303)


@router.post("/subjects/{subject_code}/allergies", name="subject_allergy")
def record_allergy(
    subject_code: SubjectPath, request: Request, session: SessionDep, actor: Clinician,
    substance: Annotated[str, Form(min_length=1, max_length=200)],
    reaction: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Record a hypersensitivity."""
    recipient = enrolment_service.get_recipient(session=session, subject_code=subject_code)
    try:
        data = schemas.AllergyCreate(substance=substance, reaction=reaction)
    except ValidationError as exc:
        raise form_invalid(exc) from exc
    enrolment_service.record_allergy(session=session, actor=actor, recipient=recipient, data=data)
    return RedirectResponse(request.url_for("subject_page", subject_code=subject_code), status_code=303)


@router.post("/subjects/{subject_code}/consent-withdrawal", name="subject_withdraw")
def withdraw_consent(
    subject_code: SubjectPath, request: Request, session: SessionDep, actor: Investigator,
    reason: Annotated[str, Form(min_length=1, max_length=4000)],
) -> Response:
    """Record a withdrawal of consent."""
    enrolment_service.withdraw_consent(session=session, actor=actor, subject_code=subject_code, reason=reason)
    return RedirectResponse(request.url_for("subject_page", subject_code=subject_code), status_code=303)


@router.post("/subjects/{subject_code}/collections", name="subject_schedule")
def schedule_collection(
    subject_code: SubjectPath, request: Request, session: SessionDep, settings: SettingsDep, actor: Scheduler,
) -> Response:
    """Schedule the marrow aspirate (refused for a subject who may not be collected)."""
    recipient = enrolment_service.get_recipient(session=session, subject_code=subject_code)
    therapy = enrolment_service.therapy_of(session=session, recipient=recipient)
    if therapy is None:
        raise BadRequest(_("the subject has no therapy: sign an eligible assessment first"), code="therapy.none")
    collection_service.schedule(session=session, settings=settings, actor=actor,
                                data=collection_schemas.CollectionCreate(therapy_coi=therapy.coi))
    return RedirectResponse(request.url_for("subject_page", subject_code=subject_code), status_code=303)
