"""numbers that opted out of SMS

Revision ID: 2c6e8115e7b5
Revises: 820e08a9b964
Create Date: 2026-11-23 14:33:03.824041

"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import reception.columns

revision: str = '2c6e8115e7b5'
down_revision: str | None = '820e08a9b964'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('smsoptout',
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('at', reception.columns.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('phone')
    )


def downgrade() -> None:
    op.drop_table('smsoptout')
