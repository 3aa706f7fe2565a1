"""signatures hashed over every column; signatures and the other write-once records append-only

Revision ID: 20261207_0009
Revises: 20261125_0008
Create Date: 2026-12-07 04:40:00

Each table below is written once and never updated or deleted by the application; the trigger makes the database
refuse it too (the same guard as migrations 0002, 0005, 0006 and 0007 put on the other write-once tables):
- signature: an electronic signature is evidence; a changed name, time, meaning or hash is a forged one.
- eligibility_assessment: the investigator's signed answers; a re-assessment is a new row.
- receipt_record: the lab's receipt measurements and decision for an aspirate bag.
- allergy: a recorded hypersensitivity (release and bedside gates read it); a new finding is a new row.
- weight_record: a weight measured at a dated visit; a later visit is a new row.
- label_print: the print job (template version, who, when, how many, reprint reason); labels' status lives in
  `label`, not here.
- lot_collection: which collections a lot was made from (chain of identity).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "20261207_0009"
down_revision: str | None = "20261125_0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APPEND_ONLY_TABLES = ("signature", "eligibility_assessment", "receipt_record", "allergy", "weight_record",
                      "label_print", "lot_collection")


def _signature_hash(row: tuple[object, ...]) -> str:
    # A frozen copy of batchtrack.auth.signatures.signature_hash (layout v1), so that this migration computes the
    # same hashes whatever the application later becomes; tests/auth compare the two.
    _, signer_id, printed_name, meaning, signed_at, entity_type, entity_id, content_hash = row
    assert isinstance(signed_at, datetime)
    moment = signed_at.replace(tzinfo=UTC) if signed_at.tzinfo is None else signed_at.astimezone(UTC)
    fields = ["batchtrack-signature-v1", signer_id, printed_name, meaning,
              moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), entity_type, entity_id, content_hash]
    return hashlib.sha256(json.dumps(fields, separators=(",", ":"), ensure_ascii=False).encode("utf-8")).hexdigest()


def _add_hash() -> None:
    bind = op.get_bind()
    # SQLite cannot add a NOT NULL column without a default, nor drop the default later without rebuilding the
    # table (which the foreign keys to it forbid): there the empty default stays, and an empty hash never verifies.
    op.add_column("signature", sa.Column("hash", sa.String(length=64), nullable=False, server_default=""))
    rows = bind.execute(sa.text(
        "SELECT id, signer_id, printed_name, meaning, signed_at, entity_type, entity_id, content_hash FROM signature"
    )).all()
    for row in rows:
        signed_at = row[4]
        if isinstance(signed_at, str):  # SQLite returns the stored text of a plain SELECT
            signed_at = datetime.fromisoformat(signed_at)
        bind.execute(sa.text("UPDATE signature SET hash = :hash WHERE id = :id"),
                     {"hash": _signature_hash((*row[:4], signed_at, *row[5:])), "id": row[0]})
    if bind.dialect.name == "postgresql":
        op.alter_column("signature", "hash", server_default=None)


def _triggers_up() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # batchtrack_refuse_change() is the function migration 0002 created.
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


def _triggers_down() -> None:
    for table in APPEND_ONLY_TABLES:
        if op.get_bind().dialect.name == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        else:
            for operation in ("update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{operation}")


def upgrade() -> None:
    _add_hash()  # before the triggers: the backfill updates every signature row once
    _triggers_up()


def downgrade() -> None:
    _triggers_down()
    # A plain ALTER TABLE ... DROP COLUMN on both engines (no batch rebuild of a table other tables refer to).
    op.drop_column("signature", "hash")
