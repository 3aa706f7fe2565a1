"""Failed sign-ins by client address, which the sign-in throttle counts (see batchtrack/auth/throttle.py).

Kept in the database so that every server process, on every server behind the proxy, counts the same failures;
only the failures of the throttle's window are kept: each new failure forgets some older than that.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from batchtrack.models.base import UTCDateTime, utcnow


class SignInFailure(SQLModel, table=True):
    """One failed sign-in from one client address (as the trusted proxy gave it), and when."""

    __tablename__ = "sign_in_failure"
    __table_args__ = (Index("ix_sign_in_failure_address_failed_at", "client_address", "failed_at"),
                      Index("ix_sign_in_failure_failed_at", "failed_at"))

    id: int | None = Field(default=None, primary_key=True)
    client_address: str = Field(max_length=64)
    failed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
