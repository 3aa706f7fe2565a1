"""API: the audit trail for review (filtered, paged by seq, exported as CSV), a lot's record review, the access
review."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import StreamingResponse

from batchtrack.audit import schemas as audit_schemas
from batchtrack.auth.principal import Principal
from batchtrack.errors import BadRequest
from batchtrack.i18n.text import _
from batchtrack.lots import service as lot_service
from batchtrack.models.user import Role
from batchtrack.review import access_review, record_review, schemas, trail
from batchtrack.web.deps import ANY_ROLE, Allow, DatabaseDep, SessionDep
from batchtrack.web.pagination import MAX_PAGE_SIZE
from batchtrack.web.validation import COI_PATTERN, DIN_PATTERN, MAX_DB_INT, AwareTime, DinPath

router = APIRouter(tags=["review"])
# The trail carries codes, never a patient's identity (see enrolment.service): every role reads it, as before.
TrailReader = Annotated[Principal, Depends(ANY_ROLE)]
# A lot's record review and the access review are QA's work; the medical director reads the record review.
RECORD_REVIEW_READERS = frozenset({Role.QA, Role.MEDICAL_DIRECTOR})
ACCESS_REVIEW_READERS = frozenset({Role.QA, Role.ADMIN})
RecordReviewReader = Annotated[Principal, Depends(Allow(*RECORD_REVIEW_READERS))]
AccessReviewReader = Annotated[Principal, Depends(Allow(*ACCESS_REVIEW_READERS))]
Reviewer = Annotated[Principal, Depends(Allow(*record_review.REVIEWERS))]
SeqBound = Annotated[int | None, Query(ge=0, le=MAX_DB_INT)]
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
ENTITY_ID_PATTERN = r"^[A-Za-z0-9_. -]+$"
USER_PATTERN = r"^[A-Za-z0-9_.@-]+$"
ACTION_PATTERN = r"^[a-z_]+(\.[a-z_]*)?$"


def trail_filter(
    lot: Annotated[str | None, Query(pattern=DIN_PATTERN, description="DIN: the lot and every record of it")] = None,
    therapy: Annotated[str | None, Query(pattern=COI_PATTERN, description="COI identifier of a therapy")] = None,
    entity_type: Annotated[str | None, Query(max_length=32, pattern=r"^[a-z_]+$")] = None,
    entity_id: Annotated[str | None, Query(max_length=64, pattern=ENTITY_ID_PATTERN)] = None,
    user: Annotated[str | None, Query(max_length=64, pattern=USER_PATTERN,
                                      description="user name of the actor")] = None,
    action: Annotated[str | None, Query(max_length=64, pattern=ACTION_PATTERN,
                                        description="an action, or a prefix ending in '.' such as 'label.'")] = None,
    since: Annotated[AwareTime | None, Query(description="occurred at or after (ISO 8601 with offset)")] = None,
    until: Annotated[AwareTime | None, Query(description="occurred before (ISO 8601 with offset)")] = None,
) -> trail.TrailFilter:
    """The trail's filters, read from the query string."""
    return trail.TrailFilter(lot=lot, therapy=therapy, entity_type=entity_type, entity_id=entity_id, user=user,
                             action=action, since=since, until=until)


FilterDep = Annotated[trail.TrailFilter, Depends(trail_filter)]


def _no_offset(offset: int | None) -> None:
    # The trail was once paged by OFFSET, which reads and skips every entry before the page; a client still sending
    # it is told how to page now rather than silently given the first page again.
    if offset:
        raise BadRequest(_("the audit trail is paged by seq: ask for after_seq=<the last seq of the previous page>"),
                         code="paging.offset_removed")


@router.get("/audit-entries")
def list_entries(
    session: SessionDep, _viewer: TrailReader, wanted: FilterDep,
    after_seq: SeqBound = None, before_seq: SeqBound = None,
    order: Annotated[Literal["asc", "desc"], Query(description="asc: chain order; desc: newest first")] = "asc",
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 50,
    offset: Annotated[int | None, Query(ge=0, deprecated=True, description="removed: use after_seq")] = None,
) -> list[audit_schemas.AuditEntryPublic]:
    """Audit entries matching the filters, `limit` at a time within after_seq < seq < before_seq, in chain order
    (or newest first): the next page starts after the last seq of this one."""
    _no_offset(offset)
    where = trail.condition(session=session, wanted=wanted)
    rows = trail.page(session=session, where=where, after_seq=after_seq, before_seq=before_seq,
                      newest_first=order == "desc", limit=limit)
    return [audit_schemas.AuditEntryPublic.model_validate(row, from_attributes=True) for row in rows]


def csv_download(lines: Iterator[str], filename: str) -> StreamingResponse:
    """A streamed CSV download."""
    return StreamingResponse(lines, media_type=CSV_MEDIA_TYPE,
                             headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@router.get("/audit-entries.csv")
def export_entries(session: SessionDep, database: DatabaseDep, _viewer: TrailReader,
                   wanted: FilterDep) -> StreamingResponse:
    """Every audit entry matching the filters, in chain order, as a streamed CSV file."""
    trail.condition(session=session, wanted=wanted)  # an unknown lot, therapy or user: 404 before streaming
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return csv_download(trail.export_csv(database, wanted), f"audit-trail-{stamp}.csv")


@router.get("/lots/{din}/record-review")
def get_record_review(din: DinPath, session: SessionDep, _viewer: RecordReviewReader) -> schemas.RecordReviewSummary:
    """The exceptions of the lot's trail, grouped by kind, the reviews signed and whether the latest is current."""
    return record_review.summary(session=session, lot=lot_service.get_by_din(session=session, din=din))


@router.post("/lots/{din}/record-review", status_code=201)
def sign_record_review(din: DinPath, data: schemas.RecordReviewRequest, session: SessionDep,
                       actor: Reviewer) -> schemas.RecordReviewSummary:
    """QA signs the review of the lot's record (meaning: reviewed) through the entry given (default: the newest)."""
    record_review.sign(session=session, actor=actor, din=din, username=data.username, password=data.password,
                       comment=data.comment, reviewed_through_seq=data.reviewed_through_seq)
    return record_review.summary(session=session, lot=lot_service.get_by_din(session=session, din=din))


@router.get("/access-review")
def get_access_report(session: SessionDep, _viewer: AccessReviewReader) -> schemas.AccessReport:
    """The access report as it stands now: every account, its roles, qualifications, last sign-in and tokens."""
    return access_review.public(access_review.report(session=session))


@router.get("/access-review.csv")
def export_access_report(session: SessionDep, _viewer: AccessReviewReader) -> StreamingResponse:
    """The access report as it stands now, as CSV."""
    data = access_review.report(session=session)
    return csv_download(iter(list(access_review.report_csv(data))), "access-review.csv")


@router.get("/access-reviews/{review_id}.csv")
def export_signed_access_report(review_id: Annotated[int, Path(ge=1, le=MAX_DB_INT)], session: SessionDep,
                                _viewer: AccessReviewReader) -> StreamingResponse:
    """A past access review's report, as it was signed, as CSV."""
    review = access_review.get(session=session, review_id=review_id)
    lines = list(access_review.report_csv(json.loads(review.report)))
    return csv_download(iter(lines), f"access-review-{review_id}.csv")


@router.get("/access-reviews")
def list_access_reviews(session: SessionDep, _viewer: AccessReviewReader) -> list[schemas.AccessReviewOut]:
    """The past access reviews, newest first, each signature checked against its stored report."""
    return [access_review.review_out(session=session, review=r) for r in access_review.reviews(session=session)]


@router.post("/access-reviews", status_code=201)
def sign_access_review(data: schemas.AccessReviewRequest, session: SessionDep,
                       actor: Reviewer) -> schemas.AccessReviewOut:
    """QA signs the access report as it stands now (meaning: reviewed); the report and its hash are stored."""
    review = access_review.sign(session=session, actor=actor, username=data.username, password=data.password,
                                comment=data.comment, accounts_sha256=data.accounts_sha256)
    return access_review.review_out(session=session, review=review)
