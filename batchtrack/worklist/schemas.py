"""The worklist as the API answers it: in English, times in UTC, with the site's time zone named."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, tzinfo

from pydantic import BaseModel

from batchtrack.i18n.text import English
from batchtrack.worklist import rules
from batchtrack.worklist.service import Worklist


class ItemPublic(BaseModel):
    """One thing to do, where it is done, and by when."""

    kind: str
    about: str  # the DIN, deviation number, material or instrument code the item is about
    title: English
    link: str  # the page where it is done
    due_at: datetime | None  # UTC
    seconds_left: int | None  # negative once overdue
    overdue: bool
    due: English | None  # "due 2026-12-07 19:00 KST (3 h 20 min left)"
    since: datetime | None  # when it became due (a deviation opened, an alert raised)
    reasons: list[English]  # why it cannot be done yet; for a release, the release gate's own reasons


class SectionPublic(BaseModel):
    """One kind of work; `empty` says what will appear in it, `more` that it shows only the first items."""

    kind: str
    title: English
    empty: English
    items: list[ItemPublic]
    more: bool


class WorklistPublic(BaseModel):
    """What is due for the signed-in user's roles, by kind."""

    generated_at: datetime
    zone: str
    roles: list[str]
    sections: list[SectionPublic]


def item_public(item: rules.Item, *, link: str, now: datetime, zone: tzinfo) -> ItemPublic:
    """An item as the API returns it."""
    due = item.due_at
    return ItemPublic(
        kind=item.kind.value, about=item.about, title=item.title, link=link, due_at=due,
        seconds_left=int((due - now).total_seconds()) if due is not None else None,
        overdue=rules.overdue(item, now), due=rules.due_text(due, now, zone) if due is not None else None,
        since=item.since, reasons=list(item.reasons))


def worklist_public(worklist: Worklist, *, roles: list[str], link_of: Callable[[rules.Link], str], zone: tzinfo,
                    zone_name: str) -> WorklistPublic:
    """The worklist as the API returns it; `link_of` turns a link into a path."""
    return WorklistPublic(
        generated_at=worklist.now, zone=zone_name, roles=roles,
        sections=[SectionPublic(kind=s.kind.value, title=rules.TITLES[s.kind], empty=rules.EMPTY[s.kind],
                                items=[item_public(i, link=link_of(i.link), now=worklist.now, zone=zone)
                                       for i in s.items], more=s.more)
                  for s in worklist.sections])
