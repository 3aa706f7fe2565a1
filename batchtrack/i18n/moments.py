"""A moment as people read it in a message: in the site's zone, to the minute, with the zone named; and the site's
calendar day at a moment, by which the dates people write are judged (pure)."""

from __future__ import annotations

from datetime import date, datetime, tzinfo


def minute(moment: datetime, zone: tzinfo) -> str:
    """`moment` in `zone`, to the minute, with the zone: "2026-12-08 12:02 KST"."""
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")


def day(moment: datetime, zone: tzinfo) -> date:
    """The calendar date at `moment` in `zone`: in Seoul, 2026-12-08 from 15:00 UTC on the 7th."""
    return moment.astimezone(zone).date()
