"""the worklists read open lots and steps in index order: lots by state then id (replacing the index on state
alone) and by state then expiry; steps by state then start (replacing the index on state alone)

Revision ID: 20261207_0019
Revises: 20261207_0018
Create Date: 2026-12-07 21:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "20261207_0019"
down_revision: str | None = "20261207_0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_lot_state_id", "lot", ["state", "id"], unique=False)
    op.create_index("ix_lot_state_expires_at", "lot", ["state", "expires_at", "id"], unique=False)
    op.drop_index("ix_lot_state", table_name="lot")
    op.create_index("ix_process_step_state_started_at", "process_step", ["state", "started_at", "id"], unique=False)
    op.drop_index("ix_process_step_state", table_name="process_step")


def downgrade() -> None:
    op.create_index("ix_process_step_state", "process_step", ["state"], unique=False)
    op.drop_index("ix_process_step_state_started_at", table_name="process_step")
    op.create_index("ix_lot_state", "lot", ["state"], unique=False)
    op.drop_index("ix_lot_state_expires_at", table_name="lot")
    op.drop_index("ix_lot_state_id", table_name="lot")
