"""The collection lifecycle: scheduled, collected, in transit, received (accepted, rejected, quarantined).

One pure guard per transition; each returns the reasons it refuses (empty: allowed).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from batchtrack.errors import Reason
from batchtrack.models.user import Role


class CollectionState(StrEnum):
    """Where a collection is in its life."""

    SCHEDULED = "scheduled"
    COLLECTED = "collected"
    IN_TRANSIT = "in_transit"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    QUARANTINED = "quarantined"


@dataclass(frozen=True, slots=True)
class CollectionFacts:
    """What the guards need to know about a collection at the moment of a transition."""

    state: CollectionState
    now: datetime
    actor_roles: frozenset[Role]
    collected_at: datetime | None = None


Guard = Callable[[CollectionFacts], list[Reason]]


@dataclass(frozen=True, slots=True)
class Transition:
    """A named move from one of `sources` to `target`, allowed to `roles`, checked by `guard`."""

    name: str
    sources: frozenset[CollectionState]
    target: CollectionState
    roles: frozenset[Role]
    guard: Guard
    label: str


def _basic(facts: CollectionFacts, transition: Transition) -> list[Reason]:
    reasons: list[Reason] = []
    if facts.state not in transition.sources:
        allowed = ", ".join(sorted(s.value.replace("_", " ") for s in transition.sources))
        reasons.append(Reason(
            "collection.wrong_state",
            f"the collection is {facts.state.value.replace('_', ' ')}; it can be {transition.label} only from: "
            f"{allowed}",
        ))
    if not facts.actor_roles & transition.roles:
        needed = ", ".join(sorted(r.value for r in transition.roles))
        reasons.append(Reason("actor.role", f"to mark a collection {transition.label} you need: {needed}"))
    return reasons


def guard_collect(facts: CollectionFacts) -> list[Reason]:
    """Record the aspirate as collected: a scheduled collection, by a collector or investigator."""
    return _basic(facts, COLLECT)


def guard_dispatch(facts: CollectionFacts) -> list[Reason]:
    """Hand the bag to transport: a collected collection with a recorded collection time."""
    reasons = _basic(facts, DISPATCH)
    if facts.collected_at is None:
        reasons.append(Reason("collection.no_time", "the collection time is not recorded"))
    return reasons


def guard_accept(facts: CollectionFacts) -> list[Reason]:
    """Accept at the lab: a bag in transit (or quarantined, by QA decision), by an operator or QA."""
    return _basic(facts, ACCEPT)


def guard_reject(facts: CollectionFacts) -> list[Reason]:
    """Reject at the lab: a bag in transit or quarantined."""
    return _basic(facts, REJECT)


def guard_quarantine(facts: CollectionFacts) -> list[Reason]:
    """Quarantine at the lab: a bag in transit whose acceptance needs a QA decision."""
    return _basic(facts, QUARANTINE)


_LAB = frozenset({Role.OPERATOR, Role.QA})
COLLECT = Transition("collect", frozenset({CollectionState.SCHEDULED}), CollectionState.COLLECTED,
                     frozenset({Role.COLLECTOR, Role.INVESTIGATOR}), guard_collect, "collected")
DISPATCH = Transition("dispatch", frozenset({CollectionState.COLLECTED}), CollectionState.IN_TRANSIT,
                      frozenset({Role.COLLECTOR, Role.COURIER}), guard_dispatch, "in transit")
ACCEPT = Transition("accept", frozenset({CollectionState.IN_TRANSIT, CollectionState.QUARANTINED}),
                    CollectionState.ACCEPTED, _LAB, guard_accept, "accepted")
REJECT = Transition("reject", frozenset({CollectionState.IN_TRANSIT, CollectionState.QUARANTINED}),
                    CollectionState.REJECTED, _LAB, guard_reject, "rejected")
QUARANTINE = Transition("quarantine", frozenset({CollectionState.IN_TRANSIT}), CollectionState.QUARANTINED,
                        _LAB, guard_quarantine, "quarantined")

TRANSITIONS: dict[str, Transition] = {t.name: t for t in (COLLECT, DISPATCH, ACCEPT, REJECT, QUARANTINE)}
