"""sessions held by the server, tokens with roles, station, expiry and last use, and password history

Revision ID: 20261207_0011
Revises: 20261207_0010
Create Date: 2026-12-07 08:00:00

- user_session: one row per browser sign-in; the cookie carries a random key whose SHA-256 is kept here, so that
  an ended session (sign-out, deactivation, a change of roles or password, idle or absolute time) is refused by
  every server at once.
- password_history: past password hashes, so that a new password is not one of the last few.
- app_user: must_change_password (after an administrator's reset), password_changed_at, last_login_at.
- api_token: roles (a subset of its user's), station, expires_at and last_used_at. A token issued before this
  revision keeps the roles its user holds now and expires 90 days after the upgrade.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision: str = "20261207_0011"
down_revision: str | None = "20261207_0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "user_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("end_reason", sa.String(length=32), nullable=True),
        sa.Column("first_signed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("client_address", sa.String(length=64), nullable=False),
        sa.Column("user_agent", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], name=op.f("fk_user_session_user_id_app_user"),
                                ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_session")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_user_session_key_hash")),
    )
    op.create_index(op.f("ix_user_session_user_id"), "user_session", ["user_id"], unique=False)
    op.create_table(
        "password_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], name=op.f("fk_password_history_user_id_app_user"),
                                ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_password_history")),
    )
    op.create_index(op.f("ix_password_history_user_id"), "password_history", ["user_id"], unique=False)
    # SQLite adds a NOT NULL column only with a default, and drops the default only by copying the table (which
    # the foreign keys to these tables forbid, see 0009): there the defaults stay. A token's default expiry is
    # long past, so a token the carry-over below missed is refused, never left open.
    op.add_column("app_user", sa.Column("must_change_password", sa.Boolean(), nullable=False,
                                        server_default=sa.false()))
    op.add_column("app_user", sa.Column("password_changed_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("app_user", sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("api_token", sa.Column("roles", sa.String(length=200), nullable=False, server_default=""))
    op.add_column("api_token", sa.Column("station", sa.String(length=64), nullable=True))
    op.add_column("api_token", sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False,
                                         server_default=sa.text("'1970-01-01 00:00:00'")))
    op.add_column("api_token", sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True))
    bind = op.get_bind()
    _carry_over_tokens(bind)
    if bind.dialect.name != "sqlite":
        op.alter_column("app_user", "must_change_password", server_default=None)
        op.alter_column("api_token", "roles", server_default=None)
        op.alter_column("api_token", "expires_at", server_default=None)


def _carry_over_tokens(bind: sa.Connection) -> None:
    # Tokens issued before tokens had roles carry their user's present roles, and expire 90 days from now.
    expires = datetime.now(UTC) + timedelta(days=90)
    stored = expires.replace(tzinfo=None) if bind.dialect.name == "sqlite" else expires
    tokens = bind.execute(sa.text("SELECT id, user_id FROM api_token")).all()
    for token_id, user_id in tokens:
        roles = bind.execute(sa.text("SELECT role FROM user_role WHERE user_id = :user_id ORDER BY role"),
                             {"user_id": user_id}).scalars().all()
        bind.execute(sa.text("UPDATE api_token SET roles = :roles, expires_at = :expires WHERE id = :id"),
                     {"roles": ",".join(roles), "expires": stored, "id": token_id})


def downgrade() -> None:
    op.drop_column("api_token", "last_used_at")
    op.drop_column("api_token", "expires_at")
    op.drop_column("api_token", "station")
    op.drop_column("api_token", "roles")
    op.drop_column("app_user", "last_login_at")
    op.drop_column("app_user", "password_changed_at")
    op.drop_column("app_user", "must_change_password")
    op.drop_index(op.f("ix_password_history_user_id"), table_name="password_history")
    op.drop_table("password_history")
    op.drop_index(op.f("ix_user_session_user_id"), table_name="user_session")
    op.drop_table("user_session")
