"""The therapy's states, and the pure rule of what a closed therapy no longer takes.

A therapy opens when a signed assessment finds its recipient eligible, and completes when every final product bag
of its lot is infused or destroyed (batchtrack.bedside.infusions). A closed course is never reopened: a further
course of treatment is a new therapy, with a new COI identifier.
"""

from __future__ import annotations

from enum import StrEnum

from batchtrack.errors import Reason
from batchtrack.i18n.text import _


class TherapyState(StrEnum):
    """Where a therapy is in its life."""

    OPEN = "open"
    COMPLETED = "completed"


def collection_refusals(*, coi: str, state: str) -> list[Reason]:
    """A collection may be scheduled or recorded only for an open therapy (any other state closes it)."""
    if state == TherapyState.OPEN:
        return []
    if state == TherapyState.COMPLETED:
        return [Reason("therapy.completed", _(
            "therapy {coi} is completed (its product was infused): it takes no further collection; a new course of "
            "treatment is a new therapy", coi=coi))]
    return [Reason("therapy.closed", _("therapy {coi} is {state}: it takes no collection", coi=coi,
                                       state=state.replace("_", " ")))]
