"""text columns at least as long as the API's limit for what is stored in them

Revision ID: 20261207_0010
Revises: 20261207_0009
Create Date: 2026-12-07 05:30:00

The API accepts reasons of 4,000 characters (LongText), names, sites, hypersensitivities and HLA matches of 200
(ShortText) and donor codes of 64 (Code); these columns held fewer. A bedside check keeps each scan escaped as
read (up to 200 characters, each up to 10 once escaped): 400 held the echo of only 40 characters outside the BMP.
PostgreSQL, which enforces a column's length, refused such a write and the request answered 500 (destroying a
label with a long reason, say); SQLite stored it.

PostgreSQL widens a VARCHAR in place, without rewriting the table. On SQLite the declared length is only the
table's text in the schema (SQLite stores a text of any length in a VARCHAR column): that text is edited where it
is kept, as SQLite documents for changes that leave the stored rows as they are, so that the table is not copied.
A copy (batch_alter_table) would drop the append-only triggers of receipt_record, allergy, label_print and
bedside_check, and dropping the original of a table other rows refer to fails on a populated database (foreign
keys are on).

A downgrade restores the old lengths. On PostgreSQL it fails, changing nothing, while a longer text is stored:
a shorter column would lose the end of a recorded reason.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261207_0010"
down_revision: str | None = "20261207_0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, column, old length, new length): the new length is the API's limit for the text stored there.
WIDENED = (
    ("recipient", "family_name", 100, 200),
    ("recipient", "given_name", 100, 200),
    ("recipient", "consent_withdrawal_reason", 500, 4000),
    ("donor", "donor_code", 32, 64),
    ("donor", "hla_match", 32, 200),
    ("allergy", "substance", 64, 200),
    ("collection", "anticoagulant", 64, 200),
    ("receipt_record", "note", 500, 4000),
    ("label_print", "reprint_reason", 500, 4000),
    ("label", "closed_reason", 500, 4000),
    ("step_value", "reason", 500, 4000),
    ("qc_result", "reason", 500, 4000),
    ("release_decision", "reason", 500, 4000),
    # Not the API's limit: a scan's escaped echo, up to 200 characters of it at up to 10 each ("\\U0001f600").
    ("bedside_check", "wristband_scan", 400, 2048),
    ("bedside_check", "bag_scan", 400, 2048),
)


def _declare_on_sqlite(table: str, column: str, old: int, new: int) -> None:
    bind = op.get_bind()
    sql = bind.execute(sa.text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :name"),
                       {"name": table}).scalar_one()
    declaration = re.compile(rf'(?m)^(\s*"?{column}"?\s+)VARCHAR\({old}\)')
    changed, count = declaration.subn(rf"\g<1>VARCHAR({new})", sql)
    if count != 1:
        raise RuntimeError(f"{table}.{column} is not declared VARCHAR({old}) once in its table's schema")
    # Steps 2 to 5 of "making other kinds of table schema changes" (sqlite.org/lang_altertable.html): the new
    # schema version makes every open connection read the table's schema again.
    version = bind.execute(sa.text("PRAGMA schema_version")).scalar_one()
    bind.execute(sa.text("PRAGMA writable_schema = ON"))
    bind.execute(sa.text("UPDATE sqlite_master SET sql = :sql WHERE type = 'table' AND name = :name"),
                 {"sql": changed, "name": table})
    bind.execute(sa.text(f"PRAGMA schema_version = {int(version) + 1}"))
    bind.execute(sa.text("PRAGMA writable_schema = OFF"))


def _resize(*, widen: bool) -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table, column, old, new in WIDENED:
        before, after = (old, new) if widen else (new, old)
        if sqlite:
            _declare_on_sqlite(table, column, before, after)
        else:
            op.alter_column(table, column, type_=sa.String(length=after), existing_type=sa.String(length=before),
                            existing_nullable=False)
    if sqlite:
        problems = op.get_bind().execute(sa.text("PRAGMA integrity_check")).scalars().all()
        if problems != ["ok"]:
            raise RuntimeError(f"the schema check after resizing text columns failed: {problems}")


def upgrade() -> None:
    """Widen each column to the API's limit."""
    _resize(widen=True)


def downgrade() -> None:
    """Restore each column's old length."""
    _resize(widen=False)
