"""Every kind of record that is signed, and how its signed content is rebuilt from the record as it stands now.

`signatures.sign` refuses a kind that is not listed here, and the signature check rebuilds every signature's
content through the builder listed here, which calls the same pure content function the service signed with:
what is signed and what is checked cannot drift apart.
"""

from __future__ import annotations

from functools import cache
from typing import Any, Protocol

from sqlalchemy.orm import Session

from batchtrack.models.signature import Signature


class ContentOf(Protocol):
    """Rebuilds the content a signature covers from its record; None when the signed record is not found."""

    def __call__(self, *, session: Session, signature: Signature) -> dict[str, Any] | None: ...


# (entity type, meaning) of every signature the application makes.
KINDS: frozenset[tuple[str, str]] = frozenset({
    ("process_step", "performed"), ("process_step", "reviewed"),  # a step completed, and verified
    ("infusion", "performed"), ("infusion", "reviewed"),  # both clinicians at the bedside
    ("specification", "approved"),  # QA makes a specification version effective
    ("material_lot", "released"), ("material_lot", "rejected"),  # QA's decision on a material lot
    ("deviation", "approved"),  # QA closes a deviation
    ("lot", "released"), ("lot", "rejected"),  # QA's decision on a lot (also released pending sterility)
    ("lot", "approved"),  # a co-signature of a release pending sterility
    ("recipient", "approved"),  # the investigator's eligibility assessment
})


class UnknownKind(ValueError):
    """A signature of a kind no builder can rebuild: a defect of the application, not of the user's input."""


def require_known(entity_type: str, meaning: str) -> None:
    """Refuse to sign a kind of record the signature check could not rebuild."""
    if (entity_type, meaning) not in KINDS:
        raise UnknownKind(f"no signed-content builder is registered for {entity_type!r} signed {meaning!r}")


@cache
def builders() -> dict[tuple[str, str], ContentOf]:
    """The content builder of every kind, from the domain service that signs it."""
    # Imported here, not at the top: those services sign through `signatures`, which imports this module.
    from batchtrack.bedside import infusions
    from batchtrack.deviations import service as deviation_service
    from batchtrack.enrolment import service as enrolment_service
    from batchtrack.materials import service as material_service
    from batchtrack.processing import service as step_service
    from batchtrack.quality import specifications
    from batchtrack.release import service as release_service

    return {
        ("process_step", "performed"): step_service.signed_content_of,
        ("process_step", "reviewed"): step_service.signed_content_of,
        ("infusion", "performed"): infusions.signed_content_of,
        ("infusion", "reviewed"): infusions.signed_content_of,
        ("specification", "approved"): specifications.signed_content_of,
        ("material_lot", "released"): material_service.signed_content_of,
        ("material_lot", "rejected"): material_service.signed_content_of,
        ("deviation", "approved"): deviation_service.signed_content_of,
        ("lot", "released"): release_service.decision_content_of,
        ("lot", "rejected"): release_service.decision_content_of,
        ("lot", "approved"): release_service.co_signature_content_of,
        ("recipient", "approved"): enrolment_service.signed_content_of,
    }


def builder_for(entity_type: str, meaning: str) -> ContentOf | None:
    """The builder of this kind of signature; None when there is none (itself a finding of the check)."""
    return builders().get((entity_type, meaning))
