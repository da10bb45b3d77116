"""walk-in or appointment services

Revision ID: f964571a1914
Revises: ffadfa86ed9c
Create Date: 2026-11-23 12:45:29.884450

"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import reception.db


revision: str = 'f964571a1914'
down_revision: str | None = 'ffadfa86ed9c'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('service', schema=None) as batch_op:
        batch_op.add_column(sa.Column('mode', sa.String(length=16), nullable=False, server_default='both'))


def downgrade() -> None:
    with op.batch_alter_table('service', schema=None) as batch_op:
        batch_op.drop_column('mode')
