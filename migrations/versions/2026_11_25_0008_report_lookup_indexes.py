"""report lookup indexes: container.collection_id and bedside_check.container_id

The chain-of-identity report looks a therapy's containers up by lot OR collection, and its bedside checks by
therapy OR lot OR container. Without an index on every column of such an OR, SQLite and PostgreSQL read the
whole table: the report's time grew with the number of lots in the database.

Revision ID: 20261125_0008
Revises: 20261125_0007
Create Date: 2026-11-25 05:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = '20261125_0008'
down_revision: str | None = '20261125_0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the two indexes."""
    # Plain CREATE INDEX (no batch table copy), so the append-only triggers of bedside_check stay as they are.
    op.create_index(op.f('ix_container_collection_id'), 'container', ['collection_id'], unique=False)
    op.create_index(op.f('ix_bedside_check_container_id'), 'bedside_check', ['container_id'], unique=False)


def downgrade() -> None:
    """Drop the two indexes."""
    op.drop_index(op.f('ix_bedside_check_container_id'), table_name='bedside_check')
    op.drop_index(op.f('ix_container_collection_id'), table_name='container')
