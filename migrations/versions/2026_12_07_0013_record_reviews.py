"""record reviews: a lot's record reviewed by exception before release, and the periodic access review

Revision ID: 20261207_0013
Revises: 20261207_0012
Create Date: 2026-12-07 08:00:00

- lot_record_review: QA's signed review of a lot's audit trail, through one audit entry; the release gate needs it.
- access_review: QA's signed periodic review of users, roles, qualifications, sign-ins and tokens, with the report
  and its SHA-256.
- Both written once: on PostgreSQL a trigger refuses an update or delete, on SQLite too.
- audit_entry: the indexes of the audit trail review's filters (record, action, user, time), each record, action
  and user index ending in seq so that a page read by seq needs no sort. They replace the indexes on
  (entity_type, entity_id) and (action), which they cover.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261207_0013"
down_revision: str | None = "20261207_0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APPEND_ONLY_TABLES = ("lot_record_review", "access_review")


def _triggers(create: bool) -> None:
    # batchtrack_refuse_change() on PostgreSQL comes from migration 20261124_0002.
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in APPEND_ONLY_TABLES:
        if postgres and create:
            op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                       "FOR EACH ROW EXECUTE FUNCTION batchtrack_refuse_change()")
            op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                       "FOR EACH STATEMENT EXECUTE FUNCTION batchtrack_refuse_change()")
        elif postgres:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        else:
            for operation in ("UPDATE", "DELETE"):
                name = f"{table}_no_{operation.lower()}"
                op.execute(f"CREATE TRIGGER {name} BEFORE {operation} ON {table} BEGIN SELECT RAISE(ABORT, "
                           f"'batchtrack: {table} is append-only; {operation} refused'); END" if create
                           else f"DROP TRIGGER IF EXISTS {name}")


def _review_columns(table: str) -> list[sa.Column[object] | sa.Constraint]:
    return [
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("signature_id", sa.Integer(), nullable=False),
        sa.Column("reviewed_by", sa.Integer(), nullable=False),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["signature_id"], ["signature.id"], name=op.f(f"fk_{table}_signature_id_signature"),
                                ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["reviewed_by"], ["app_user.id"], name=op.f(f"fk_{table}_reviewed_by_app_user"),
                                ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
        sa.UniqueConstraint("signature_id", name=op.f(f"uq_{table}_signature_id")),
    ]


def upgrade() -> None:
    op.create_table(
        "lot_record_review",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lot_id", sa.Integer(), nullable=False),
        sa.Column("reviewed_through_seq", sa.Integer(), nullable=False),
        sa.Column("exception_seqs", sa.Text(), nullable=False),
        *_review_columns("lot_record_review"),
        sa.ForeignKeyConstraint(["lot_id"], ["lot.id"], name=op.f("fk_lot_record_review_lot_id_lot"),
                                ondelete="RESTRICT"),
    )
    op.create_index(op.f("ix_lot_record_review_lot_id"), "lot_record_review", ["lot_id"], unique=False)
    op.create_table(
        "access_review",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report", sa.Text(), nullable=False),
        sa.Column("report_hash", sa.String(length=64), nullable=False),
        *_review_columns("access_review"),
    )
    _triggers(create=True)
    op.create_index("ix_audit_entry_entity_seq", "audit_entry", ["entity_type", "entity_id", "seq"], unique=False)
    op.create_index("ix_audit_entry_action_seq", "audit_entry", ["action", "seq"], unique=False)
    op.create_index("ix_audit_entry_actor_seq", "audit_entry", ["actor_id", "seq"], unique=False)
    op.create_index("ix_audit_entry_occurred_at", "audit_entry", ["occurred_at"], unique=False)
    op.drop_index("ix_audit_entry_entity", table_name="audit_entry")
    op.drop_index("ix_audit_entry_action", table_name="audit_entry")


def downgrade() -> None:
    op.create_index("ix_audit_entry_action", "audit_entry", ["action"], unique=False)
    op.create_index("ix_audit_entry_entity", "audit_entry", ["entity_type", "entity_id"], unique=False)
    op.drop_index("ix_audit_entry_occurred_at", table_name="audit_entry")
    op.drop_index("ix_audit_entry_actor_seq", table_name="audit_entry")
    op.drop_index("ix_audit_entry_action_seq", table_name="audit_entry")
    op.drop_index("ix_audit_entry_entity_seq", table_name="audit_entry")
    _triggers(create=False)
    op.drop_table("access_review")
    op.drop_index(op.f("ix_lot_record_review_lot_id"), table_name="lot_record_review")
    op.drop_table("lot_record_review")
