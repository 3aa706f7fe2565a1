"""names as written: a recipient's romanised name beside the name as written; a directed donor's name

Revision ID: 20261207_0015
Revises: 20261207_0014
Create Date: 2026-12-07 11:30:00

- recipient.family_name_latin, given_name_latin: the romanised name (Revised Romanization), "" where none was
  recorded; family_name and given_name keep the name as the person writes it (Hangul at the first site).
- donor.family_name, given_name, family_name_latin, given_name_latin: a directed donor's name as written and
  romanised; empty for an autologous donor, whose name is the recipient's.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261207_0015"
down_revision: str | None = "20261207_0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("recipient") as table:
        table.add_column(sa.Column("family_name_latin", sa.String(length=200), nullable=False, server_default=""))
        table.add_column(sa.Column("given_name_latin", sa.String(length=200), nullable=False, server_default=""))
    with op.batch_alter_table("donor") as table:
        for column in ("family_name", "given_name", "family_name_latin", "given_name_latin"):
            table.add_column(sa.Column(column, sa.String(length=200), nullable=True))


def downgrade() -> None:
    # ALTER TABLE ... DROP COLUMN on both engines (SQLite 3.35 and later): a batch operation would copy the table and
    # drop the original, which SQLite refuses while other tables' rows refer to it.
    for column in ("given_name_latin", "family_name_latin", "given_name", "family_name"):
        op.execute(f"ALTER TABLE donor DROP COLUMN {column}")
    for column in ("given_name_latin", "family_name_latin"):
        op.execute(f"ALTER TABLE recipient DROP COLUMN {column}")
