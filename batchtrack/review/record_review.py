"""A lot's record reviewed by exception and signed by QA before release (meaning: reviewed).

The review lists every exception of the lot's trail (review.exceptions) through one audit entry, the last of the
lot's trail the reviewer was shown; QA signs that list. The release gate then needs a review, and one that no
exception recorded since has made out of date.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func
from sqlalchemy import select as core_select
from sqlalchemy.orm import Session
from sqlmodel import col, select

from batchtrack.audit import service as audit_service
from batchtrack.auth import signatures
from batchtrack.auth.principal import Principal
from batchtrack.errors import BadRequest, Forbidden
from batchtrack.i18n.text import Text, _
from batchtrack.lots import service as lot_service
from batchtrack.models.audit import AuditEntry
from batchtrack.models.lot import Lot
from batchtrack.models.review import LotRecordReview
from batchtrack.models.signature import Signature, SignatureMeaning
from batchtrack.models.user import Role
from batchtrack.review import exceptions, schemas, scope

SIGNED_ENTITY = "lot_record_review"
SIGNED = "record_review.signed"
REVIEWERS = frozenset({Role.QA})


@dataclass(frozen=True, slots=True)
class ReviewStanding:
    """Where the lot's record review stands for the release gate."""

    reviewed_through_seq: int | None  # None: never reviewed
    outdating: tuple[exceptions.RecordException, ...]  # exceptions recorded since the latest review


def trail_of(*, session: Session, lot: Lot, through_seq: int | None = None) -> list[exceptions.TrailEntry]:
    """The lot's whole trail (see review.scope), oldest first, up to `through_seq` if given."""
    query = core_select(col(AuditEntry.seq), col(AuditEntry.occurred_at), col(AuditEntry.actor_name),
                   col(AuditEntry.action), col(AuditEntry.entity_type), col(AuditEntry.entity_id),
                   col(AuditEntry.old_values), col(AuditEntry.new_values), col(AuditEntry.reason)).where(
        scope.condition(scope.lot_subjects(session=session, lot=lot)))
    if through_seq is not None:
        query = query.where(col(AuditEntry.seq) <= through_seq)
    return [exceptions.TrailEntry(*row) for row in session.execute(query.order_by(col(AuditEntry.seq))).all()]


def last_seq(*, session: Session, lot: Lot) -> int:
    """The seq of the newest entry of the lot's trail (0 when there is none)."""
    found = session.execute(select(func.max(col(AuditEntry.seq))).where(
        scope.condition(scope.lot_subjects(session=session, lot=lot)))).scalar()
    return int(found or 0)


def exceptions_of(*, session: Session, lot: Lot, through_seq: int | None = None) -> list[exceptions.RecordException]:
    """Every exception of the lot's trail, grouped by kind."""
    return exceptions.exceptions_in(trail_of(session=session, lot=lot, through_seq=through_seq))


def reviews_of(*, session: Session, lot: Lot) -> list[LotRecordReview]:
    """The lot's record reviews, newest first."""
    return list(session.execute(select(LotRecordReview).where(col(LotRecordReview.lot_id) == lot.id)
                                .order_by(col(LotRecordReview.id).desc())).scalars())


def standing(*, session: Session, lot: Lot) -> ReviewStanding:
    """The latest review and the exceptions recorded since that it does not cover."""
    reviews = reviews_of(session=session, lot=lot)
    if not reviews:
        return ReviewStanding(None, ())
    through = max(r.reviewed_through_seq for r in reviews)
    return ReviewStanding(through, tuple(exceptions.outdating_after(exceptions_of(session=session, lot=lot), through)))


def review_content(*, lot_din: str, reviewed_through_seq: int, exception_seqs: list[int], comment: str
                   ) -> dict[str, Any]:
    """What QA's review signature covers (pure): the lot, the last entry reviewed, each exception's seq, the
    comment."""
    return {"lot": lot_din, "reviewed_through_seq": reviewed_through_seq,
            "exceptions": sorted(set(exception_seqs)), "comment": comment}


def sign(*, session: Session, actor: Principal, din: str, username: str, password: str, comment: str,
         reviewed_through_seq: int | None = None) -> LotRecordReview:
    """Sign the review of the lot's record through `reviewed_through_seq` (default: its newest entry), as QA."""
    if Role.QA not in actor.roles:
        raise Forbidden(_("only QA reviews a lot's record"), code="actor.role")
    lot = lot_service.get_by_din(session=session, din=din, for_update=True)
    assert lot.id is not None and actor.user_id is not None
    newest = last_seq(session=session, lot=lot)
    through = newest if reviewed_through_seq is None else reviewed_through_seq
    if through > newest:
        raise BadRequest(_("lot {din}'s trail ends at entry {newest}; entry {through} cannot have been reviewed",
                           din=lot.din, newest=newest, through=through), code="record_review.beyond_trail")
    seqs = [e.entry.seq for e in exceptions_of(session=session, lot=lot, through_seq=through)]
    text = comment.strip()
    content = review_content(lot_din=lot.din, reviewed_through_seq=through, exception_seqs=seqs, comment=text)
    signature = signatures.sign(session=session, signer=actor, username=username, password=password,
                                meaning=SignatureMeaning.REVIEWED, entity_type=SIGNED_ENTITY, entity_id=lot.din,
                                content=content)
    assert signature.id is not None
    review = LotRecordReview(lot_id=lot.id, reviewed_through_seq=through,
                             exception_seqs=json.dumps(content["exceptions"]), comment=text,
                             signature_id=signature.id, reviewed_by=actor.user_id, reviewed_at=signature.signed_at)
    session.add(review)
    session.flush()
    audit_service.record(session=session, actor=actor, action=SIGNED, entity_type="lot", entity_id=lot.din,
                         new={"review_id": review.id, "signature_id": signature.id, "reviewed_through_seq": through,
                              "exceptions": len(content["exceptions"])}, reason=text)
    return review


def signed_content_of(*, session: Session, signature: Signature) -> dict[str, Any] | None:
    """What a review signature covers, rebuilt from the review row that names it; None if none does."""
    review = session.execute(select(LotRecordReview).where(col(LotRecordReview.signature_id) == signature.id)
                             ).scalars().first()
    lot = session.get(Lot, review.lot_id) if review is not None else None
    if review is None or lot is None:
        return None
    return review_content(lot_din=lot.din, reviewed_through_seq=review.reviewed_through_seq,
                          exception_seqs=json.loads(review.exception_seqs), comment=review.comment)



def exception_out(found: exceptions.RecordException) -> schemas.RecordExceptionOut:
    """An exception as the API and the page show it."""
    return schemas.RecordExceptionOut(kind=found.kind.value, why=str(found.why),
                                      entry=schemas.TrailEntryOut.model_validate(found.entry, from_attributes=True))


def _review_out(session: Session, lot: Lot, review: LotRecordReview) -> schemas.RecordReviewOut:
    signature = session.get(Signature, review.signature_id)
    assert signature is not None
    seqs = json.loads(review.exception_seqs)
    content = review_content(lot_din=lot.din, reviewed_through_seq=review.reviewed_through_seq,
                             exception_seqs=seqs, comment=review.comment)
    return schemas.RecordReviewOut(
        id=review.id or 0, reviewed_through_seq=review.reviewed_through_seq, exceptions=seqs, comment=review.comment,
        signature=schemas.SignatureOut(printed_name=signature.printed_name, meaning=signature.meaning,
                                       signed_at=signature.signed_at,
                                       intact=signatures.intact(session=session, signature=signature, content=content)))


def summary(*, session: Session, lot: Lot) -> schemas.RecordReviewSummary:
    """The lot's exceptions, its signed reviews (each signature checked) and whether the latest is current."""
    return summary_and_whys(session=session, lot=lot)[0]


def summary_and_whys(*, session: Session, lot: Lot) -> tuple[schemas.RecordReviewSummary, dict[tuple[str, int], Text]]:
    """The summary, with why each exception is one as people read it (by kind and entry seq), for the page."""
    found = exceptions_of(session=session, lot=lot)
    reviews = reviews_of(session=session, lot=lot)
    through = max((r.reviewed_through_seq for r in reviews), default=None)
    outdating = exceptions.outdating_after(found, through) if through is not None else []
    whys = {(e.kind.value, e.entry.seq): e.why for e in found}
    return schemas.RecordReviewSummary(
        lot=lot.din, last_seq=last_seq(session=session, lot=lot), exceptions=[exception_out(e) for e in found],
        reviews=[_review_out(session, lot, r) for r in reviews], reviewed_through_seq=through,
        outdating=[exception_out(e) for e in outdating], current=through is not None and not outdating), whys
