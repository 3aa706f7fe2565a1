"""label print control

Revision ID: 20261124_0003
Revises: 20261124_0002
Create Date: 2026-11-24 23:44:47.547633
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '20261124_0003'
down_revision: str | None = '20261124_0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('label_print',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('therapy_id', sa.Integer(), nullable=False),
    sa.Column('template_kind', sa.String(length=32), nullable=False),
    sa.Column('template_version', sa.Integer(), nullable=False),
    sa.Column('output_format', sa.String(length=8), nullable=False),
    sa.Column('printer', sa.String(length=200), nullable=False),
    sa.Column('copies', sa.Integer(), nullable=False),
    sa.Column('is_reprint', sa.Boolean(), nullable=False),
    sa.Column('reprint_reason', sa.String(length=500), nullable=False),
    sa.Column('printed_by', sa.Integer(), nullable=False),
    sa.Column('printed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['printed_by'], ['app_user.id'], name=op.f('fk_label_print_printed_by_app_user'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['therapy_id'], ['therapy.id'], name=op.f('fk_label_print_therapy_id_therapy'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_label_print'))
    )
    with op.batch_alter_table('label_print', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_label_print_therapy_id'), ['therapy_id'], unique=False)

    op.create_table('label',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('print_id', sa.Integer(), nullable=False),
    sa.Column('container_id', sa.Integer(), nullable=False),
    sa.Column('barcode_data', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('applied_by', sa.Integer(), nullable=True),
    sa.Column('applied_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('verified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_reason', sa.String(length=500), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['applied_by'], ['app_user.id'], name=op.f('fk_label_applied_by_app_user'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['container_id'], ['container.id'], name=op.f('fk_label_container_id_container'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['print_id'], ['label_print.id'], name=op.f('fk_label_print_id_label_print'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_label'))
    )
    with op.batch_alter_table('label', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_label_container_id'), ['container_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_label_print_id'), ['print_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_label_status'), ['status'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('label', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_label_status'))
        batch_op.drop_index(batch_op.f('ix_label_print_id'))
        batch_op.drop_index(batch_op.f('ix_label_container_id'))

    op.drop_table('label')
    with op.batch_alter_table('label_print', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_label_print_therapy_id'))

    op.drop_table('label_print')
