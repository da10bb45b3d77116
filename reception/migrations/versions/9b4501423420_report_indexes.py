"""report indexes

Revision ID: 9b4501423420
Revises: 32f13d0a3440
Create Date: 2026-11-23 16:40:03.580058

"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import reception.db


revision: str = '9b4501423420'
down_revision: str | None = '32f13d0a3440'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('letter', schema=None) as batch_op:
        batch_op.create_index('ix_letter_branch_created', ['branch_id', 'created_at'], unique=False)

    with op.batch_alter_table('letterstep', schema=None) as batch_op:
        batch_op.create_index('ix_letterstep_kind_at', ['kind', 'at'], unique=False)

    with op.batch_alter_table('outgoingsms', schema=None) as batch_op:
        batch_op.create_index('ix_outgoingsms_created', ['created_at'], unique=False)

    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.create_index('ix_ticket_branch_day', ['branch_id', 'business_date'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.drop_index('ix_ticket_branch_day')

    with op.batch_alter_table('outgoingsms', schema=None) as batch_op:
        batch_op.drop_index('ix_outgoingsms_created')

    with op.batch_alter_table('letterstep', schema=None) as batch_op:
        batch_op.drop_index('ix_letterstep_kind_at')

    with op.batch_alter_table('letter', schema=None) as batch_op:
        batch_op.drop_index('ix_letter_branch_created')

