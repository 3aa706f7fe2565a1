"""What a scan is, said in words, where the station expects nothing it could be approved against (pure).

A station set up with no lot, therapy or container kind checks nothing: a scan there is not a PROCEED, which would
read as "this is the right one". It is identified instead: "therapy CH… completed on 2026-12-08 KST", "final product
W… (container 7) of lot W…, released". The codes say what kind of thing was found, the same in every language.
"""

from __future__ import annotations

from datetime import datetime, tzinfo

from batchtrack.collections.workflow import STATE_NAMES as COLLECTION_STATES
from batchtrack.errors import Reason
from batchtrack.i18n.text import Text, _
from batchtrack.lots import state_names
from batchtrack.scanning.expectations import (
    Resolved,
    ResolvedCollection,
    ResolvedContainer,
    ResolvedTherapy,
    StationExpectation,
    describe,
)

THERAPY_OPEN = "open"
THERAPY_COMPLETED = "completed"  # as therapies.workflow.TherapyState spells it


def expects_nothing(expectation: StationExpectation) -> bool:
    """Whether the station checks a scan against nothing: no lot, therapy or container kind is expected."""
    return (expectation.lot_id is None and expectation.lot_din is None and expectation.therapy_coi is None
            and expectation.container_kinds is None)


def _words(state: str) -> Text:
    # A state code without a name here is shown as its words (never looked up in a catalog).
    return Text(state.replace("_", " ").replace("{", "{{").replace("}", "}}"))


def _day(moment: datetime, zone: tzinfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %Z")


def _therapy(therapy: ResolvedTherapy, zone: tzinfo) -> Reason:
    if therapy.state == THERAPY_COMPLETED and therapy.completed_at is not None:
        message = _("therapy {coi}, completed on {day}: its product was infused",
                    coi=therapy.coi, day=_day(therapy.completed_at, zone))
    elif therapy.state == THERAPY_COMPLETED:
        message = _("therapy {coi}, completed: its product was infused", coi=therapy.coi)
    elif therapy.state == THERAPY_OPEN:
        message = _("therapy {coi}, open", coi=therapy.coi)
    else:
        message = _("therapy {coi}, {state}", coi=therapy.coi, state=_words(therapy.state))
    return Reason("scan.identified.therapy", message)


def _container(container: ResolvedContainer) -> Reason:
    thing = describe(container)
    if container.lot_din is not None:
        state = state_names.lot_state(container.lot_state) if container.lot_state else None
        message = (_("{thing} of lot {lot}, {state}", thing=thing, lot=container.lot_din, state=state)
                   if state is not None else _("{thing} of lot {lot}", thing=thing, lot=container.lot_din))
    elif container.therapy_coi is not None:
        message = _("{thing} of therapy {coi}, in no lot yet", thing=thing, coi=container.therapy_coi)
    else:
        message = _("{thing}, in no lot", thing=thing)
    return Reason("scan.identified.container", message)


def _collection(collection: ResolvedCollection) -> Reason:
    state = COLLECTION_STATES.get(collection.state) or _words(collection.state)  # type: ignore[call-overload]
    if collection.lot_din is not None:
        message = _("collection {din} of therapy {coi}, {state}; lot {lot} is made from it",
                    din=collection.din, coi=collection.therapy_coi, state=state, lot=collection.lot_din)
    else:
        message = _("collection {din} of therapy {coi}, {state}", din=collection.din, coi=collection.therapy_coi,
                    state=state)
    return Reason("scan.identified.collection", message)


def identify(resolved: Resolved, *, zone: tzinfo) -> Reason:
    """What the scan names, in words (its code says what kind of record it is); times are named in `zone`."""
    if isinstance(resolved, ResolvedTherapy):
        return _therapy(resolved, zone)
    if isinstance(resolved, ResolvedCollection):
        return _collection(resolved)
    return _container(resolved)
