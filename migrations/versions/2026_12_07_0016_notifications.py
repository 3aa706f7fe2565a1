"""notifications: e-mail subscriptions, the events announced, and the outbox of messages

Revision ID: 20261207_0016
Revises: 20261207_0015
Create Date: 2026-12-07 18:00:00

- notification_subscription: a user's address and the kinds they receive (none: their roles' defaults).
- notification_event: one thing announced; `key` unique for what is announced once only (a receipt window).
- notification_message: one e-mail to one person, written with the change it announces, sent after the commit and
  retried until delivered or given up.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261207_0016"
down_revision: str | None = "20261207_0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "notification_subscription",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("kinds", sa.String(length=400), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], name=op.f("fk_notification_subscription_user_id_app_user"),
                                ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_notification_subscription")),
    )
    op.create_table(
        "notification_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=True),
        sa.Column("entity", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_event")),
        sa.UniqueConstraint("key", name=op.f("uq_notification_event_key")),
    )
    op.create_table(
        "notification_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(length=254), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("facts", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["event_id"], ["notification_event.id"],
                                name=op.f("fk_notification_message_event_id_notification_event"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], name=op.f("fk_notification_message_user_id_app_user"),
                                ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_message")),
    )
    op.create_index(op.f("ix_notification_message_event_id"), "notification_message", ["event_id"])
    op.create_index(op.f("ix_notification_message_user_id"), "notification_message", ["user_id"])
    op.create_index(op.f("ix_notification_message_status_due"), "notification_message", ["status", "next_attempt_at"])


def downgrade() -> None:
    op.drop_table("notification_message")
    op.drop_table("notification_event")
    op.drop_table("notification_subscription")
