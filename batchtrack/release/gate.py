"""The release gate (DESIGN.md section 4, "Release"): one pure function that returns every unmet condition.

The release page shows these reasons; the release service runs the same gate again inside the transaction
that records the decision, with the lot locked, so nothing that changed in between can slip through.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from batchtrack.errors import Reason

# Spelled as in lots.workflow.LotState, models.quality.ResultStatus and ApprovalRole (the tests check), so
# that the gate imports no table.
IN_QC = "in_qc"
FINAL = "final"
PRELIMINARY = "preliminary"
CO_SIGNERS = ("medical_director", "treating_physician")


@dataclass(frozen=True, slots=True)
class TestStanding:
    """Where one test of the lot's specification stands: the latest result's status and whether it conforms."""

    code: str
    title: str
    stage: str  # in_process, release or post_release
    status: str | None  # None: no result; preliminary; final
    conforms: bool | None


@dataclass(frozen=True, slots=True)
class HandOver:
    """One custody hand-over, by user id."""

    giver: int
    receiver: int
    at: datetime


@dataclass(frozen=True, slots=True)
class ReleaseFacts:
    """Everything the gate judges, gathered by the service."""

    lot_din: str
    lot_state: str
    now: datetime
    expires_at: datetime | None
    specification: str | None  # "MSC-FP v1", None when no specification is bound to the lot
    tests: tuple[TestStanding, ...] = ()
    open_deviations: int = 0
    labels_unaccounted: int = 0  # printed - (applied + voided + destroyed)
    labels_unverified: int = 0  # applied without a verifying scan
    custody_gaps: tuple[str, ...] = ()
    actor_id: int | None = None
    actor_is_qa: bool = False
    performers: frozenset[int] = field(default_factory=frozenset)
    recipient_eligible: bool | None = None
    consent_withdrawn: bool = False
    pen_strep_allergies: tuple[str, ...] = ()
    co_signatures: frozenset[str] = field(default_factory=frozenset)
    record_reviewed_through: int | None = None  # the last entry QA's latest record review covers; None: no review
    exceptions_since_review: int = 0  # exceptions recorded since that review, which it does not cover


def custody_gaps(hand_overs: Sequence[HandOver], *, names: dict[int, str]) -> list[str]:
    """Breaks in the chain of custody: none recorded, or a hand-over by someone who had not received it."""
    if not hand_overs:
        return ["no custody hand-over is recorded for the lot's collection"]
    gaps: list[str] = []
    ordered = sorted(hand_overs, key=lambda h: h.at)
    for before, after in itertools.pairwise(ordered):
        if after.giver != before.receiver:
            gaps.append(f"{names.get(before.receiver, before.receiver)} received the bag at "
                        f"{before.at:%Y-%m-%d %H:%M} UTC but {names.get(after.giver, after.giver)} handed it over next")
    return gaps


def _tests(facts: ReleaseFacts, *, pending: bool) -> list[Reason]:
    reasons: list[Reason] = []
    for test in facts.tests:
        post_release_ok = pending and test.stage == "post_release"
        if test.status is None:
            if not post_release_ok:
                reasons.append(Reason("release.test_missing", f"{test.title}: no result"))
        elif test.conforms is False:
            reasons.append(Reason("release.test_failed", f"{test.title}: the result does not meet the specification"))
        elif test.conforms is None:
            reasons.append(Reason("release.test_not_evaluated", f"{test.title}: the result could not be evaluated"))
        elif test.status != FINAL and not post_release_ok:
            reasons.append(Reason("release.test_not_final",
                                  f"{test.title}: only a preliminary result; a release before the final result "
                                  "is a release pending sterility, with its two co-signatures"))
    return reasons


def _common(facts: ReleaseFacts, *, pending: bool) -> list[Reason]:
    reasons: list[Reason] = []
    if facts.lot_state != IN_QC:
        reasons.append(Reason("lot.wrong_state", f"lot {facts.lot_din} is {facts.lot_state.replace('_', ' ')}; "
                                                 "only a lot in QC is released"))
    if not facts.actor_is_qa:
        reasons.append(Reason("actor.role", "only QA releases a lot"))
    if facts.specification is None:
        reasons.append(Reason("release.no_specification", "no specification is bound to the lot"))
    reasons += _tests(facts, pending=pending)
    if facts.open_deviations:
        reasons.append(Reason("release.open_deviation", f"{facts.open_deviations} deviation(s) still open"))
    if facts.labels_unaccounted:
        reasons.append(Reason("release.labels_unreconciled",
                              f"{facts.labels_unaccounted} printed label(s) not accounted for as applied, voided "
                              "or destroyed"))
    if facts.labels_unverified:
        reasons.append(Reason("release.labels_unverified",
                              f"{facts.labels_unverified} applied label(s) not verified by a scan"))
    reasons += [Reason("release.custody_gap", gap) for gap in facts.custody_gaps]
    if facts.actor_id is not None and facts.actor_id in facts.performers:
        reasons.append(Reason("release.four_eyes", "the releasing QA person performed a processing step of this lot"))
    if facts.consent_withdrawn:
        reasons.append(Reason("release.consent_withdrawn", "the recipient withdrew consent"))
    if facts.recipient_eligible is not True:
        reasons.append(Reason("release.recipient_not_eligible", "the recipient's signed eligibility is not 'eligible'"))
    if facts.pen_strep_allergies:
        reasons.append(Reason("release.pen_strep_hypersensitivity",
                              f"the recipient is hypersensitive to {', '.join(facts.pen_strep_allergies)}; "
                              "penicillin and streptomycin are used in manufacture"))
    if facts.record_reviewed_through is None:
        reasons.append(Reason("release.record_review_missing", "QA has not signed a review of the lot's record"))
    elif facts.exceptions_since_review:
        reasons.append(Reason("release.record_review_outdated",
                              f"{facts.exceptions_since_review} exception(s) recorded after the record review "
                              f"(through entry {facts.record_reviewed_through}): the record must be reviewed again"))
    if facts.expires_at is None:
        reasons.append(Reason("lot.no_expiry", "the lot has no expiry recorded"))
    elif facts.now >= facts.expires_at:
        reasons.append(Reason("lot.expired", f"the lot expired at {facts.expires_at:%Y-%m-%d %H:%M} UTC"))
    return reasons


def release_refusals(facts: ReleaseFacts) -> list[Reason]:
    """Every unmet condition of a full release (empty: QA may release)."""
    return _common(facts, pending=False)


def pending_sterility_refusals(facts: ReleaseFacts) -> list[Reason]:
    """Every unmet condition of a release pending sterility (empty: QA may release before the final sterility).

    Allowed only where the specification marks a test as post-release, with the in-process sterility and the
    Gram stain final and negative, and both co-signatures (medical director, treating physician) recorded.
    """
    reasons = _common(facts, pending=True)
    post_release = [t for t in facts.tests if t.stage == "post_release"]
    if not post_release:
        reasons.append(Reason("release.pending_not_allowed",
                              "the lot's specification marks no test as post-release: only a full release"))
    by_code = {t.code: t for t in facts.tests}
    for code, title in (("sterility_in_process", "in-process sterility"), ("gram_stain", "Gram stain")):
        test = by_code.get(code)
        if test is None or test.status != FINAL or test.conforms is not True:
            reasons.append(Reason("release.pending_prerequisite",
                                  f"a release pending sterility needs a final negative {title}"))
    for role in CO_SIGNERS:
        if role not in facts.co_signatures:
            reasons.append(Reason("release.co_signature_missing",
                                  f"the {role.replace('_', ' ')}'s signature for a release pending sterility"))
    return reasons


# The role a person must hold to co-sign as each co-signer (spelled as models.user.Role).
CO_SIGNER_ROLES = {"medical_director": "medical_director", "treating_physician": "investigator"}


def rejection_refusals(facts: ReleaseFacts, *, reason: str) -> list[Reason]:
    """Every unmet condition of a rejection (empty: QA may reject): QA, a lot in QC, and a stated reason.

    A rejection is the safe decision: it needs neither conforming results nor a clean record.
    """
    reasons: list[Reason] = []
    if facts.lot_state != IN_QC:
        reasons.append(Reason("lot.wrong_state", f"lot {facts.lot_din} is {facts.lot_state.replace('_', ' ')}; "
                                                 "only a lot in QC is rejected"))
    if not facts.actor_is_qa:
        reasons.append(Reason("actor.role", "only QA rejects a lot"))
    if not reason.strip():
        reasons.append(Reason("release.reason_required", "say why the lot is rejected"))
    return reasons


def co_signature_refusals(*, lot_din: str, lot_state: str, role: str, actor_roles: frozenset[str],
                          actor_id: int | None, signed_by: dict[str, int]) -> list[Reason]:
    """Every reason `actor` may not co-sign the release pending sterility as `role` (empty: they may).

    The medical director signs as such; the treating physician is an investigator. One signature per role,
    and the two are two different people.
    """
    reasons: list[Reason] = []
    if lot_state != IN_QC:
        reasons.append(Reason("lot.wrong_state", f"lot {lot_din} is {lot_state.replace('_', ' ')}; "
                                                 "only a lot in QC awaits a release decision"))
    needed = CO_SIGNER_ROLES.get(role)
    if needed is None:
        reasons.append(Reason("release.co_signer_unknown", f"{role[:40]!r} is not one of {', '.join(CO_SIGNERS)}"))
    elif needed not in actor_roles:
        reasons.append(Reason("actor.role", f"only a user with the {needed.replace('_', ' ')} role signs as the "
                                            f"{role.replace('_', ' ')}"))
    if role in signed_by:
        reasons.append(Reason("release.co_signature_exists",
                              f"the {role.replace('_', ' ')} has already signed for lot {lot_din}"))
    others = {r for r, user in signed_by.items() if r != role and user == actor_id}
    if actor_id is not None and others:
        reasons.append(Reason("release.co_signer_same_person",
                              "the medical director and the treating physician must be two different people"))
    return reasons
