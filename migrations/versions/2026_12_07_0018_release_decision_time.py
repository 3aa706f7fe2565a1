"""release decisions found by their time: the lots released pending sterility in the last weeks, whose post-release
results the worklist looks for, without reading every decision ever made

Revision ID: 20261207_0018
Revises: 20261207_0017
Create Date: 2026-12-07 19:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "20261207_0018"
down_revision: str | None = "20261207_0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(op.f("ix_release_decision_decided_at"), "release_decision", ["decided_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_release_decision_decided_at"), table_name="release_decision")
