"""slot templates seats meetings

Revision ID: 73a2b6377932
Revises: 2c6e8115e7b5
Create Date: 2026-11-23 16:08:45.990221

"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import reception.columns

revision: str = '73a2b6377932'
down_revision: str | None = '2c6e8115e7b5'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('slot_template',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('branch_id', sa.Integer(), nullable=False),
    sa.Column('hall_id', sa.Integer(), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('weekdays', sa.String(length=40), nullable=False),
    sa.Column('start', sa.String(length=5), nullable=False),
    sa.Column('end', sa.String(length=5), nullable=False),
    sa.Column('slot_minutes', sa.Integer(), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=True),
    sa.Column('valid_until', sa.Date(), nullable=True),
    sa.Column('blackout_dates', sa.JSON(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['branch_id'], ['branch.id'], ),
    sa.ForeignKeyConstraint(['hall_id'], ['hall.id'], ),
    sa.ForeignKeyConstraint(['service_id'], ['service.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('slot_template', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_slot_template_branch_id'), ['branch_id'], unique=False)

    op.create_table('slot_seats',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('template_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', reception.columns.UTCDateTime(timezone=True), nullable=False),
    sa.Column('taken', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['template_id'], ['slot_template.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('template_id', 'starts_at', name='uq_slot_seats')
    )
    op.create_table('meeting_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('letter_id', sa.Integer(), nullable=False),
    sa.Column('branch_id', sa.Integer(), nullable=False),
    sa.Column('hall_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('mode', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('requested_by', sa.String(length=80), nullable=False),
    sa.Column('proposed_at', reception.columns.UTCDateTime(timezone=True), nullable=True),
    sa.Column('appointment_id', sa.Integer(), nullable=True),
    sa.Column('decision_note', sa.Text(), nullable=False),
    sa.Column('referred_to', sa.String(length=160), nullable=False),
    sa.Column('video_link', sa.String(length=300), nullable=False),
    sa.Column('history', sa.JSON(), nullable=True),
    sa.Column('created_at', reception.columns.UTCDateTime(timezone=True), nullable=False),
    sa.Column('decided_at', reception.columns.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointment.id'], ),
    sa.ForeignKeyConstraint(['branch_id'], ['branch.id'], ),
    sa.ForeignKeyConstraint(['hall_id'], ['hall.id'], ),
    sa.ForeignKeyConstraint(['letter_id'], ['letter.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('meeting_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_request_branch_id'), ['branch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_meeting_request_letter_id'), ['letter_id'], unique=False)

    with op.batch_alter_table('appointment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tracking_token', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('kind', sa.String(length=16), nullable=False, server_default='visit'))
        batch_op.add_column(sa.Column('template_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('name', sa.String(length=120), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('reminded_day', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('reminded_soon', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('video_link', sa.String(length=300), nullable=False, server_default=''))
        batch_op.create_index(batch_op.f('ix_appointment_phone'), ['phone'], unique=False)
        batch_op.create_index(batch_op.f('ix_appointment_tracking_token'), ['tracking_token'], unique=True)
        batch_op.create_foreign_key('fk_appointment_template_id', 'slot_template', ['template_id'], ['id'])



def downgrade() -> None:
    with op.batch_alter_table('appointment', schema=None) as batch_op:
        batch_op.drop_constraint('fk_appointment_template_id', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_appointment_tracking_token'))
        batch_op.drop_index(batch_op.f('ix_appointment_phone'))
        batch_op.drop_column('video_link')
        batch_op.drop_column('reminded_soon')
        batch_op.drop_column('reminded_day')
        batch_op.drop_column('name')
        batch_op.drop_column('template_id')
        batch_op.drop_column('kind')
        batch_op.drop_column('tracking_token')

    with op.batch_alter_table('meeting_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meeting_request_letter_id'))
        batch_op.drop_index(batch_op.f('ix_meeting_request_branch_id'))

    op.drop_table('meeting_request')
    op.drop_table('slot_seats')
    with op.batch_alter_table('slot_template', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_slot_template_branch_id'))

    op.drop_table('slot_template')
