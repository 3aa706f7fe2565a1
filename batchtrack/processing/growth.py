"""Population doublings of the culture (pure): PD = log2(harvested / seeded), summed over passages (CPD).

Only counts marked `growth` in the definition enter: the isolation step seeds nucleated marrow cells, of
which only a fraction are MSC, so doublings are counted from the first passage's seeding onwards.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class GrowthCounts:
    """The growth counts of one step in plan order: cells harvested from the previous seeding, cells seeded."""

    step_code: str
    at: datetime
    harvested: float | None
    seeded: float | None


@dataclass(frozen=True, slots=True)
class GrowthPoint:
    """Doublings from the previous seeding to this step's harvest, and the running total."""

    step_code: str
    at: datetime
    days: float
    population_doublings: float
    cumulative_doublings: float
    doubling_time_hours: float | None


def population_doublings(seeded: float, harvested: float) -> float:
    """log2(harvested / seeded); both counts must be positive."""
    if seeded <= 0 or harvested <= 0:
        raise ValueError("cell counts must be positive to compute population doublings")
    return math.log2(harvested / seeded)


def doubling_time_hours(hours: float, doublings: float) -> float | None:
    """Hours per doubling; None when the cells did not double (no meaningful doubling time)."""
    if doublings <= 0 or hours <= 0:
        return None
    return hours / doublings


def curve(counts: list[GrowthCounts], origin: datetime) -> list[GrowthPoint]:
    """The growth curve: one point per step that harvested cells seeded at an earlier step (days from origin)."""
    points: list[GrowthPoint] = []
    cumulative = 0.0
    seeded: tuple[float, datetime] | None = None
    for entry in counts:
        if entry.harvested is not None and seeded is not None and entry.harvested > 0 and seeded[0] > 0:
            doublings = population_doublings(seeded[0], entry.harvested)
            cumulative += doublings
            hours = (entry.at - seeded[1]).total_seconds() / 3600
            points.append(GrowthPoint(
                step_code=entry.step_code, at=entry.at, days=(entry.at - origin).total_seconds() / 86400,
                population_doublings=doublings, cumulative_doublings=cumulative,
                doubling_time_hours=doubling_time_hours(hours, doublings),
            ))
        if entry.seeded is not None:
            seeded = (entry.seeded, entry.at)
    return points
