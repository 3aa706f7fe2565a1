"""user language: the language a user reads the pages in

Revision ID: 20261207_0014
Revises: 20261207_0013
Create Date: 2026-12-07 11:00:00

- app_user.language: "ko" or "en", chosen by the user on any page; empty: the browser's, else the site's default.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261207_0014"
down_revision: str | None = "20261207_0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("app_user") as table:
        table.add_column(sa.Column("language", sa.String(length=8), nullable=True))


def downgrade() -> None:
    # As in 20261207_0015: dropped in place, the table is not copied (other tables' rows refer to it).
    op.execute("ALTER TABLE app_user DROP COLUMN language")
