"""index of recent visits for live service times

Revision ID: 2ce5fa5abad7
Revises: de16c75e0706
Create Date: 2026-11-23 11:42:01.987390

"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import reception.db


revision: str = '2ce5fa5abad7'
down_revision: str | None = 'de16c75e0706'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.create_index(
            'ix_ticket_recent_visits', ['hall_id', 'service_id', 'status', 'finished_at']
        )


def downgrade() -> None:
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.drop_index('ix_ticket_recent_visits')
