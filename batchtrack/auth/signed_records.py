"""Every kind of record that is signed, and how its signed content is rebuilt as it stood when it was signed.

`signatures.sign` refuses a kind that is not listed here, and the signature check rebuilds every signature's
content through the builder listed here, which calls the same pure content function the service signed with:
what is signed and what is checked cannot drift apart.

Records are corrected by appending, never by writing over, so a correction made properly after signing leaves the
signature intact: the builder rebuilds the content as of the signature's time (the record's pages show the content
as it is now, and so a signature "changed since signing"). Of the kinds signed, two have content that grows after
signing: a process step (value corrections: rebuilt as of `signed_at`, and what was appended since is checked
against the trail, see `appended_checks`) and a co-signature of a release pending sterility (QC results entered
later: rebuilt as of `signed_at`). The others are rebuilt from rows that never change once signed: an infusion,
a specification version, a material lot and its decision entry, a closed deviation, a lot's release decision (the
result rows it names), an eligibility assessment (the dose from its entry), a hold lifted (its entry), a lot's record
review (its row), an access review (its stored report, hashed again), a qualification's grant or revocation
(its row), and an administrator's action on an account (its entry).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any, Protocol

from sqlalchemy.orm import Session

from batchtrack.models.signature import Signature


class ContentOf(Protocol):
    """Rebuilds the content a signature covers from its record; None when the signed record is not found."""

    def __call__(self, *, session: Session, signature: Signature) -> dict[str, Any] | None: ...


class ContentsOf(Protocol):
    """Rebuilds the content of each of many signatures of one kind, by signature id (None: record not found)."""

    def __call__(self, *, session: Session, signatures: Sequence[Signature]) -> dict[int, dict[str, Any] | None]: ...


class AppendedOf(Protocol):
    """Names, by signature id, what was appended to each signed record after its signature and is not what the
    application appends (no entry: nothing); the content builder leaves such rows out."""

    def __call__(self, *, session: Session, signatures: Sequence[Signature]) -> dict[int, list[str]]: ...


def one_by_one(content_of: ContentOf) -> ContentsOf:
    """Many signatures rebuilt by a builder of one, a few queries per signature (kinds signed a few times a lot)."""
    def contents_of(*, session: Session, signatures: Sequence[Signature]) -> dict[int, dict[str, Any] | None]:
        return {s.id or 0: content_of(session=session, signature=s) for s in signatures}
    return contents_of


# (entity type, meaning) of every signature the application makes.
KINDS: frozenset[tuple[str, str]] = frozenset({
    ("process_step", "performed"), ("process_step", "reviewed"),  # a step completed, and verified
    ("infusion", "performed"), ("infusion", "reviewed"),  # both clinicians at the bedside
    ("specification", "approved"),  # QA makes a specification version effective
    ("material_lot", "released"), ("material_lot", "rejected"),  # QA's decision on a material lot
    ("deviation", "approved"),  # QA closes a deviation
    ("user_account", "approved"),  # an administrator creates, deactivates, reactivates an account, changes its roles
    # or resets its password
    ("lot", "released"), ("lot", "rejected"),  # QA's decision on a lot (also released pending sterility)
    ("lot", "approved"),  # a co-signature of a release pending sterility
    ("recipient", "approved"),  # the investigator's eligibility assessment
    ("lot_hold", "approved"),  # QA lifts a lot's hold
    ("lot_record_review", "reviewed"),  # QA's review of a lot's record by exception, before release
    ("access_review", "reviewed"),  # QA's periodic access review
    ("qualification", "approved"),  # a trainer grants a qualification
    ("qualification_revocation", "approved"),  # QA revokes a qualification
})


class UnknownKind(ValueError):
    """A signature of a kind no builder can rebuild: a defect of the application, not of the user's input."""


def require_known(entity_type: str, meaning: str) -> None:
    """Refuse to sign a kind of record the signature check could not rebuild."""
    if (entity_type, meaning) not in KINDS:
        raise UnknownKind(f"no signed-content builder is registered for {entity_type!r} signed {meaning!r}")


@cache
def builders() -> dict[tuple[str, str], ContentsOf]:
    """The content builder of every kind, from the domain service that signs it."""
    # Imported here, not at the top: those services sign through `signatures`, which imports this module.
    from batchtrack.accounts import service as account_service
    from batchtrack.bedside import infusions
    from batchtrack.deviations import service as deviation_service
    from batchtrack.enrolment import service as enrolment_service
    from batchtrack.lots import holds
    from batchtrack.materials import service as material_service
    from batchtrack.processing import service as step_service
    from batchtrack.qualifications import service as qualification_service
    from batchtrack.quality import specifications
    from batchtrack.release import service as release_service
    from batchtrack.review import access_review, record_review

    return {
        # Two signatures on every step of every lot: the most numerous kind, rebuilt in bulk.
        ("process_step", "performed"): step_service.signed_contents_of,
        ("process_step", "reviewed"): step_service.signed_contents_of,
        ("infusion", "performed"): one_by_one(infusions.signed_content_of),
        ("infusion", "reviewed"): one_by_one(infusions.signed_content_of),
        ("specification", "approved"): one_by_one(specifications.signed_content_of),
        ("material_lot", "released"): one_by_one(material_service.signed_content_of),
        ("material_lot", "rejected"): one_by_one(material_service.signed_content_of),
        ("deviation", "approved"): one_by_one(deviation_service.signed_content_of),
        ("user_account", "approved"): one_by_one(account_service.signed_content_of),
        ("lot", "released"): one_by_one(release_service.decision_content_of),
        ("lot", "rejected"): one_by_one(release_service.decision_content_of),
        ("lot", "approved"): one_by_one(release_service.co_signature_content_of),
        ("recipient", "approved"): one_by_one(enrolment_service.signed_content_of),
        ("lot_hold", "approved"): one_by_one(holds.signed_content_of),
        ("lot_record_review", "reviewed"): one_by_one(record_review.signed_content_of),
        ("access_review", "reviewed"): one_by_one(access_review.signed_content_of),
        ("qualification", "approved"): one_by_one(qualification_service.signed_content_of),
        ("qualification_revocation", "approved"): one_by_one(qualification_service.revocation_content_of),
    }


@cache
def appended_checks() -> dict[tuple[str, str], AppendedOf]:
    """The check of what was appended after signing, of every kind whose signed content is rebuilt as of a time."""
    from batchtrack.processing import after_signing

    return {("process_step", "performed"): after_signing.unrecorded_after,
            ("process_step", "reviewed"): after_signing.unrecorded_after}


def builder_for(entity_type: str, meaning: str) -> ContentsOf | None:
    """The builder of this kind of signature; None when there is none (itself a finding of the check)."""
    return builders().get((entity_type, meaning))
