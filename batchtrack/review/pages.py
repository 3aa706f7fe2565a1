"""Pages: the audit trail for review, a lot's record review with QA's signing form, and the access review."""

from __future__ import annotations

import re
from itertools import groupby
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from batchtrack.auth.principal import Principal
from batchtrack.errors import BadRequest
from batchtrack.i18n.text import Text, _
from batchtrack.lots import service as lot_service
from batchtrack.models.user import Role
from batchtrack.review import access_review, exceptions, record_review, schemas, trail
from batchtrack.review.routes import (
    ACCESS_REVIEW_READERS,
    ACTION_PATTERN,
    ENTITY_ID_PATTERN,
    RECORD_REVIEW_READERS,
    USER_PATTERN,
    SeqBound,
)
from batchtrack.web.deps import Allow, SessionDep, SettingsDep
from batchtrack.web.rendering import form_invalid, form_time, parse_local_time, render
from batchtrack.web.validation import COI_PATTERN, DIN_PATTERN, DinPath, SignerUserIdForm

router = APIRouter(include_in_schema=False)
# The audit trail page is a reviewer's tool: QA reviews records, the medical director answers for the product.
TRAIL_PAGE_READERS = frozenset({Role.QA, Role.MEDICAL_DIRECTOR})
TrailPageReader = Annotated[Principal, Depends(Allow(*TRAIL_PAGE_READERS))]
RecordReviewReader = Annotated[Principal, Depends(Allow(*RECORD_REVIEW_READERS))]
AccessReviewReader = Annotated[Principal, Depends(Allow(*ACCESS_REVIEW_READERS))]
Reviewer = Annotated[Principal, Depends(Allow(*record_review.REVIEWERS))]
PasswordField = Annotated[str, Form(max_length=256)]
CommentField = Annotated[str, Form(max_length=4000)]
PAGE_SIZE = 50
KIND_TITLES = {
    exceptions.ExceptionKind.CORRECTION: _("Corrections"), exceptions.ExceptionKind.REFUSAL: _("Refusals"),
    exceptions.ExceptionKind.DEVIATION: _("Deviations and holds"), exceptions.ExceptionKind.REPRINT: _("Reprints"),
    exceptions.ExceptionKind.VOID: _("Voided or destroyed labels"),
    exceptions.ExceptionKind.LATE_ENTRY: _("Late entries"), exceptions.ExceptionKind.OVERRIDE: _("Overrides"),
}


def _link(request: Request, name: str, query: dict[str, str]) -> str:
    return str(request.url_for(name).include_query_params(**query))


def _matching(value: str, pattern: str, what: Text) -> str | None:
    # A form sends every field, the empty ones as "": those are no filter; any other must have its shape.
    text = value.strip()
    if text and not re.fullmatch(pattern, text):
        raise BadRequest(_("{value} is not {what}", value=repr(text[:40]), what=what), code="form_invalid")
    return text or None


def page_filter(
    settings: SettingsDep,
    lot: Annotated[str, Query(max_length=40)] = "", therapy: Annotated[str, Query(max_length=40)] = "",
    entity_type: Annotated[str, Query(max_length=32)] = "", entity_id: Annotated[str, Query(max_length=64)] = "",
    user: Annotated[str, Query(max_length=64)] = "", action: Annotated[str, Query(max_length=64)] = "",
    since: Annotated[str, Query(max_length=40)] = "", until: Annotated[str, Query(max_length=40)] = "",
) -> trail.TrailFilter:
    """The page's filters, as the filter form sends them (empty fields, times in the site's zone)."""
    return trail.TrailFilter(
        lot=_matching(lot, DIN_PATTERN, _("a DIN (13 characters, no check character)")),
        therapy=_matching(therapy, COI_PATTERN, _("a COI identifier")),
        entity_type=_matching(entity_type, r"^[a-z_]+$", _("a record type")),
        entity_id=_matching(entity_id, ENTITY_ID_PATTERN, _("a record id")),
        user=_matching(user, USER_PATTERN, _("a user name")),
        action=_matching(action, ACTION_PATTERN, _("an action (or a prefix ending in '.')")),
        since=parse_local_time(since, settings.zone), until=parse_local_time(until, settings.zone))


@router.get("/audit", name="audit_page")
def audit_page(request: Request, session: SessionDep, settings: SettingsDep, viewer: TrailPageReader,
               wanted: Annotated[trail.TrailFilter, Depends(page_filter)], after_seq: SeqBound = None,
               before_seq: SeqBound = None) -> Response:
    """The audit trail, newest first, filtered; older and newer pages addressed by seq; the CSV of the filter."""
    where = trail.condition(session=session, wanted=wanted)
    if after_seq is not None:
        # The page just above `after_seq`: read upward, shown newest first like every page.
        entries = trail.page(session=session, where=where, after_seq=after_seq, limit=PAGE_SIZE)[::-1]
    else:
        entries = trail.page(session=session, where=where, before_seq=before_seq, newest_first=True,
                             limit=PAGE_SIZE)
    query = wanted.query_string()
    older = newer = None
    if entries:
        if trail.page(session=session, where=where, before_seq=entries[-1].seq, newest_first=True, limit=1):
            older = _link(request, "audit_page", {**query, "before_seq": str(entries[-1].seq)})
        if trail.page(session=session, where=where, after_seq=entries[0].seq, limit=1):
            newer = _link(request, "audit_page", {**query, "after_seq": str(entries[0].seq)})
    return render(request, "review/audit.html", {
        "entries": entries, "wanted": wanted, "filtered": bool(query),
        "paged": after_seq is not None or before_seq is not None,
        "since_local": form_time(wanted.since, settings.zone), "until_local": form_time(wanted.until, settings.zone),
        "older": older, "newer": newer,
        "csv": _link(request, "export_entries", query), "newest": _link(request, "audit_page", query),
    }, principal=viewer)


@router.get("/lots/{din}/record-review", name="record_review_page")
def record_review_page(din: DinPath, request: Request, session: SessionDep, viewer: RecordReviewReader) -> Response:
    """The lot's exceptions grouped by kind, each with its entry; the reviews signed; QA's signing form."""
    lot = lot_service.get_by_din(session=session, din=din)
    summary, whys = record_review.summary_and_whys(session=session, lot=lot)
    groups = [(KIND_TITLES[exceptions.ExceptionKind(kind)], list(found))
              for kind, found in groupby(summary.exceptions, key=lambda e: e.kind)]
    return render(request, "review/record_review.html", {
        "s": summary, "groups": groups, "whys": whys, "lot": lot_service.to_public(session=session, lot=lot),
        "is_qa": viewer.has_any(record_review.REVIEWERS),
        "trail": _link(request, "audit_page", {"lot": lot.din}),
    }, principal=viewer)


@router.post("/lots/{din}/record-review", name="record_review_sign")
def record_review_sign(
    din: DinPath, request: Request, session: SessionDep, actor: Reviewer, password: PasswordField = "",
    username: SignerUserIdForm = "", comment: CommentField = "",
    reviewed_through_seq: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Sign the lot's record review through the entry the page showed last, then show the review."""
    try:
        data = schemas.RecordReviewRequest(username=username, password=password,
                                           comment=comment.replace("\r\n", "\n"),
                                           reviewed_through_seq=reviewed_through_seq or None)
    except ValidationError as exc:
        raise form_invalid(exc) from exc
    record_review.sign(session=session, actor=actor, din=din, username=data.username, password=data.password,
                       comment=data.comment, reviewed_through_seq=data.reviewed_through_seq)
    return RedirectResponse(request.url_for("record_review_page", din=din), status_code=303)


@router.get("/access-review", name="access_review_page")
def access_review_page(request: Request, session: SessionDep, viewer: AccessReviewReader) -> Response:
    """The access report as it stands now, QA's signing form, and the past reviews."""
    report = access_review.public(access_review.report(session=session))
    past = [access_review.review_out(session=session, review=r) for r in access_review.reviews(session=session)]
    return render(request, "review/access_review.html", {
        "report": report, "past": past, "is_qa": viewer.has_any(access_review.REVIEWERS),
    }, principal=viewer)


@router.post("/access-review", name="access_review_sign")
def access_review_sign(request: Request, session: SessionDep, actor: Reviewer, password: PasswordField = "",
                       username: SignerUserIdForm = "", comment: CommentField = "",
                       accounts_sha256: Annotated[str, Form(max_length=64)] = "") -> Response:
    """Sign the access report as it stands now, then show the past reviews."""
    try:
        data = schemas.AccessReviewRequest(username=username, password=password,
                                           comment=comment.replace("\r\n", "\n"), accounts_sha256=accounts_sha256)
    except ValidationError as exc:
        raise form_invalid(exc) from exc
    access_review.sign(session=session, actor=actor, username=data.username, password=data.password,
                       comment=data.comment, accounts_sha256=data.accounts_sha256)
    return RedirectResponse(request.url_for("access_review_page"), status_code=303)
