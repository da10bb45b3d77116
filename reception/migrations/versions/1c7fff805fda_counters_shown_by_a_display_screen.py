"""counters shown by a display screen

Revision ID: 1c7fff805fda
Revises: 55d5f7a1ee6c
Create Date: 2026-11-23 13:38:57.688832

"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import reception.db


revision: str = '1c7fff805fda'
down_revision: str | None = '55d5f7a1ee6c'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('apitoken', schema=None) as batch_op:
        batch_op.add_column(sa.Column('display_counters', sa.String(length=200), nullable=False, server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('apitoken', schema=None) as batch_op:
        batch_op.drop_column('display_counters')

