"""The release gate (DESIGN.md section 4, "Release"): one pure function that returns every unmet condition.

The release page shows these reasons; the release service runs the same gate again inside the transaction
that records the decision, with the lot locked, so nothing that changed in between can slip through.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo

from batchtrack.errors import Reason
from batchtrack.i18n import moments
from batchtrack.i18n.data_files import data_words
from batchtrack.i18n.text import Text, _

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
    custody_gaps: tuple[Text, ...] = ()
    actor_id: int | None = None
    actor_is_qa: bool = False
    performers: frozenset[int] = field(default_factory=frozenset)
    recipient_eligible: bool | None = None
    consent_withdrawn: bool = False
    pen_strep_allergies: tuple[str, ...] = ()
    co_signatures: frozenset[str] = field(default_factory=frozenset)
    record_reviewed_through: int | None = None  # the last entry QA's latest record review covers; None: no review
    exceptions_since_review: int = 0  # exceptions recorded since that review, which it does not cover
    zone: tzinfo = UTC  # the site's time zone, in which the reasons name times


def custody_gaps(hand_overs: Sequence[HandOver], *, names: dict[int, str], zone: tzinfo = UTC) -> list[Text]:
    """Breaks in the chain of custody: none recorded, or a hand-over by someone who had not received it."""
    if not hand_overs:
        return [_("no custody hand-over is recorded for the lot's collection")]
    gaps: list[Text] = []
    ordered = sorted(hand_overs, key=lambda h: h.at)
    for before, after in itertools.pairwise(ordered):
        if after.giver != before.receiver:
            gaps.append(_("{receiver} received the bag at {at} but {giver} handed it over next",
                          receiver=names.get(before.receiver, before.receiver), at=moments.minute(before.at, zone),
                          giver=names.get(after.giver, after.giver)))
    return gaps


def _tests(facts: ReleaseFacts, *, pending: bool) -> list[Reason]:
    reasons: list[Reason] = []
    for test in facts.tests:
        post_release_ok = pending and test.stage == "post_release"
        if test.status is None:
            if not post_release_ok:
                reasons.append(Reason("release.test_missing", _("{test}: no result", test=data_words(test.title))))
        elif test.conforms is False:
            reasons.append(Reason("release.test_failed", _("{test}: the result does not meet the specification",
                                                           test=data_words(test.title))))
        elif test.conforms is None:
            reasons.append(Reason("release.test_not_evaluated", _("{test}: the result could not be evaluated",
                                                                  test=data_words(test.title))))
        elif test.status != FINAL and not post_release_ok:
            reasons.append(Reason("release.test_not_final",
                                  _("{test}: only a preliminary result; a release before the final result is a "
                                    "release pending sterility, with its two co-signatures",
                                    test=data_words(test.title))))
    return reasons


def _common(facts: ReleaseFacts, *, pending: bool) -> list[Reason]:
    reasons: list[Reason] = []
    if facts.lot_state != IN_QC:
        reasons.append(Reason("lot.wrong_state", _("lot {din} is {state}; only a lot in QC is released",
                                                   din=facts.lot_din, state=facts.lot_state.replace("_", " "))))
    if not facts.actor_is_qa:
        reasons.append(Reason("actor.role", _("only QA releases a lot")))
    if facts.specification is None:
        reasons.append(Reason("release.no_specification", _("no specification is bound to the lot")))
    reasons += _tests(facts, pending=pending)
    if facts.open_deviations:
        reasons.append(Reason("release.open_deviation", _("{count} deviation(s) still open",
                                                          count=facts.open_deviations)))
    if facts.labels_unaccounted:
        reasons.append(Reason("release.labels_unreconciled",
                              _("{count} printed label(s) not accounted for as applied, voided or destroyed",
                                count=facts.labels_unaccounted)))
    if facts.labels_unverified:
        reasons.append(Reason("release.labels_unverified",
                              _("{count} applied label(s) not verified by a scan", count=facts.labels_unverified)))
    reasons += [Reason("release.custody_gap", gap) for gap in facts.custody_gaps]
    if facts.actor_id is not None and facts.actor_id in facts.performers:
        reasons.append(Reason("release.four_eyes",
                              _("the releasing QA person performed a processing step of this lot")))
    if facts.consent_withdrawn:
        reasons.append(Reason("release.consent_withdrawn", _("the recipient withdrew consent")))
    if facts.recipient_eligible is not True:
        reasons.append(Reason("release.recipient_not_eligible",
                              _("the recipient's signed eligibility is not 'eligible'")))
    if facts.pen_strep_allergies:
        reasons.append(Reason("release.pen_strep_hypersensitivity",
                              _("the recipient is hypersensitive to {allergies}; penicillin and streptomycin are "
                                "used in manufacture", allergies=", ".join(facts.pen_strep_allergies))))
    if facts.record_reviewed_through is None:
        reasons.append(Reason("release.record_review_missing", _("QA has not signed a review of the lot's record")))
    elif facts.exceptions_since_review:
        reasons.append(Reason("release.record_review_outdated",
                              _("{count} exception(s) recorded after the record review (through entry {seq}): the "
                                "record must be reviewed again", count=facts.exceptions_since_review,
                                seq=facts.record_reviewed_through)))
    if facts.expires_at is None:
        reasons.append(Reason("lot.no_expiry", _("the lot has no expiry recorded")))
    elif facts.now >= facts.expires_at:
        reasons.append(Reason("lot.expired", _("the lot expired at {at}",
                                               at=moments.minute(facts.expires_at, facts.zone))))
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
                              _("the lot's specification marks no test as post-release: only a full release")))
    by_code = {t.code: t for t in facts.tests}
    for code, needed in (("sterility_in_process", _("a release pending sterility needs a final negative in-process "
                                                    "sterility")),
                         ("gram_stain", _("a release pending sterility needs a final negative Gram stain"))):
        test = by_code.get(code)
        if test is None or test.status != FINAL or test.conforms is not True:
            reasons.append(Reason("release.pending_prerequisite", needed))
    for role in CO_SIGNERS:
        if role not in facts.co_signatures:
            reasons.append(Reason("release.co_signature_missing", _MISSING_CO_SIGNATURE[role]))
    return reasons


_MISSING_CO_SIGNATURE = {
    "medical_director": _("the medical director's signature for a release pending sterility"),
    "treating_physician": _("the treating physician's signature for a release pending sterility"),
}
# The role a person must hold to co-sign as each co-signer (spelled as models.user.Role).
CO_SIGNER_ROLES = {"medical_director": "medical_director", "treating_physician": "investigator"}


def rejection_refusals(facts: ReleaseFacts, *, reason: str) -> list[Reason]:
    """Every unmet condition of a rejection (empty: QA may reject): QA, a lot in QC, and a stated reason.

    A rejection is the safe decision: it needs neither conforming results nor a clean record.
    """
    reasons: list[Reason] = []
    if facts.lot_state != IN_QC:
        reasons.append(Reason("lot.wrong_state", _("lot {din} is {state}; only a lot in QC is rejected",
                                                   din=facts.lot_din, state=facts.lot_state.replace("_", " "))))
    if not facts.actor_is_qa:
        reasons.append(Reason("actor.role", _("only QA rejects a lot")))
    if not reason.strip():
        reasons.append(Reason("release.reason_required", _("say why the lot is rejected")))
    return reasons


_ONLY_ROLE_SIGNS = {
    "medical_director": _("only a user with the medical director role signs as the medical director"),
    "treating_physician": _("only a user with the investigator role signs as the treating physician"),
}


def already_co_signed(role: str, lot_din: str) -> Text:
    """The refusal of a second co-signature in `role` (one of CO_SIGNERS) for the lot."""
    if role == "medical_director":
        return _("the medical director has already signed for lot {din}", din=lot_din)
    return _("the treating physician has already signed for lot {din}", din=lot_din)


def co_signature_refusals(*, lot_din: str, lot_state: str, role: str, actor_roles: frozenset[str],
                          actor_id: int | None, signed_by: dict[str, int]) -> list[Reason]:
    """Every reason `actor` may not co-sign the release pending sterility as `role` (empty: they may).

    The medical director signs as such; the treating physician is an investigator. One signature per role,
    and the two are two different people.
    """
    reasons: list[Reason] = []
    if lot_state != IN_QC:
        reasons.append(Reason("lot.wrong_state", _("lot {din} is {state}; only a lot in QC awaits a release decision",
                                                   din=lot_din, state=lot_state.replace("_", " "))))
    needed = CO_SIGNER_ROLES.get(role)
    if needed is None:
        reasons.append(Reason("release.co_signer_unknown", _("{role} is not one of {roles}", role=repr(role[:40]),
                                                             roles=", ".join(CO_SIGNERS))))
    elif needed not in actor_roles:
        reasons.append(Reason("actor.role", _ONLY_ROLE_SIGNS[role]))
    if role in signed_by:
        reasons.append(Reason("release.co_signature_exists", already_co_signed(role, lot_din)))
    others = {r for r, user in signed_by.items() if r != role and user == actor_id}
    if actor_id is not None and others:
        reasons.append(Reason("release.co_signer_same_person",
                              _("the medical director and the treating physician must be two different people")))
    return reasons
