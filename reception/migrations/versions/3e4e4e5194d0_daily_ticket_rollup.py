"""daily ticket rollup

Revision ID: 3e4e4e5194d0
Revises: 9b4501423420
Create Date: 2026-11-23 16:52:54.891251

"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import reception.columns

revision: str = '3e4e4e5194d0'
down_revision: str | None = '9b4501423420'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('ticketday',
    sa.Column('branch_id', sa.Integer(), nullable=False),
    sa.Column('business_date', sa.Date(), nullable=False),
    sa.Column('visitors', sa.Integer(), nullable=False),
    sa.Column('rolled_at', reception.columns.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['branch_id'], ['branch.id'], ),
    sa.PrimaryKeyConstraint('branch_id', 'business_date')
    )
    op.create_table('ticketdayduration',
    sa.Column('branch_id', sa.Integer(), nullable=False),
    sa.Column('business_date', sa.Date(), nullable=False),
    sa.Column('measure', sa.String(length=8), nullable=False),
    sa.Column('seconds', sa.Integer(), nullable=False),
    sa.Column('tickets', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['branch_id'], ['branch.id'], ),
    sa.PrimaryKeyConstraint('branch_id', 'business_date', 'measure', 'seconds')
    )
    op.create_table('ticketdayfigure',
    sa.Column('branch_id', sa.Integer(), nullable=False),
    sa.Column('business_date', sa.Date(), nullable=False),
    sa.Column('dimension', sa.String(length=16), nullable=False),
    sa.Column('key', sa.String(length=32), nullable=False),
    sa.Column('tickets', sa.Integer(), nullable=False),
    sa.Column('done', sa.Integer(), nullable=False),
    sa.Column('no_shows', sa.Integer(), nullable=False),
    sa.Column('wait_count', sa.Integer(), nullable=False),
    sa.Column('wait_seconds', sa.Integer(), nullable=False),
    sa.Column('service_count', sa.Integer(), nullable=False),
    sa.Column('service_seconds', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['branch_id'], ['branch.id'], ),
    sa.PrimaryKeyConstraint('branch_id', 'business_date', 'dimension', 'key')
    )


def downgrade() -> None:
    op.drop_table('ticketdayfigure')
    op.drop_table('ticketdayduration')
    op.drop_table('ticketday')
