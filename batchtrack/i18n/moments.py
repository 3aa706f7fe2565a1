"""A moment as people read it in a message: in the site's zone, to the minute, with the zone named (pure)."""

from __future__ import annotations

from datetime import datetime, tzinfo


def minute(moment: datetime, zone: tzinfo) -> str:
    """`moment` in `zone`, to the minute, with the zone: "2026-12-08 12:02 KST"."""
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")
