"""failed sign-ins by client address, counted by the sign-in throttle of every server (was per process, in memory)

Revision ID: 20261207_0020
Revises: 20261207_0019
Create Date: 2026-12-07 22:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261207_0020"
down_revision: str | None = "20261207_0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sign_in_failure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_address", sa.String(length=64), nullable=False),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in_failure")),
    )
    op.create_index("ix_sign_in_failure_address_failed_at", "sign_in_failure", ["client_address", "failed_at"],
                    unique=False)
    op.create_index("ix_sign_in_failure_failed_at", "sign_in_failure", ["failed_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_sign_in_failure_failed_at", table_name="sign_in_failure")
    op.drop_index("ix_sign_in_failure_address_failed_at", table_name="sign_in_failure")
    op.drop_table("sign_in_failure")
