"""What is due for a person, from loaded facts and the time now (pure).

Each kind of work has its facts (what the service loaded, with the protocol's limits and the specification's
test times as they are recorded) and a rule that makes the items: what is due, by when, and why it cannot be done
yet. Deadlines come from the same limits the gates enforce; the unmet conditions of a release are the release
gate's own reasons. Items never name a patient: they carry COI identifiers, DINs and codes only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from enum import StrEnum

from batchtrack.i18n import moments
from batchtrack.i18n.data_files import data_words
from batchtrack.i18n.text import Text, _
from batchtrack.lots import state_names
from batchtrack.models.user import Role
from batchtrack.release import gate as release_gate

# How far ahead an expiry or a calibration is shown as coming: when to look, not a limit of the chain (the gates
# refuse only at the moment itself).
LOT_EXPIRY_NOTICE = timedelta(hours=72)
MATERIAL_EXPIRY_NOTICE = timedelta(days=30)
CALIBRATION_NOTICE = timedelta(days=14)


class Kind(StrEnum):
    """The kinds of work a list can hold, in the order a list shows its sections."""

    CLINIC_ALERT = "clinic_alert"
    COLLECTION_SCHEDULED = "collection_scheduled"
    BAG_IN_TRANSIT = "bag_in_transit"
    PROCESSING_DUE = "processing_due"
    STEP_OPEN = "step_open"
    QC_RESULTS_DUE = "qc_results_due"
    RELEASE_AWAITING = "release_awaiting"
    DEVIATION_OPEN = "deviation_open"
    LABELS_TO_RECONCILE = "labels_to_reconcile"
    INFUSION_PLANNED = "infusion_planned"
    LOT_EXPIRING = "lot_expiring"
    MATERIAL_EXPIRING = "material_expiring"
    CALIBRATION_DUE = "calibration_due"


# Which kinds each role works on (DESIGN.md section 1): the clinic its alerts and infusions, the collector the
# collections scheduled and the bags, the courier the bags, the lab its receipts, steps, labels, materials and
# instruments, QC its results, QA the release and what holds it.
KINDS_BY_ROLE: dict[Role, frozenset[Kind]] = {
    Role.INVESTIGATOR: frozenset({Kind.CLINIC_ALERT, Kind.INFUSION_PLANNED}),
    Role.NURSE: frozenset({Kind.CLINIC_ALERT, Kind.INFUSION_PLANNED}),
    Role.COLLECTOR: frozenset({Kind.COLLECTION_SCHEDULED, Kind.BAG_IN_TRANSIT}),
    Role.COURIER: frozenset({Kind.BAG_IN_TRANSIT}),
    Role.OPERATOR: frozenset({Kind.BAG_IN_TRANSIT, Kind.PROCESSING_DUE, Kind.STEP_OPEN, Kind.LABELS_TO_RECONCILE,
                              Kind.LOT_EXPIRING, Kind.MATERIAL_EXPIRING, Kind.CALIBRATION_DUE}),
    Role.QC_ANALYST: frozenset({Kind.QC_RESULTS_DUE}),
    Role.QA: frozenset({Kind.CLINIC_ALERT, Kind.QC_RESULTS_DUE, Kind.RELEASE_AWAITING, Kind.DEVIATION_OPEN,
                        Kind.LABELS_TO_RECONCILE, Kind.LOT_EXPIRING, Kind.MATERIAL_EXPIRING, Kind.CALIBRATION_DUE}),
    Role.MEDICAL_DIRECTOR: frozenset({Kind.CLINIC_ALERT, Kind.RELEASE_AWAITING}),
    Role.ADMIN: frozenset({Kind.CALIBRATION_DUE}),
}

TITLES: dict[Kind, Text] = {
    Kind.CLINIC_ALERT: _("Alerts to the clinic"),
    Kind.COLLECTION_SCHEDULED: _("Collections scheduled"),
    Kind.BAG_IN_TRANSIT: _("Bags in transit"),
    Kind.PROCESSING_DUE: _("Aspirates waiting for processing"),
    Kind.STEP_OPEN: _("Steps open at workstations"),
    Kind.QC_RESULTS_DUE: _("QC results due"),
    Kind.RELEASE_AWAITING: _("Lots awaiting release"),
    Kind.DEVIATION_OPEN: _("Open deviations"),
    Kind.LABELS_TO_RECONCILE: _("Labels to reconcile"),
    Kind.INFUSION_PLANNED: _("Infusions planned"),
    Kind.LOT_EXPIRING: _("Lots about to expire"),
    Kind.MATERIAL_EXPIRING: _("Materials about to expire"),
    Kind.CALIBRATION_DUE: _("Calibrations due"),
}

# What an empty section says will appear in it.
EMPTY: dict[Kind, Text] = {
    Kind.CLINIC_ALERT: _("No alert is waiting. A positive sterility result after release will appear here."),
    Kind.COLLECTION_SCHEDULED: _("No collection is scheduled. A collection appears here once scheduled for a "
                                 "therapy, until its aspirate is recorded."),
    Kind.BAG_IN_TRANSIT: _("No bag is on its way. A bag appears here once it is collected, with the time left "
                           "to receive it."),
    Kind.PROCESSING_DUE: _("No accepted aspirate is waiting. One appears here once received, with the time left "
                           "to start its processing."),
    Kind.STEP_OPEN: _("No step is open. A step started at a workstation appears here until it is verified."),
    Kind.QC_RESULTS_DUE: _("No result is due. A lot appears here once it is submitted to QC, with its tests "
                           "still without a final result."),
    Kind.RELEASE_AWAITING: _("No lot awaits release. A lot in QC appears here with the conditions it still "
                             "misses."),
    Kind.DEVIATION_OPEN: _("No deviation is open. Open deviations appear here, the oldest first."),
    Kind.LABELS_TO_RECONCILE: _("Every printed label is accounted for. A lot appears here while a label is not "
                                "applied, voided or destroyed, or not verified by a scan."),
    Kind.INFUSION_PLANNED: _("No product is waiting for infusion. A released lot appears here until it is "
                             "infused, with its expiry."),
    Kind.LOT_EXPIRING: _("No open lot expires in the next {hours} hours.",
                         hours=int(LOT_EXPIRY_NOTICE.total_seconds() // 3600)),
    Kind.MATERIAL_EXPIRING: _("No material lot expires in the next {days} days.", days=MATERIAL_EXPIRY_NOTICE.days),
    Kind.CALIBRATION_DUE: _("No instrument is due for calibration in the next {days} days.",
                            days=CALIBRATION_NOTICE.days),
}


@dataclass(frozen=True, slots=True)
class Link:
    """The page where an item is done: a page's route name, its path parameters and its query."""

    page: str
    params: tuple[tuple[str, str], ...] = ()
    query: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Item:
    """One thing to do: about what (`about`: a DIN, a deviation number, a material or instrument code), by when,
    and why it cannot be done yet."""

    kind: Kind
    about: str
    title: Text
    link: Link
    due_at: datetime | None = None
    reasons: tuple[Text, ...] = ()
    since: datetime | None = None  # when the work became due (a deviation's opening, an alert's raising)


def kinds_for(roles: Iterable[Role]) -> list[Kind]:
    """The kinds of work the roles see, in the order of `Kind`."""
    seen: set[Kind] = set()
    for role in roles:
        seen |= KINDS_BY_ROLE.get(role, frozenset())
    return [kind for kind in Kind if kind in seen]


def span(delta: timedelta) -> Text:
    """A length of time as people read it on a list: days and hours, hours and minutes, or minutes."""
    minutes = int(abs(delta).total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return _("{days} d {hours} h", days=days, hours=hours)
    if hours:
        return _("{hours} h {minutes} min", hours=hours, minutes=minutes)
    return _("{minutes} min", minutes=minutes)


def countdown(due_at: datetime, now: datetime) -> Text:
    """The time left until `due_at`, or how long ago it passed."""
    if due_at > now:
        return _("{span} left", span=span(due_at - now))
    return _("overdue by {span}", span=span(now - due_at))


def due_text(due_at: datetime, now: datetime, zone: tzinfo) -> Text:
    """When an item is due, in the site's time with its zone, and the countdown."""
    return _("due {at} ({countdown})", at=moments.minute(due_at, zone), countdown=countdown(due_at, now))


def overdue(item: Item, now: datetime) -> bool:
    """True once an item's due time has passed."""
    return item.due_at is not None and item.due_at <= now


def ordered(items: Iterable[Item]) -> list[Item]:
    """The items of a section, what is due soonest (or overdue) first, then those without a due time, oldest
    first."""
    far = datetime.max.replace(tzinfo=None)

    def key(item: Item) -> tuple[int, datetime, datetime, str]:
        due = item.due_at.replace(tzinfo=None) if item.due_at is not None else far
        since = item.since.replace(tzinfo=None) if item.since is not None else far
        return (0 if item.due_at is not None else 1, due, since, item.about)

    return sorted(items, key=key)


# --- Collections scheduled: due at the time they are planned for.

@dataclass(frozen=True, slots=True)
class ScheduledCollectionFacts:
    """A collection scheduled and not yet recorded, and the time it is planned for."""

    din: str
    coi: str
    scheduled_for: datetime | None
    created_at: datetime


def collection_items(collections: Sequence[ScheduledCollectionFacts]) -> list[Item]:
    """Each scheduled collection, due at its planned time, linked to its page where the aspirate is recorded."""
    return [Item(Kind.COLLECTION_SCHEDULED, c.din,
                 _("Collect aspirate {din} (therapy {coi})", din=c.din, coi=c.coi),
                 Link("collection_page", (("din", c.din),)), c.scheduled_for,
                 () if c.scheduled_for is not None else (_("no collection time is planned"),), c.created_at)
            for c in collections]


# --- Bags in transit: the receipt window is the protocol's limit from collection to receipt.

@dataclass(frozen=True, slots=True)
class BagFacts:
    """A collected aspirate bag not yet received, with its protocol's limit from collection to receipt."""

    din: str
    coi: str
    collected_at: datetime | None
    max_hours_to_receipt: float


# Who receives bags at the lab's receiving station (its page allows them alone); the others who carry a bag hand it
# over on the collection's page.
RECEIVERS = frozenset({Role.OPERATOR, Role.QA})


def bag_items(bags: Sequence[BagFacts], *, receives: bool) -> list[Item]:
    """Each bag on its way, due at the end of its receipt window; for those who receive bags, linked to the
    receiving station expecting it, for those who carry it, to its collection's page."""
    items = []
    for bag in bags:
        due = (bag.collected_at + timedelta(hours=bag.max_hours_to_receipt)
               if bag.collected_at is not None else None)
        reasons = () if due is not None else (_("the collection time is not recorded"),)
        if receives:
            title = _("Receive aspirate bag {din} (therapy {coi})", din=bag.din, coi=bag.coi)
            link = Link("receiving", query=(("expected", bag.din),))
        else:
            title = _("Hand over aspirate bag {din} (therapy {coi}) to the lab", din=bag.din, coi=bag.coi)
            link = Link("collection_page", (("din", bag.din),))
        items.append(Item(Kind.BAG_IN_TRANSIT, bag.din, title, link, due, reasons, bag.collected_at))
    return items


# --- Aspirates accepted and waiting for their first step: the protocol's limit from collection to processing.

@dataclass(frozen=True, slots=True)
class WaitingLotFacts:
    """A lot in process with no step started yet, the earliest collection time of its aspirates and the limit."""

    din: str
    collected_at: datetime | None
    max_hours_to_processing: float


def processing_items(lots: Sequence[WaitingLotFacts]) -> list[Item]:
    """Each accepted aspirate whose processing has not started, due at the protocol's limit from collection."""
    return [Item(Kind.PROCESSING_DUE, lot.din, _("Start processing lot {din}", din=lot.din),
                 Link("processing_start"),
                 lot.collected_at + timedelta(hours=lot.max_hours_to_processing)
                 if lot.collected_at is not None else None,
                 () if lot.collected_at is not None else (_("the collection time is not recorded"),),
                 lot.collected_at)
            for lot in lots]


# --- Steps open at workstations.

IN_PROGRESS = "in_progress"  # spelled as models.processing.StepState


@dataclass(frozen=True, slots=True)
class OpenStepFacts:
    """A step started and not yet verified."""

    lot_din: str
    title: str
    station: str
    state: str  # in_progress or completed (awaiting the second person's verification)
    started_at: datetime


def step_items(steps: Sequence[OpenStepFacts]) -> list[Item]:
    """Each step to complete, or to verify by a second person, at its workstation."""
    items = []
    for step in steps:
        if step.state == IN_PROGRESS:
            title = _("Complete {step} of lot {din} at {station}", step=data_words(step.title), din=step.lot_din,
                      station=step.station)
        else:
            title = _("Verify {step} of lot {din} at {station} (a second person)", step=data_words(step.title),
                      din=step.lot_din, station=step.station)
        items.append(Item(Kind.STEP_OPEN, step.lot_din, title, Link("workstation", (("station", step.station),)),
                          since=step.started_at))
    return items


# --- QC results due: every test of the lot's specification without a final result; a test read over days (the
# day-14 sterility) is due its specification's number of days after the day 0 its preliminary readings count from.

@dataclass(frozen=True, slots=True)
class TestDue:
    """One test of a lot's specification and its result in force."""

    code: str
    title: str
    stage: str
    final_after_days: int | None
    status: str | None  # None: no result; preliminary; final
    day: int | None  # the day the preliminary result in force was read
    entered_at: datetime | None
    conforms: bool | None = None


@dataclass(frozen=True, slots=True)
class QcLotFacts:
    """A lot in QC, or released pending sterility, with its tests."""

    din: str
    state: str
    tests: tuple[TestDue, ...]


POST_RELEASE = "post_release"


def final_due(test: TestDue) -> datetime | None:
    """When a test read over days gives its final result: its specification's days after the day 0 of its
    preliminary reading."""
    if test.final_after_days is None or test.day is None or test.entered_at is None:
        return None
    return test.entered_at + timedelta(days=test.final_after_days - test.day)


def qc_items(lots: Sequence[QcLotFacts], zone: tzinfo, now: datetime) -> list[Item]:
    """Each lot with tests still without a final result (after release, its post-release tests only)."""
    items = []
    for lot in lots:
        released = lot.state != release_gate.IN_QC
        due_tests = [t for t in lot.tests if t.status != release_gate.FINAL
                     and (not released or t.stage == POST_RELEASE)]
        if not due_tests:
            continue
        reasons: list[Text] = []
        dues: list[datetime] = []
        for test in due_tests:
            due = final_due(test)
            if due is not None:
                dues.append(due)
                reasons.append(_("{test}: preliminary at day {day}; final result {due}", test=data_words(test.title),
                                 day=test.day, due=due_text(due, now, zone)))
            elif test.status == release_gate.PRELIMINARY:
                reasons.append(_("{test}: only a preliminary result", test=data_words(test.title)))
            else:
                reasons.append(_("{test}: no result", test=data_words(test.title)))
        items.append(Item(Kind.QC_RESULTS_DUE, lot.din,
                          _("Lot {din}: {count} result(s) due", din=lot.din, count=len(due_tests)),
                          Link("lot_qc_page", (("din", lot.din),)), min(dues) if dues else None, tuple(reasons)))
    return items


# --- Lots awaiting release, with the release gate's own reasons.

def release_items(candidates: Sequence[release_gate.ReleaseFacts]) -> list[Item]:
    """Each lot in QC with every condition a full release by the viewer still misses (the gate's own reasons, but
    the one that only QA releases: a medical director reads the list too), due at the lot's expiry."""
    items = []
    for facts in candidates:
        reasons = tuple(r.text for r in release_gate.release_refusals(facts) if r.code != "actor.role")
        title = (_("Lot {din}: {count} condition(s) of release unmet", din=facts.lot_din, count=len(reasons))
                 if reasons else _("Lot {din} is ready for QA's release decision", din=facts.lot_din))
        items.append(Item(Kind.RELEASE_AWAITING, facts.lot_din, title, Link("release_page", (("din", facts.lot_din),)),
                          facts.expires_at, reasons))
    return items


# --- Open deviations, by age.

@dataclass(frozen=True, slots=True)
class DeviationFacts:
    """An open deviation."""

    number: str
    lot_din: str
    opened_at: datetime
    description: str


def deviation_items(deviations: Sequence[DeviationFacts], now: datetime) -> list[Item]:
    """Each open deviation with how long it has been open; the lot stays on hold until QA closes it."""
    return [Item(Kind.DEVIATION_OPEN, d.number,
                 _("Deviation {number} on lot {din}, open for {age}", number=d.number, din=d.lot_din,
                   age=span(now - d.opened_at)),
                 Link("deviation_page", (("number", d.number),)), reasons=(_unmarked(d.description[:200]),),
                 since=d.opened_at)
            for d in deviations]


def _unmarked(text: str) -> Text:
    # What a person wrote is shown as written, in every language.
    return Text(text.replace("{", "{{").replace("}", "}}"))


# --- Labels to reconcile: printed = applied + voided + destroyed, each applied label verified by a scan.

@dataclass(frozen=True, slots=True)
class LabelFacts:
    """A lot's labels still printed (not applied, voided or destroyed) and applied without a verifying scan."""

    lot_din: str
    outstanding: int
    unverified: int


def label_items(lots: Sequence[LabelFacts]) -> list[Item]:
    """Each lot whose labels are not all accounted for and verified."""
    items = []
    for lot in lots:
        reasons = []
        if lot.outstanding:
            reasons.append(_("{count} printed label(s) not accounted for as applied, voided or destroyed",
                             count=lot.outstanding))
        if lot.unverified:
            reasons.append(_("{count} applied label(s) not verified by a scan", count=lot.unverified))
        if reasons:
            items.append(Item(Kind.LABELS_TO_RECONCILE, lot.lot_din, _("Reconcile the labels of lot {din}",
                                                                       din=lot.lot_din),
                              Link("lot_labels_page", (("din", lot.lot_din),)), reasons=tuple(reasons)))
    return items


# --- Expiry: lots and materials; calibrations.

@dataclass(frozen=True, slots=True)
class ExpiringLotFacts:
    """A lot not yet infused, rejected, expired or destroyed, and its expiry."""

    din: str
    state: str
    expires_at: datetime


def lot_expiry_items(lots: Sequence[ExpiringLotFacts]) -> list[Item]:
    """Each lot whose expiry is within the notice (or passed while it is still open)."""
    return [Item(Kind.LOT_EXPIRING, lot.din, _("Lot {din} ({state}) expires", din=lot.din,
                                               state=state_names.lot_state(lot.state)),
                 Link("lot_page", (("din", lot.din),)), lot.expires_at)
            for lot in lots]


@dataclass(frozen=True, slots=True)
class MaterialFacts:
    """A material lot in quarantine or released, and its expiry."""

    code: str
    description: str
    status: str
    expires_at: datetime


def material_items(materials: Sequence[MaterialFacts]) -> list[Item]:
    """Each material lot whose expiry is within the notice: from then on it is refused at the station."""
    return [Item(Kind.MATERIAL_EXPIRING, m.code, _("Material {code} ({description}) expires", code=m.code,
                                                   description=m.description),
                 Link("material_page", (("code", m.code),)), m.expires_at)
            for m in materials]


@dataclass(frozen=True, slots=True)
class InstrumentFacts:
    """An instrument in service and its calibration due time."""

    code: str
    description: str
    calibration_due: datetime


def calibration_items(instruments: Sequence[InstrumentFacts]) -> list[Item]:
    """Each instrument whose calibration is due within the notice: from its due time it is refused at steps."""
    return [Item(Kind.CALIBRATION_DUE, i.code, _("Calibrate {code} ({description})", code=i.code,
                                                 description=i.description),
                 Link("equipment_page", (("code", i.code),)), i.calibration_due)
            for i in instruments]


# --- The clinic: alerts and infusions planned.

@dataclass(frozen=True, slots=True)
class AlertFacts:
    """An alert to the clinic not yet acknowledged."""

    lot_din: str
    kind: str
    message: str
    raised_at: datetime


# The kinds of alert, as people read them (spelled as quality.results.ALERT_KIND; the tests check).
ALERT_KINDS: dict[str, Text] = {
    "post_release_sterility_positive": _("a positive sterility result after release"),
}


def alert_items(alerts: Sequence[AlertFacts]) -> list[Item]:
    """Each alert to acknowledge, the oldest first."""
    return [Item(Kind.CLINIC_ALERT, a.lot_din, _("Alert on lot {din}: {kind}", din=a.lot_din,
                                                 kind=ALERT_KINDS.get(a.kind) or _unmarked(a.kind.replace("_", " "))),
                 Link("alerts_page"), reasons=(_unmarked(a.message[:300]),), since=a.raised_at)
            for a in alerts]


@dataclass(frozen=True, slots=True)
class InfusionFacts:
    """A released lot not yet infused: its therapy, state, product bags in use and expiry."""

    lot_din: str
    coi: str
    state: str
    bags: int
    expires_at: datetime | None


def infusion_items(lots: Sequence[InfusionFacts]) -> list[Item]:
    """Each released product to infuse before it expires (the bedside refuses it from its expiry on)."""
    items = []
    for lot in lots:
        reasons: tuple[Text, ...] = ()
        if lot.state == "released_pending_sterility":
            reasons = (_("released pending sterility: the bedside asks to acknowledge it"),)
        items.append(Item(Kind.INFUSION_PLANNED, lot.lot_din,
                          _("Infuse lot {din} (therapy {coi}, {bags} bag(s), {state})", din=lot.lot_din,
                            coi=lot.coi, bags=lot.bags, state=state_names.lot_state(lot.state)),
                          Link("bedside_page"), lot.expires_at, reasons))
    return items
