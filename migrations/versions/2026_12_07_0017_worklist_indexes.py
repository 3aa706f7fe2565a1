"""worklist indexes: the steps still open and the labels still to reconcile, found without reading every row

Revision ID: 20261207_0017
Revises: 20261207_0016
Create Date: 2026-12-07 18:30:00

- process_step.state: the steps in progress or awaiting verification among every step ever executed.
- label (status, verified_at): the labels printed and not accounted for, and those applied without a verifying scan.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "20261207_0017"
down_revision: str | None = "20261207_0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(op.f("ix_process_step_state"), "process_step", ["state"], unique=False)
    op.create_index("ix_label_status_verified_at", "label", ["status", "verified_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_label_status_verified_at", table_name="label")
    op.drop_index(op.f("ix_process_step_state"), table_name="process_step")
