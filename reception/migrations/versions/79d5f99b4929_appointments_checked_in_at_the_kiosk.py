"""appointments checked in at the kiosk

Revision ID: 79d5f99b4929
Revises: 140d968a32f6
Create Date: 2026-11-23 13:12:41.021362

"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import reception.columns

revision: str = '79d5f99b4929'
down_revision: str | None = '140d968a32f6'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('appointment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=12), nullable=False),
    sa.Column('branch_id', sa.Integer(), nullable=False),
    sa.Column('hall_id', sa.Integer(), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', reception.columns.UTCDateTime(timezone=True), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=True),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('created_at', reception.columns.UTCDateTime(timezone=True), nullable=False),
    sa.Column('checked_in_at', reception.columns.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['branch_id'], ['branch.id'], ),
    sa.ForeignKeyConstraint(['hall_id'], ['hall.id'], ),
    sa.ForeignKeyConstraint(['service_id'], ['service.id'], ),
    sa.ForeignKeyConstraint(['ticket_id'], ['ticket.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('appointment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appointment_branch_id'), ['branch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_appointment_code'), ['code'], unique=True)
        batch_op.create_index(batch_op.f('ix_appointment_starts_at'), ['starts_at'], unique=False)

    with op.batch_alter_table('branch', schema=None) as batch_op:
        batch_op.add_column(sa.Column('checkin_early_minutes', sa.Integer(), nullable=False, server_default='30'))
        batch_op.add_column(sa.Column('checkin_late_minutes', sa.Integer(), nullable=False, server_default='15'))



def downgrade() -> None:
    with op.batch_alter_table('branch', schema=None) as batch_op:
        batch_op.drop_column('checkin_late_minutes')
        batch_op.drop_column('checkin_early_minutes')

    with op.batch_alter_table('appointment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_appointment_starts_at'))
        batch_op.drop_index(batch_op.f('ix_appointment_code'))
        batch_op.drop_index(batch_op.f('ix_appointment_branch_id'))

    op.drop_table('appointment')
