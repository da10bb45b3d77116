"""anti-starvation limit, call reason, transfers to a counter

Revision ID: fe02d1d2ffde
Revises: 62a4cba20d60
Create Date: 2026-11-23 11:34:07.384236

"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import reception.db

revision: str = 'fe02d1d2ffde'
down_revision: str | None = '62a4cba20d60'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

def upgrade() -> None:
    with op.batch_alter_table('branch', schema=None) as batch_op:
        batch_op.add_column(sa.Column('max_wait_minutes', sa.Integer(), nullable=True))
    op.execute("UPDATE branch SET max_wait_minutes = 45")

    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.add_column(sa.Column('assigned_counter_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('call_reason', sa.String(length=16), nullable=True))
        batch_op.create_foreign_key(
            'fk_ticket_assigned_counter_id_counter', 'counter', ['assigned_counter_id'], ['id']
        )

def downgrade() -> None:
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.drop_constraint('fk_ticket_assigned_counter_id_counter', type_='foreignkey')
        batch_op.drop_column('call_reason')
        batch_op.drop_column('assigned_counter_id')

    with op.batch_alter_table('branch', schema=None) as batch_op:
        batch_op.drop_column('max_wait_minutes')

