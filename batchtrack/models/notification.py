"""Notifications by e-mail: who receives which kinds, the events announced, and the outbox of messages to send."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Index, String, Text
from sqlmodel import Field, SQLModel

from batchtrack.models.base import UTCDateTime, utcnow


class NotificationKind(StrEnum):
    """What a notification announces."""

    POSITIVE_STERILITY = "positive_sterility_after_release"
    OUT_OF_SPECIFICATION = "out_of_specification"
    DEVIATION_OPENED = "deviation_opened"
    RECEIPT_WINDOW = "receipt_window_closing"
    ACCOUNT_LOCKED = "account_locked"


class DeliveryStatus(StrEnum):
    """Where a message stands: waiting (first try or a retry), delivered, or given up after its last attempt."""

    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


class NotificationSubscription(SQLModel, table=True):
    """A user's own choice of what they are told by e-mail, and where; without a row, their roles' defaults and
    no address (so nothing is sent until they give one)."""

    __tablename__ = "notification_subscription"

    user_id: int = Field(foreign_key="app_user.id", primary_key=True, ondelete="RESTRICT")
    email: str = Field(default="", max_length=254)
    # Kind values, comma-separated in sorted order.
    kinds: str = Field(default="", max_length=400)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class NotificationEvent(SQLModel, table=True):
    """One thing announced. `key` names an event that must be announced once only (a receipt window)."""

    __tablename__ = "notification_event"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=40)
    key: str | None = Field(default=None, sa_column=Column(String(200), unique=True, nullable=True))
    entity: str = Field(default="", max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class NotificationMessage(SQLModel, table=True):
    """One e-mail to one person, written in the transaction of the change it announces (the outbox).

    `facts` (JSON) are what that recipient may read: a recipient whose roles may not see patient identity gets
    facts without it. The text is written at delivery, in the recipient's language.
    """

    __tablename__ = "notification_message"
    __table_args__ = (Index("ix_notification_message_status_due", "status", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="notification_event.id", index=True, ondelete="RESTRICT")
    user_id: int = Field(foreign_key="app_user.id", index=True, ondelete="RESTRICT")
    address: str = Field(max_length=254)
    kind: str = Field(max_length=40)
    facts: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(default=DeliveryStatus.PENDING, max_length=16)
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_error: str = Field(default="", sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    delivered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
