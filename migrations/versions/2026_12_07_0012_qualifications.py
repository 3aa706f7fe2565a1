"""qualifications: what each step, test, decision and check needs, and who holds it

Revision ID: 20261207_0012
Revises: 20261207_0011
Create Date: 2026-12-07 08:00:00

- qualification_grant: a qualification granted to a user by a trainer's signature, with its expiry date.
- qualification_revocation: the end of a grant before its expiry, signed by QA with the reason.
Both are written once: an update or a delete is refused by a trigger (as migrations 0002 and 0009 do for the other
write-once tables), so who held what, and when, stays readable.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261207_0012"
down_revision: str | None = "20261207_0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APPEND_ONLY_TABLES = ("qualification_grant", "qualification_revocation")


def upgrade() -> None:
    op.create_table(
        "qualification_grant",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("qualification", sa.String(length=32), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=False),
        sa.Column("may_train", sa.Boolean(), nullable=False),
        sa.Column("trainer_id", sa.Integer(), nullable=False),
        sa.Column("signature_id", sa.Integer(), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], name=op.f("fk_qualification_grant_user_id_app_user"),
                                ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["trainer_id"], ["app_user.id"],
                                name=op.f("fk_qualification_grant_trainer_id_app_user"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["signature_id"], ["signature.id"],
                                name=op.f("fk_qualification_grant_signature_id_signature"), ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qualification_grant")),
    )
    op.create_index(op.f("ix_qualification_grant_user_id"), "qualification_grant", ["user_id"], unique=False)
    op.create_table(
        "qualification_revocation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("grant_id", sa.Integer(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_by", sa.Integer(), nullable=False),
        sa.Column("signature_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(["grant_id"], ["qualification_grant.id"],
                                name=op.f("fk_qualification_revocation_grant_id_qualification_grant"),
                                ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["revoked_by"], ["app_user.id"],
                                name=op.f("fk_qualification_revocation_revoked_by_app_user"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["signature_id"], ["signature.id"],
                                name=op.f("fk_qualification_revocation_signature_id_signature"),
                                ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qualification_revocation")),
        sa.UniqueConstraint("grant_id", name=op.f("uq_qualification_revocation_grant_id")),
    )
    _triggers_up()


def _triggers_up() -> None:
    # batchtrack_refuse_change() was created by migration 0002 on PostgreSQL.
    if op.get_bind().dialect.name == "postgresql":
        for table in APPEND_ONLY_TABLES:
            op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                       "FOR EACH ROW EXECUTE FUNCTION batchtrack_refuse_change()")
            op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                       "FOR EACH STATEMENT EXECUTE FUNCTION batchtrack_refuse_change()")
        return
    for table in APPEND_ONLY_TABLES:
        for operation in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER {table}_no_{operation.lower()} BEFORE {operation} ON {table} "
                       f"BEGIN SELECT RAISE(ABORT, 'batchtrack: {table} is append-only; {operation} refused'); END")


def downgrade() -> None:
    # Dropping a table drops its triggers on both engines.
    op.drop_table("qualification_revocation")
    op.drop_index(op.f("ix_qualification_grant_user_id"), table_name="qualification_grant")
    op.drop_table("qualification_grant")
