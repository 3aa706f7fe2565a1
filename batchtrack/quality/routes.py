"""API: release specifications (drafted and approved by QA) and a lot's QC results."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Depends, Request

from batchtrack.auth.principal import Principal
from batchtrack.lots import service as lot_service
from batchtrack.models.user import Role
from batchtrack.quality import results, schemas, specifications
from batchtrack.web.deps import ANY_ROLE, Allow, SessionDep
from batchtrack.web.rendering import translations_of
from batchtrack.web.validation import DinPath

router = APIRouter(tags=["quality"])
# Specifications and results carry no patient identity: every role may read them.
Reader = Annotated[Principal, Depends(ANY_ROLE)]
Quality = Annotated[Principal, Depends(Allow(Role.QA))]
# QA reviews the results and decides on the lot; it does not record them.
Analyst = Annotated[Principal, Depends(Allow(Role.QC_ANALYST))]


@router.get("/specifications")
def list_specifications(session: SessionDep, _viewer: Reader) -> list[schemas.SpecificationSummary]:
    """Every specification version, by code, newest first, with its status (draft, effective, superseded)."""
    return specifications.summaries(session=session, specs=specifications.versions(session=session))


@router.get("/specifications/{code}/{version}")
def get_specification(
    code: schemas.SpecCodePath, version: schemas.VersionPath, session: SessionDep, _viewer: Reader
) -> schemas.SpecificationPublic:
    """One version: its tests and limits, its status, and QA's approval signature."""
    spec = specifications.get(session=session, code=code, version=version)
    return specifications.to_public(session=session, spec=spec)


@router.post("/specifications", status_code=201)
def draft_specification(
    data: schemas.SpecificationDraft, session: SessionDep, actor: Quality
) -> schemas.SpecificationPublic:
    """QA drafts a new version, whole; it must carry the next version number and pass the specification's rules."""
    spec = specifications.draft_from_json(session=session, actor=actor, text=json.dumps(data.model_dump()))
    return specifications.to_public(session=session, spec=spec)


@router.post("/specifications/default", status_code=201)
def draft_default_specification(
    data: schemas.DefaultDraft, session: SessionDep, actor: Quality
) -> schemas.SpecificationPublic:
    """QA stores the specification shipped with batchtrack as a draft to review (once: later calls return it)."""
    spec = specifications.draft_default(session=session, actor=actor, code=data.code)
    return specifications.to_public(session=session, spec=spec)


@router.post("/specifications/{code}/{version}/approve")
def approve_specification(
    code: schemas.SpecCodePath, version: schemas.VersionPath, data: schemas.SpecificationApproval,
    session: SessionDep, actor: Quality,
) -> schemas.SpecificationPublic:
    """QA approves a draft with a signature (meaning: approved); it becomes effective and supersedes the previous
    version. Lots already submitted to QC keep the version they were bound to."""
    spec = specifications.approve(session=session, actor=actor, code=code, version=version, username=data.username,
                                  password=data.password)
    return specifications.to_public(session=session, spec=spec)


@router.get("/lots/{din}/qc")
def lot_qc(din: DinPath, session: SessionDep, _viewer: Reader) -> schemas.LotQcPublic:
    """The lot's specification version and each test's limit, result in force and history."""
    lot = lot_service.get_by_din(session=session, din=din)
    return results.results_of(session=session, lot=lot)


@router.post("/lots/{din}/qc/results", status_code=201)
def enter_result(
    din: DinPath, data: schemas.QcResultCreate, request: Request, session: SessionDep, actor: Analyst
) -> schemas.QcResultRecorded:
    """Record a result on the scanned QC sample; it is evaluated now, and out of specification it opens a
    deviation (after release, a failing post-release test also alerts the clinic)."""
    recorded = results.enter_result(session=session, actor=actor, din=din, data=data)
    return results.recorded_public(session=session, recorded=recorded, translations=translations_of(request, actor))


@router.post("/lots/{din}/qc/results/{result_id}/corrections", status_code=201)
def correct_result(
    din: DinPath, result_id: schemas.ResultIdPath, data: schemas.QcResultCorrection, request: Request,
    session: SessionDep, actor: Analyst,
) -> schemas.QcResultRecorded:
    """Correct a result with a reason: a new result replaces it and is evaluated again; the old one stays."""
    recorded = results.correct_result(session=session, actor=actor, din=din, result_id=result_id, data=data)
    return results.recorded_public(session=session, recorded=recorded, translations=translations_of(request, actor))
