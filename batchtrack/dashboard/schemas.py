"""Response shapes for the dashboard's alerts that are not about a lot."""

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
