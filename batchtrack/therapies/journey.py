"""A therapy's journey from vein to vein (pure): its milestones with the time each took against the protocol's
limits, the temperatures at its hand-overs, and the lot's growth against the range of the product's earlier lots.

The facts come from rows the caller loaded (`JourneyRows`); nothing here reads the database or the clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from statistics import fmean

from batchtrack.i18n.text import Text, _
from batchtrack.protocols.definition import Limits

HOUR = 3600.0
DAY = 24 * HOUR


@dataclass(frozen=True)
class StepRow:
    """A processing step of the lot: its code in the plan (`passage_2`), its type and when it ran."""

    code: str
    type: str
    title: str
    started_at: datetime
    completed_at: datetime | None


@dataclass(frozen=True)
class CountRow:
    """A current (uncorrected or corrected) cell count recorded at a step: the step's code and its start, and
    when the lot's processing started (its first step)."""

    step_code: str
    step_started_at: datetime
    cells: float
    processing_started_at: datetime


@dataclass(frozen=True)
class HandOverRow:
    """A hand-over of one of the therapy's containers, with the temperature measured, if any."""

    at: datetime
    location: str
    temperature_c: float | None


@dataclass(frozen=True)
class JourneyRows:
    """What the journey is built from, as loaded for one therapy and its (first) lot."""

    limits: Limits
    enrolled_at: datetime | None = None
    eligibility_at: datetime | None = None
    eligible: bool | None = None
    collected_at: datetime | None = None
    received_at: datetime | None = None
    receipt_temperature_c: float | None = None
    steps: Sequence[StepRow] = ()
    # The lot's transitions by name (harvest, formulate, submit_to_qc, release, ship, ...), first time each.
    transitions: dict[str, datetime] = field(default_factory=dict)
    # QA's signed release decision (released, or released pending sterility), the first one.
    released_at: datetime | None = None
    expires_at: datetime | None = None
    hand_overs: Sequence[HandOverRow] = ()
    bedside_checked_at: datetime | None = None
    infused_at: datetime | None = None
    counts: Sequence[CountRow] = ()
    # The cell counts of the same product's earlier lots, one sequence per lot.
    earlier_counts: Sequence[Sequence[CountRow]] = ()


@dataclass(frozen=True)
class Milestone:
    """One milestone: when it happened (None: not yet), the hours since the previous one reached, and, where the
    protocol sets one, the limit it is judged against and whether it was kept."""

    key: str
    name: Text
    at: datetime | None
    hours_since_previous: float | None = None
    limit_hours: float | None = None
    limit_text: Text | None = None
    within: bool | None = None


@dataclass(frozen=True)
class TemperaturePoint:
    """A measured temperature along the chain, judged against the protocol's transport range."""

    at: datetime
    place: str
    temperature_c: float
    within: bool


@dataclass(frozen=True)
class GrowthPoint:
    """Cells counted at a step, `days` after the lot's processing started."""

    step_code: str
    days: float
    cells: float


@dataclass(frozen=True)
class BandPoint:
    """The range of the earlier lots' counts at one step: the mean day, the lowest and the highest count."""

    step_code: str
    days: float
    low: float
    high: float
    lots: int


@dataclass(frozen=True)
class Journey:
    """The therapy's journey as the page shows it."""

    milestones: tuple[Milestone, ...]
    temperatures: tuple[TemperaturePoint, ...]
    temperature_low_c: float
    temperature_high_c: float
    growth: tuple[GrowthPoint, ...]
    band: tuple[BandPoint, ...]
    earlier_lots: int


def _hours(start: datetime | None, end: datetime | None) -> float | None:
    return None if start is None or end is None else (end - start).total_seconds() / HOUR


def _judged(milestone: Milestone, start: datetime | None, limit: float, text: Text) -> Milestone:
    """The milestone with the hours since `start` judged against `limit`."""
    hours = _hours(start, milestone.at)
    return Milestone(milestone.key, milestone.name, milestone.at, milestone.hours_since_previous, limit, text,
                     None if hours is None else hours <= limit)


def milestones(rows: JourneyRows) -> tuple[Milestone, ...]:
    """The milestones from enrolment to infusion in the chain's order, the limits of the protocol applied where
    it sets them: collection to receipt and to the start of processing; the product's expiry at infusion."""
    limits = rows.limits
    first_step = min(rows.steps, key=lambda s: s.started_at, default=None)
    passages = sorted((s for s in rows.steps if s.type == "passage"), key=lambda s: s.started_at)
    t = rows.transitions
    release = rows.released_at or min((t[k] for k in ("release", "release_pending_sterility") if k in t),
                                      default=None)
    plan: list[tuple[str, Text, datetime | None]] = [
        ("enrolment", _("Enrolment"), rows.enrolled_at),
        ("eligibility", _("Eligibility confirmed") if rows.eligible is not False else _("Found not eligible"),
         rows.eligibility_at),
        ("collection", _("Collection"), rows.collected_at),
        ("receipt", _("Receipt at the lab"), rows.received_at),
        ("processing", _("Processing started"), first_step.started_at if first_step else None),
        *((f"passage-{n}", _("Passage {number}", number=n), p.started_at) for n, p in enumerate(passages, 1)),
        ("harvest", _("Harvest"), t.get("harvest")),
        ("formulation", _("Formulation"), t.get("formulate")),
        ("qc", _("Submitted to QC"), t.get("submit_to_qc")),
        ("release", _("Release"), release),
        ("shipment", _("Shipment"), t.get("ship")),
        ("clinic", _("Receipt at the clinic"), t.get("receive_at_clinic")),
        ("bedside", _("Bedside check passed"), rows.bedside_checked_at),
        ("infusion", _("Infusion"), rows.infused_at),
    ]
    result: list[Milestone] = []
    previous: datetime | None = None
    for key, name, at in plan:
        milestone = Milestone(key, name, at, _hours(previous, at))
        if key == "receipt":
            milestone = _judged(milestone, rows.collected_at, limits.max_hours_collection_to_receipt,
                                _("at most {hours} h after collection",
                                  hours=format(limits.max_hours_collection_to_receipt, "g")))
        elif key == "processing":
            milestone = _judged(milestone, rows.collected_at, limits.max_hours_collection_to_processing,
                                _("at most {hours} h after collection",
                                  hours=format(limits.max_hours_collection_to_processing, "g")))
        elif key == "infusion" and rows.expires_at is not None:
            left = _hours(at, rows.expires_at)
            milestone = Milestone(key, name, at, milestone.hours_since_previous, left,
                                  _("before the product expires"), None if left is None else left >= 0)
        result.append(milestone)
        previous = at or previous
    return tuple(result)


def temperatures(rows: JourneyRows) -> tuple[TemperaturePoint, ...]:
    """The temperatures measured at each hand-over and at receipt (unless a hand-over at that moment already
    gives it), oldest first, each judged against the protocol's transport range."""
    low, high = rows.limits.transport_temperature_min_c, rows.limits.transport_temperature_max_c
    measured = [(h.at, h.location, h.temperature_c) for h in rows.hand_overs if h.temperature_c is not None]
    if (rows.received_at is not None and rows.receipt_temperature_c is not None
            and all(at != rows.received_at for at, _place, _value in measured)):
        measured.append((rows.received_at, str(_("Receipt at the lab")), rows.receipt_temperature_c))
    return tuple(TemperaturePoint(at, place, value, low <= value <= high)
                 for at, place, value in sorted(measured, key=lambda m: m[0]))


def growth(counts: Sequence[CountRow]) -> tuple[GrowthPoint, ...]:
    """Cells counted at each step against days since the lot's processing started."""
    return tuple(GrowthPoint(c.step_code, (c.step_started_at - c.processing_started_at).total_seconds() / DAY,
                             c.cells)
                 for c in sorted(counts, key=lambda c: c.step_started_at))


def band(earlier: Sequence[Sequence[CountRow]]) -> tuple[BandPoint, ...]:
    """The earlier lots' range at each step they counted: the mean day, the lowest and highest count, in the
    order of the mean day."""
    by_step: dict[str, list[GrowthPoint]] = {}
    for lot_counts in earlier:
        for point in growth(lot_counts):
            by_step.setdefault(point.step_code, []).append(point)
    points = [BandPoint(code, fmean(p.days for p in found), min(p.cells for p in found),
                        max(p.cells for p in found), len(found)) for code, found in by_step.items()]
    return tuple(sorted(points, key=lambda b: b.days))


def assemble(rows: JourneyRows) -> Journey:
    """The journey of one therapy from its loaded rows."""
    return Journey(
        milestones=milestones(rows), temperatures=temperatures(rows),
        temperature_low_c=rows.limits.transport_temperature_min_c,
        temperature_high_c=rows.limits.transport_temperature_max_c,
        growth=growth(rows.counts), band=band(rows.earlier_counts),
        earlier_lots=sum(1 for lot_counts in rows.earlier_counts if lot_counts),
    )
