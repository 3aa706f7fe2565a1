"""The collection lifecycle: scheduled, collected, in transit, received (accepted, rejected, quarantined).

One pure guard per transition; each returns the reasons it refuses (empty: allowed).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from batchtrack.collections.gates import (
    BagLabels,
    ReceiptFacts,
    SubjectStanding,
    acceptance_refusals,
    collection_allowed,
    labels_ready_to_leave,
)
from batchtrack.errors import Reason
from batchtrack.i18n.text import Text, _
from batchtrack.models.user import Role


class CollectionState(StrEnum):
    """Where a collection is in its life."""

    SCHEDULED = "scheduled"
    COLLECTED = "collected"
    IN_TRANSIT = "in_transit"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    QUARANTINED = "quarantined"


# The states as messages name them.
STATE_NAMES: dict[CollectionState, Text] = {
    CollectionState.SCHEDULED: _("scheduled"),
    CollectionState.COLLECTED: _("collected"),
    CollectionState.IN_TRANSIT: _("in transit"),
    CollectionState.ACCEPTED: _("accepted"),
    CollectionState.REJECTED: _("rejected"),
    CollectionState.QUARANTINED: _("quarantined"),
}


def _listed(names: Iterable[Text]) -> Text:
    """Names separated by commas, each shown in the reader's language."""
    values = {f"name{index}": name for index, name in enumerate(names)}
    return Text(", ".join(f"{{{field}}}" for field in values), tuple(values.items()))


@dataclass(frozen=True, slots=True)
class CollectionFacts:
    """What the guards need to know about a collection at the moment of a transition."""

    state: CollectionState
    now: datetime
    actor_roles: frozenset[Role]
    collected_at: datetime | None = None
    standing: SubjectStanding | None = None
    bag_labels: BagLabels | None = None
    receipt: ReceiptFacts | None = None  # present only when the receiving station judges the bag
    reason: str = ""


Guard = Callable[[CollectionFacts], list[Reason]]


@dataclass(frozen=True, slots=True)
class Transition:
    """A named move from one of `sources` to `target`, allowed to `roles`, checked by `guard`."""

    name: str
    sources: frozenset[CollectionState]
    target: CollectionState
    roles: frozenset[Role]
    guard: Guard

    @property
    def label(self) -> Text:
        """What the move makes of a collection, as messages say it ("in transit")."""
        return STATE_NAMES[self.target]


def _basic(facts: CollectionFacts, transition: Transition) -> list[Reason]:
    reasons: list[Reason] = []
    if facts.state not in transition.sources:
        allowed = _listed(STATE_NAMES[s] for s in sorted(transition.sources, key=lambda s: s.value))
        reasons.append(Reason("collection.wrong_state", _(
            "the collection is {state}; it can be {target} only from: {allowed}",
            state=STATE_NAMES[facts.state], target=transition.label, allowed=allowed)))
    if not facts.actor_roles & transition.roles:
        needed = ", ".join(sorted(r.value for r in transition.roles))
        reasons.append(Reason("actor.role", _("to mark a collection {target} you need: {roles}",
                                              target=transition.label, roles=needed)))
    return reasons


def _standing(facts: CollectionFacts) -> list[Reason]:
    if facts.standing is None:
        return [Reason("subject.unknown", _("the subject's eligibility and consent could not be established"))]
    return collection_allowed(facts.standing)


def _at_receipt(facts: CollectionFacts, decision: CollectionState) -> list[Reason]:
    """From in transit, a decision is taken only at the receiving station, with its measurements."""
    if facts.state == CollectionState.IN_TRANSIT and facts.receipt is None:
        return [Reason("receipt.required", _(
            "a bag in transit is {decision} at the receiving station (scan, temperature, inspection)",
            decision=STATE_NAMES[decision]))]
    return []


def _qa_decision_on_quarantine(facts: CollectionFacts) -> list[Reason]:
    reasons: list[Reason] = []
    if facts.state == CollectionState.QUARANTINED:
        if Role.QA not in facts.actor_roles:
            reasons.append(Reason("actor.role", _("only QA decides on a quarantined bag")))
        if not facts.reason.strip():
            reasons.append(Reason("reason.required", _("a decision on a quarantined bag needs a reason")))
    return reasons


def guard_collect(facts: CollectionFacts) -> list[Reason]:
    """Record the aspirate: a scheduled collection of an eligible, consenting subject without pen/strep allergy."""
    return _basic(facts, COLLECT) + _standing(facts)


def guard_dispatch(facts: CollectionFacts) -> list[Reason]:
    """Hand the bag to transport: collected, with a collection time, and its labels applied and scan-verified."""
    reasons = _basic(facts, DISPATCH)
    if facts.collected_at is None:
        reasons.append(Reason("collection.no_time", _("the collection time is not recorded")))
    reasons += labels_ready_to_leave(facts.bag_labels or BagLabels(verified=0, outstanding=0))
    return reasons


def guard_accept(facts: CollectionFacts) -> list[Reason]:
    """Accept at the lab: at receipt within time, temperature and inspection; or by QA from quarantine."""
    reasons = _basic(facts, ACCEPT) + _at_receipt(facts, CollectionState.ACCEPTED) + _qa_decision_on_quarantine(facts)
    if facts.state == CollectionState.IN_TRANSIT and facts.receipt is not None:
        reasons += acceptance_refusals(facts.receipt)
    return reasons


def guard_reject(facts: CollectionFacts) -> list[Reason]:
    """Reject at the lab (at receipt, with a reason), or by QA from quarantine."""
    reasons = _basic(facts, REJECT) + _at_receipt(facts, CollectionState.REJECTED) + _qa_decision_on_quarantine(facts)
    if facts.state != CollectionState.QUARANTINED and not facts.reason.strip():
        reasons.append(Reason("reason.required", _("a rejection needs a reason")))
    return reasons


def guard_quarantine(facts: CollectionFacts) -> list[Reason]:
    """Quarantine at receipt, with a reason, when acceptance needs a QA decision."""
    reasons = _basic(facts, QUARANTINE) + _at_receipt(facts, CollectionState.QUARANTINED)
    if not facts.reason.strip():
        reasons.append(Reason("reason.required", _("a quarantine needs a reason")))
    return reasons


_LAB = frozenset({Role.OPERATOR, Role.QA})
COLLECT = Transition("collect", frozenset({CollectionState.SCHEDULED}), CollectionState.COLLECTED,
                     frozenset({Role.COLLECTOR, Role.INVESTIGATOR}), guard_collect)
DISPATCH = Transition("dispatch", frozenset({CollectionState.COLLECTED}), CollectionState.IN_TRANSIT,
                      frozenset({Role.COLLECTOR, Role.COURIER}), guard_dispatch)
ACCEPT = Transition("accept", frozenset({CollectionState.IN_TRANSIT, CollectionState.QUARANTINED}),
                    CollectionState.ACCEPTED, _LAB, guard_accept)
REJECT = Transition("reject", frozenset({CollectionState.IN_TRANSIT, CollectionState.QUARANTINED}),
                    CollectionState.REJECTED, _LAB, guard_reject)
QUARANTINE = Transition("quarantine", frozenset({CollectionState.IN_TRANSIT}), CollectionState.QUARANTINED,
                        _LAB, guard_quarantine)

TRANSITIONS: dict[str, Transition] = {t.name: t for t in (COLLECT, DISPATCH, ACCEPT, REJECT, QUARANTINE)}
