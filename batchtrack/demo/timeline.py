"""The demonstration's days: several therapies' stories told in the order of their moments, on a recording clock.

A story is a generator: it yields the moment of its next piece of work, and does that work when resumed. The
pieces of every story run in time order, so the audit trail reads as the weeks of a facility would, and every
record and gate reads the moment from the clock (models.base.recording_clock), as it would live.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta, tzinfo

from batchtrack.models.base import utcnow

Story = Iterator[datetime]


class Timeline:
    """A recording clock set to chosen moments, running on from each as the wall clock runs."""

    def __init__(self, zone: tzinfo, *, now: datetime | None = None) -> None:
        self.zone = zone
        self.end = now or utcnow()  # "now" of the demonstration: every moment is before it
        self._moment = datetime.min.replace(tzinfo=UTC)  # not set yet: the first moment set is taken as it is
        self._since = time.perf_counter()

    def __call__(self) -> datetime:
        return self._moment + timedelta(seconds=time.perf_counter() - self._since)

    def set(self, moment: datetime) -> None:
        """Stand at `moment`, or where the clock already is if later: recorded time never runs backwards."""
        self._moment, self._since = max(moment, self()), time.perf_counter()

    def day(self, days_ago: int, hour: int, minute: int = 0) -> datetime:
        """A time of day in the site's zone, `days_ago` days before today there (at least 2, so before any `ago`)."""
        if days_ago < 2:
            raise ValueError("a working day's moment is 2 days ago or earlier; use ago() for the last day")
        local = (self.end.astimezone(self.zone) - timedelta(days=days_ago)).date()
        return datetime(local.year, local.month, local.day, hour, minute, tzinfo=self.zone).astimezone(UTC)

    def ago(self, *, hours: float) -> datetime:
        """`hours` before the demonstration's now."""
        return self.end - timedelta(hours=hours)

    def last_working(self, *, hours_ago: float, hours: tuple[int, ...] = (9, 14)) -> datetime:
        """The latest of the working `hours` in the site's zone at least `hours_ago` before now (within a day)."""
        latest = self.end - timedelta(hours=hours_ago)
        local = latest.astimezone(self.zone)
        candidates = [datetime(day.year, day.month, day.day, hour, tzinfo=self.zone).astimezone(UTC)
                      for day in (local.date(), local.date() - timedelta(days=1)) for hour in hours]
        return max(moment for moment in candidates if moment <= latest)

    def ahead(self, *, days: int, hour: int, minute: int = 0) -> datetime:
        """A time of day in the site's zone `days` days after today there (a plan; nothing is recorded then)."""
        local = (self.end.astimezone(self.zone) + timedelta(days=days)).date()
        return datetime(local.year, local.month, local.day, hour, minute, tzinfo=self.zone).astimezone(UTC)


def tell(stories: Sequence[Story], timeline: Timeline) -> None:
    """Run every story's pieces in the order of their moments (ties in the stories' order), each at its moment."""
    waiting: list[tuple[datetime, int, Story]] = []
    for order, story in enumerate(stories):
        first = next(story, None)
        if first is not None:
            heapq.heappush(waiting, (first, order, story))
    while waiting:
        moment, order, story = heapq.heappop(waiting)
        timeline.set(moment)
        following = next(story, None)
        if following is not None:
            heapq.heappush(waiting, (following, order, story))
