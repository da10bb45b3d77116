"""place in line

Revision ID: ffadfa86ed9c
Revises: 3c23e2546290
Create Date: 2026-11-23 12:44:03.939563

"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import reception.db


revision: str = 'ffadfa86ed9c'
down_revision: str | None = '3c23e2546290'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.add_column(sa.Column('queue_key', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.drop_column('queue_key')
