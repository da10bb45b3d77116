"""display notice layout and volume per hall

Revision ID: 55d5f7a1ee6c
Revises: 79d5f99b4929
Create Date: 2026-11-23 13:24:04.775683

"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import reception.db


revision: str = '55d5f7a1ee6c'
down_revision: str | None = '79d5f99b4929'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('hall', schema=None) as batch_op:
        batch_op.add_column(sa.Column('notice_ar', sa.String(length=300), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('notice_en', sa.String(length=300), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('display_layout', sa.String(length=16), nullable=False, server_default='auto'))
        batch_op.add_column(sa.Column('announce_volume', sa.Integer(), nullable=False, server_default='80'))


def downgrade() -> None:
    with op.batch_alter_table('hall', schema=None) as batch_op:
        batch_op.drop_column('announce_volume')
        batch_op.drop_column('display_layout')
        batch_op.drop_column('notice_en')
        batch_op.drop_column('notice_ar')

