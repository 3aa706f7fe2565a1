"""API: shipment and receipt at the clinic, bedside checks, infusions, and reading barcodes from a photo."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from batchtrack.auth.principal import Principal
from batchtrack.bedside import handover, photos, schemas
from batchtrack.bedside import service as bedside_service
from batchtrack.errors import BadRequest
from batchtrack.i18n.text import _
from batchtrack.models.user import Role
from batchtrack.web.deps import Allow, SessionDep, SettingsDep
from batchtrack.web.rendering import translations_of
from batchtrack.web.validation import MAX_DB_INT, CoiPath, DinPath

router = APIRouter(tags=["bedside"])
Shipper = Annotated[Principal, Depends(Allow(Role.OPERATOR, Role.COURIER))]
Receiver = Annotated[Principal, Depends(Allow(Role.INVESTIGATOR, Role.NURSE, Role.COURIER))]
Clinician = Annotated[Principal, Depends(Allow(Role.INVESTIGATOR, Role.NURSE))]
Reviewer = Annotated[Principal, Depends(Allow(Role.INVESTIGATOR, Role.NURSE, Role.QA, Role.MEDICAL_DIRECTOR))]
CheckId = Annotated[int, Path(ge=1, le=MAX_DB_INT)]
# The photos, the multipart framing and the other fields: refused before the body is read when larger.
FORM_ALLOWANCE = 64 * 1024


def upload_limit(photos_allowed: int) -> Callable[[Request], Awaitable[None]]:
    """A dependency refusing a body larger than `photos_allowed` photos may be, from its declared length.

    Declared before the route's other dependencies, it runs before anything (the CSRF check too) reads the body.
    """
    limit = photos_allowed * photos.MAX_PHOTO_BYTES + FORM_ALLOWANCE

    async def refuse_oversized(request: Request) -> None:
        declared = request.headers.get("content-length", "")
        if not (declared.isascii() and declared.isdigit()):  # '²' is a digit to Python, not to int()
            raise BadRequest(_("send the photo as multipart/form-data with its length"),
                             code="photo.length_required")
        if int(declared) > limit:
            raise photos.PhotoTooLarge(_("the upload is {size} MB; a photo may be at most {limit} MB",
                                         size=format(int(declared) / 1024 / 1024, ".1f"),
                                         limit=photos.MAX_PHOTO_BYTES // 1024 // 1024))

    return refuse_oversized


OnePhoto = Annotated[None, Depends(upload_limit(1))]


async def read_photo(upload: object) -> bytes:
    """The bytes of an uploaded file field (at most one byte over the limit is read)."""
    if not isinstance(upload, UploadFile):
        raise BadRequest(_("upload the photo as the file field 'image' (multipart/form-data)"), code="photo.missing")
    return await upload.read(photos.MAX_PHOTO_BYTES + 1)


@router.post("/lots/{din}/shipments", status_code=201)
def ship(din: DinPath, data: schemas.BagsHandOver, session: SessionDep, actor: Shipper) -> schemas.HandOverPublic:
    """Ship a released lot to the clinic: every bag scanned from the GMP operator to the courier."""
    outcome = bedside_service.ship(session=session, actor=actor, din=din, data=data)
    return handover.public(session=session, outcome=outcome)


@router.post("/lots/{din}/clinic-receipts", status_code=201)
def receive(din: DinPath, data: schemas.BagsHandOver, session: SessionDep,
            actor: Receiver) -> schemas.HandOverPublic:
    """Receive a shipped lot at the clinic: every bag scanned from the courier to a clinician."""
    outcome = bedside_service.receive_at_clinic(session=session, actor=actor, din=din, data=data)
    return handover.public(session=session, outcome=outcome)


@router.post("/bedside/checks", response_model=schemas.CheckPublic,
             responses={409: {"model": schemas.CheckRefusal}})
def check(data: schemas.CheckCreate, request: Request, session: SessionDep, settings: SettingsDep,
          actor: Clinician) -> schemas.CheckPublic | Response:
    """The bedside identity check: 200 to proceed; 409 with every reason to stop (the check is recorded).

    The refusal's message and reasons are in the reader's language; the recorded check keeps them in English.
    """
    judged = bedside_service.judge(session=session, settings=settings, actor=actor, data=data)
    public = bedside_service.check_public(session=session, check=judged.row)
    if judged.row.ok:
        return public
    translations = translations_of(request, actor)
    refusal = schemas.CheckRefusal(error="bedside.refused",
                                   message=_("STOP: do not infuse this bag").shown_in(translations),
                                   reasons=[schemas.ReasonPublic(**r.as_dict(translations)) for r in judged.reasons],
                                   check=public)
    return JSONResponse(refusal.model_dump(mode="json"), status_code=409)


@router.get("/bedside/checks/{check_id}")
def get_check(check_id: CheckId, session: SessionDep, _viewer: Reviewer) -> schemas.CheckPublic:
    """One recorded bedside check and its verdict."""
    row = bedside_service.get_check(session=session, check_id=check_id)
    return bedside_service.check_public(session=session, check=row)


@router.post("/bedside/infusions", status_code=201)
def record_infusion(data: schemas.InfusionCreate, session: SessionDep, settings: SettingsDep,
                    actor: Clinician) -> schemas.InfusionPublic:
    """Record an infusion after a passed check, signed by both clinicians."""
    infusion = bedside_service.record_infusion(session=session, actor=actor, data=data, zone=settings.zone)
    return bedside_service.infusion_public(session=session, infusion=infusion)


@router.get("/therapies/{coi}/infusions")
def infusions(coi: CoiPath, session: SessionDep, _viewer: Reviewer) -> list[schemas.InfusionPublic]:
    """The infusions of a therapy, in the order they started."""
    return [bedside_service.infusion_public(session=session, infusion=i)
            for i in bedside_service.infusions_of(session=session, coi=coi)]


# The form is read by hand (its size is checked before it is parsed), so its one field is described here.
PHOTO_UPLOAD_OPENAPI: dict[str, object] = {"requestBody": {"required": True, "content": {"multipart/form-data": {
    "schema": {"type": "object", "required": ["image"],
               "properties": {"image": {"type": "string", "format": "binary"}}}}}}}


@router.post("/bedside/decode", openapi_extra=PHOTO_UPLOAD_OPENAPI)
async def decode(_limit: OnePhoto, request: Request, _actor: Clinician) -> schemas.DecodedPublic:
    """Read every barcode in an uploaded photo (multipart field 'image'), for clinics without a scanner."""
    form = await request.form(max_files=1, max_fields=8)
    data = await read_photo(form.get("image"))
    # Decoding a photo takes a while: off the event loop.
    return schemas.DecodedPublic(texts=await run_in_threadpool(photos.decode_photo, image_bytes=data))
