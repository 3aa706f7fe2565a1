"""initial schema

Revision ID: 20261124_0001
Revises:
Create Date: 2026-11-24 23:25:12.849040
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '20261124_0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('app_user',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('full_name', sa.String(length=200), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('failed_logins', sa.Integer(), nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_app_user')),
    sa.UniqueConstraint('username', name=op.f('uq_app_user_username'))
    )
    op.create_table('identifier_sequence',
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('fin', sa.String(length=5), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('last_value', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('kind', 'fin', 'year', name=op.f('pk_identifier_sequence'))
    )
    op.create_table('recipient',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subject_code', sa.String(length=32), nullable=False),
    sa.Column('family_name', sa.String(length=100), nullable=False),
    sa.Column('given_name', sa.String(length=100), nullable=False),
    sa.Column('date_of_birth', sa.Date(), nullable=False),
    sa.Column('mrn', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recipient')),
    sa.UniqueConstraint('mrn', name=op.f('uq_recipient_mrn')),
    sa.UniqueConstraint('subject_code', name=op.f('uq_recipient_subject_code'))
    )
    op.create_table('api_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_api_token_user_id_app_user'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_token')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_token_token_hash'))
    )
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_token_user_id'), ['user_id'], unique=False)

    op.create_table('audit_entry',
    sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_name', sa.String(length=200), nullable=False),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('entity_type', sa.String(length=32), nullable=False),
    sa.Column('entity_id', sa.String(length=64), nullable=False),
    sa.Column('old_values', sa.Text(), nullable=False),
    sa.Column('new_values', sa.Text(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['app_user.id'], name=op.f('fk_audit_entry_actor_id_app_user'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_audit_entry')),
    sa.UniqueConstraint('hash', name=op.f('uq_audit_entry_hash')),
    sa.UniqueConstraint('prev_hash', name=op.f('uq_audit_entry_prev_hash'))
    )
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_entry_action'), ['action'], unique=False)
        batch_op.create_index('ix_audit_entry_entity', ['entity_type', 'entity_id'], unique=False)

    op.create_table('donor',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('donor_code', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('recipient_id', sa.Integer(), nullable=True),
    sa.Column('eligibility', sa.String(length=16), nullable=True),
    sa.Column('eligibility_recorded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['recipient_id'], ['recipient.id'], name=op.f('fk_donor_recipient_id_recipient'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_donor')),
    sa.UniqueConstraint('donor_code', name=op.f('uq_donor_donor_code'))
    )
    op.create_table('signature',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('signer_id', sa.Integer(), nullable=False),
    sa.Column('printed_name', sa.String(length=200), nullable=False),
    sa.Column('meaning', sa.String(length=16), nullable=False),
    sa.Column('signed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('entity_type', sa.String(length=32), nullable=False),
    sa.Column('entity_id', sa.String(length=64), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['signer_id'], ['app_user.id'], name=op.f('fk_signature_signer_id_app_user'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_signature'))
    )
    with op.batch_alter_table('signature', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_signature_entity_id'), ['entity_id'], unique=False)

    op.create_table('user_role',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_user_role_user_id_app_user'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('user_id', 'role', name=op.f('pk_user_role'))
    )
    op.create_table('therapy',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('coi', sa.String(length=15), nullable=False),
    sa.Column('recipient_id', sa.Integer(), nullable=False),
    sa.Column('donor_id', sa.Integer(), nullable=False),
    sa.Column('product_code', sa.String(length=16), nullable=False),
    sa.Column('prescribed_cells_per_kg', sa.Float(), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['app_user.id'], name=op.f('fk_therapy_created_by_app_user'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['donor_id'], ['donor.id'], name=op.f('fk_therapy_donor_id_donor'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['recipient_id'], ['recipient.id'], name=op.f('fk_therapy_recipient_id_recipient'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_therapy')),
    sa.UniqueConstraint('coi', name=op.f('uq_therapy_coi'))
    )
    with op.batch_alter_table('therapy', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_therapy_donor_id'), ['donor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_therapy_recipient_id'), ['recipient_id'], unique=False)

    op.create_table('collection',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('din', sa.String(length=13), nullable=False),
    sa.Column('therapy_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('scheduled_for', sa.DateTime(timezone=True), nullable=True),
    sa.Column('collected_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('volume_ml', sa.Float(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['therapy_id'], ['therapy.id'], name=op.f('fk_collection_therapy_id_therapy'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_collection')),
    sa.UniqueConstraint('din', name=op.f('uq_collection_din'))
    )
    with op.batch_alter_table('collection', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_collection_state'), ['state'], unique=False)
        batch_op.create_index(batch_op.f('ix_collection_therapy_id'), ['therapy_id'], unique=False)

    op.create_table('lot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('din', sa.String(length=13), nullable=False),
    sa.Column('therapy_id', sa.Integer(), nullable=False),
    sa.Column('product_code', sa.String(length=16), nullable=False),
    sa.Column('state', sa.String(length=32), nullable=False),
    sa.Column('state_before_hold', sa.String(length=32), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['therapy_id'], ['therapy.id'], name=op.f('fk_lot_therapy_id_therapy'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lot')),
    sa.UniqueConstraint('din', name=op.f('uq_lot_din'))
    )
    with op.batch_alter_table('lot', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lot_state'), ['state'], unique=False)
        batch_op.create_index(batch_op.f('ix_lot_therapy_id'), ['therapy_id'], unique=False)

    op.create_table('container',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('din', sa.String(length=13), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('product_code', sa.String(length=16), nullable=False),
    sa.Column('division', sa.String(length=2), nullable=False),
    sa.Column('sample_flag', sa.String(length=2), nullable=False),
    sa.Column('collection_id', sa.Integer(), nullable=True),
    sa.Column('lot_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['collection_id'], ['collection.id'], name=op.f('fk_container_collection_id_collection'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['lot_id'], ['lot.id'], name=op.f('fk_container_lot_id_lot'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_container')),
    sa.UniqueConstraint('din', 'product_code', 'division', 'sample_flag', name=op.f('uq_container_din_product_code_division_sample_flag'))
    )
    with op.batch_alter_table('container', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_container_din'), ['din'], unique=False)
        batch_op.create_index(batch_op.f('ix_container_lot_id'), ['lot_id'], unique=False)

    op.create_table('lot_collection',
    sa.Column('lot_id', sa.Integer(), nullable=False),
    sa.Column('collection_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['collection_id'], ['collection.id'], name=op.f('fk_lot_collection_collection_id_collection'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['lot_id'], ['lot.id'], name=op.f('fk_lot_collection_lot_id_lot'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('lot_id', 'collection_id', name=op.f('pk_lot_collection'))
    )
    op.create_table('custody_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('container_id', sa.Integer(), nullable=False),
    sa.Column('therapy_id', sa.Integer(), nullable=False),
    sa.Column('handed_over_by', sa.Integer(), nullable=False),
    sa.Column('received_by', sa.Integer(), nullable=False),
    sa.Column('location', sa.String(length=200), nullable=False),
    sa.Column('temperature_c', sa.Float(), nullable=True),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_by', sa.Integer(), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.ForeignKeyConstraint(['container_id'], ['container.id'], name=op.f('fk_custody_event_container_id_container'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['handed_over_by'], ['app_user.id'], name=op.f('fk_custody_event_handed_over_by_app_user'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['received_by'], ['app_user.id'], name=op.f('fk_custody_event_received_by_app_user'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['recorded_by'], ['app_user.id'], name=op.f('fk_custody_event_recorded_by_app_user'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['therapy_id'], ['therapy.id'], name=op.f('fk_custody_event_therapy_id_therapy'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_custody_event'))
    )
    with op.batch_alter_table('custody_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_custody_event_container_id'), ['container_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_custody_event_therapy_id'), ['therapy_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('custody_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_custody_event_therapy_id'))
        batch_op.drop_index(batch_op.f('ix_custody_event_container_id'))

    op.drop_table('custody_event')
    op.drop_table('lot_collection')
    with op.batch_alter_table('container', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_container_lot_id'))
        batch_op.drop_index(batch_op.f('ix_container_din'))

    op.drop_table('container')
    with op.batch_alter_table('lot', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lot_therapy_id'))
        batch_op.drop_index(batch_op.f('ix_lot_state'))

    op.drop_table('lot')
    with op.batch_alter_table('collection', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_collection_therapy_id'))
        batch_op.drop_index(batch_op.f('ix_collection_state'))

    op.drop_table('collection')
    with op.batch_alter_table('therapy', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_therapy_recipient_id'))
        batch_op.drop_index(batch_op.f('ix_therapy_donor_id'))

    op.drop_table('therapy')
    op.drop_table('user_role')
    with op.batch_alter_table('signature', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_signature_entity_id'))

    op.drop_table('signature')
    op.drop_table('donor')
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_entry_action'))
        batch_op.drop_index('ix_audit_entry_entity')

    op.drop_table('audit_entry')
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_token_user_id'))

    op.drop_table('api_token')
    op.drop_table('recipient')
    op.drop_table('identifier_sequence')
    op.drop_table('app_user')
