"""sms branch

Revision ID: beb335b1094e
Revises: 3e4e4e5194d0
Create Date: 2026-11-23 17:25:47.788716

"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import reception.db


revision: str = 'beb335b1094e'
down_revision: str | None = '3e4e4e5194d0'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('outgoingsms', schema=None) as batch_op:
        batch_op.add_column(sa.Column('branch_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_outgoingsms_branch_id', 'branch', ['branch_id'], ['id'])



def downgrade() -> None:
    with op.batch_alter_table('outgoingsms', schema=None) as batch_op:
        batch_op.drop_constraint('fk_outgoingsms_branch_id', type_='foreignkey')
        batch_op.drop_column('branch_id')

