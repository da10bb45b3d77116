"""sms by branch and date

Revision ID: 2e2c0035e0c7
Revises: beb335b1094e
Create Date: 2026-11-23 17:48:46.545899

"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import reception.db


revision: str = '2e2c0035e0c7'
down_revision: str | None = 'beb335b1094e'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('outgoingsms', schema=None) as batch_op:
        batch_op.create_index('ix_outgoingsms_branch_created', ['branch_id', 'created_at', 'status'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('outgoingsms', schema=None) as batch_op:
        batch_op.drop_index('ix_outgoingsms_branch_created')

