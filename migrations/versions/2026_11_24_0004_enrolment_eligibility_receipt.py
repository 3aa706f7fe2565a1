"""enrolment eligibility receipt

Revision ID: 20261124_0004
Revises: 20261124_0003
Create Date: 2026-11-24 23:53:02.284069
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '20261124_0004'
down_revision: str | None = '20261124_0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('allergy',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('recipient_id', sa.Integer(), nullable=False),
    sa.Column('substance', sa.String(length=64), nullable=False),
    sa.Column('reaction', sa.String(length=200), nullable=False),
    sa.Column('recorded_by', sa.Integer(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['recipient_id'], ['recipient.id'], name=op.f('fk_allergy_recipient_id_recipient'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['recorded_by'], ['app_user.id'], name=op.f('fk_allergy_recorded_by_app_user'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_allergy'))
    )
    with op.batch_alter_table('allergy', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_allergy_recipient_id'), ['recipient_id'], unique=False)

    op.create_table('weight_record',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('recipient_id', sa.Integer(), nullable=False),
    sa.Column('visit_date', sa.Date(), nullable=False),
    sa.Column('weight_kg', sa.Float(), nullable=False),
    sa.Column('recorded_by', sa.Integer(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['recipient_id'], ['recipient.id'], name=op.f('fk_weight_record_recipient_id_recipient'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['recorded_by'], ['app_user.id'], name=op.f('fk_weight_record_recorded_by_app_user'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_weight_record'))
    )
    with op.batch_alter_table('weight_record', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_weight_record_recipient_id'), ['recipient_id'], unique=False)

    op.create_table('eligibility_assessment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('recipient_id', sa.Integer(), nullable=False),
    sa.Column('protocol_id', sa.String(length=32), nullable=False),
    sa.Column('protocol_version', sa.Integer(), nullable=False),
    sa.Column('answers', sa.Text(), nullable=False),
    sa.Column('eligible', sa.Boolean(), nullable=False),
    sa.Column('reasons', sa.Text(), nullable=False),
    sa.Column('assessed_by', sa.Integer(), nullable=False),
    sa.Column('assessed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('signature_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['assessed_by'], ['app_user.id'], name=op.f('fk_eligibility_assessment_assessed_by_app_user'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['recipient_id'], ['recipient.id'], name=op.f('fk_eligibility_assessment_recipient_id_recipient'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['signature_id'], ['signature.id'], name=op.f('fk_eligibility_assessment_signature_id_signature'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_eligibility_assessment'))
    )
    with op.batch_alter_table('eligibility_assessment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_eligibility_assessment_recipient_id'), ['recipient_id'], unique=False)

    op.create_table('receipt_record',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('collection_id', sa.Integer(), nullable=False),
    sa.Column('decision', sa.String(length=16), nullable=False),
    sa.Column('temperature_c', sa.Float(), nullable=False),
    sa.Column('hours_since_collection', sa.Float(), nullable=False),
    sa.Column('checklist', sa.Text(), nullable=False),
    sa.Column('reasons', sa.Text(), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('received_by', sa.Integer(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['collection_id'], ['collection.id'], name=op.f('fk_receipt_record_collection_id_collection'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['received_by'], ['app_user.id'], name=op.f('fk_receipt_record_received_by_app_user'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_receipt_record'))
    )
    with op.batch_alter_table('receipt_record', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_receipt_record_collection_id'), ['collection_id'], unique=False)

    with op.batch_alter_table('collection', schema=None) as batch_op:
        batch_op.add_column(sa.Column('started_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('anticoagulant', sa.String(length=64), nullable=False, server_default=sa.text("''")))
        batch_op.add_column(sa.Column('site', sa.String(length=200), nullable=False, server_default=sa.text("''")))
        batch_op.add_column(sa.Column('collector_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_collection_collector_id_app_user'), 'app_user', ['collector_id'], ['id'], ondelete='RESTRICT')

    with op.batch_alter_table('donor', schema=None) as batch_op:
        batch_op.add_column(sa.Column('directed_to_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('date_of_birth', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('hla_match', sa.String(length=32), nullable=False, server_default=sa.text("''")))
        batch_op.create_index(batch_op.f('ix_donor_directed_to_id'), ['directed_to_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_donor_directed_to_id_recipient'), 'recipient', ['directed_to_id'], ['id'], ondelete='RESTRICT')

    with op.batch_alter_table('recipient', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sex', sa.String(length=8), nullable=False, server_default=sa.text("'unknown'")))
        batch_op.add_column(sa.Column('protocol_id', sa.String(length=32), nullable=False, server_default=sa.text("''")))
        batch_op.add_column(sa.Column('indication', sa.String(length=16), nullable=False, server_default=sa.text("''")))
        batch_op.add_column(sa.Column('consent_date', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('consent_withdrawn_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('consent_withdrawal_reason', sa.String(length=500), nullable=False, server_default=sa.text("''")))



def downgrade() -> None:
    with op.batch_alter_table('recipient', schema=None) as batch_op:
        batch_op.drop_column('consent_withdrawal_reason')
        batch_op.drop_column('consent_withdrawn_at')
        batch_op.drop_column('consent_date')
        batch_op.drop_column('indication')
        batch_op.drop_column('protocol_id')
        batch_op.drop_column('sex')

    with op.batch_alter_table('donor', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_donor_directed_to_id_recipient'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_donor_directed_to_id'))
        batch_op.drop_column('hla_match')
        batch_op.drop_column('date_of_birth')
        batch_op.drop_column('directed_to_id')

    with op.batch_alter_table('collection', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_collection_collector_id_app_user'), type_='foreignkey')
        batch_op.drop_column('collector_id')
        batch_op.drop_column('site')
        batch_op.drop_column('anticoagulant')
        batch_op.drop_column('started_at')

    with op.batch_alter_table('receipt_record', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_receipt_record_collection_id'))

    op.drop_table('receipt_record')
    with op.batch_alter_table('eligibility_assessment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_eligibility_assessment_recipient_id'))

    op.drop_table('eligibility_assessment')
    with op.batch_alter_table('weight_record', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_weight_record_recipient_id'))

    op.drop_table('weight_record')
    with op.batch_alter_table('allergy', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_allergy_recipient_id'))

    op.drop_table('allergy')
