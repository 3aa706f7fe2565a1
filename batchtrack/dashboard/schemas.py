"""Response shapes for the dashboard's alerts that are not about a lot, and for search."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class LockoutPublic(BaseModel):
    """An account locked out after too many failed sign-ins or signatures (they count together)."""

    seq: int  # the `auth.locked` audit entry
    locked_at: datetime
    username: str
    full_name: str
    after: str  # what failed last: auth.login_failed or signature.failed
    locked_now: bool
    locked_until: datetime | None  # while it is the account's newest lockout


class SearchHit(BaseModel):
    """Where a search leads: a lot (key: its DIN), a therapy (its COI identifier), a subject (its code), or the
    subjects a name matches (the name as typed); `page` is the page that shows it."""

    kind: str
    key: str
    page: str
