"""API: the catalogue of qualifications, the training matrix, grants and revocations."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from batchtrack.auth.principal import Principal
from batchtrack.models.user import Role
from batchtrack.qualifications import matrix, schemas
from batchtrack.qualifications import service as qualification_service
from batchtrack.web.deps import ANY_ROLE, Allow, SessionDep
from batchtrack.web.validation import MAX_DB_INT

router = APIRouter(tags=["qualifications"])
# The catalogue names no one: every role may read what each activity needs.
Reader = Annotated[Principal, Depends(ANY_ROLE)]
# Who holds what is read by QA, the administrator of accounts, and the medical director.
MATRIX_READERS = frozenset({Role.QA, Role.ADMIN, Role.MEDICAL_DIRECTOR})
MatrixReader = Annotated[Principal, Depends(Allow(*MATRIX_READERS))]
# QA, or a holder flagged as trainer of the qualification (of any role): the service decides which.
Trainer = Annotated[Principal, Depends(ANY_ROLE)]
Quality = Annotated[Principal, Depends(Allow(Role.QA))]
UsernamePath = Annotated[str, Path(min_length=1, max_length=64, description="user name")]
GrantIdPath = Annotated[int, Path(ge=1, le=MAX_DB_INT, description="grant id")]


@router.get("/qualifications")
def list_qualifications(_viewer: Reader) -> list[schemas.QualificationPublic]:
    """The catalogue: each qualification, its default validity, and the activities that need it."""
    return matrix.catalogue()


@router.get("/training-matrix")
def training_matrix(
    session: SessionDep, _viewer: MatrixReader,
    role: Annotated[str | None, Query(max_length=32)] = None,
    qualification: Annotated[str | None, Query(max_length=32)] = None,
    standing: Annotated[str | None, Query(max_length=16, description=", ".join(matrix.STANDINGS))] = None,
    include_inactive: bool = False,
) -> schemas.TrainingMatrix:
    """Who holds which qualification until when; filters by role, qualification and standing."""
    return matrix.training_matrix(session=session, role=role, qualification=qualification, standing=standing,
                                  include_inactive=include_inactive)


@router.post("/users/{username}/qualifications", status_code=201)
def grant_qualification(
    username: UsernamePath, data: schemas.GrantCreate, session: SessionDep, actor: Trainer,
) -> schemas.GrantPublic:
    """Grant a qualification as the trainer's signed act (QA, or a current trainer of that qualification)."""
    grant = qualification_service.grant(session=session, actor=actor, username=username, data=data)
    return matrix.grant_public(session=session, grant=grant)


@router.post("/users/{username}/qualifications/{grant_id}/revoke")
def revoke_qualification(
    username: UsernamePath, grant_id: GrantIdPath, data: schemas.RevokeRequest, session: SessionDep, actor: Quality,
) -> schemas.RevocationPublic:
    """Revoke a grant in force before its expiry, as QA's signed act with the reason."""
    revocation = qualification_service.revoke(session=session, actor=actor, username=username, grant_id=grant_id,
                                              data=data)
    return matrix.revocation_public(session=session, revocation=revocation)
