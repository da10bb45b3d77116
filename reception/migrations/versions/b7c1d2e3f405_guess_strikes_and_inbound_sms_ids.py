"""guess strikes and the ids of inbound sms

Revision ID: b7c1d2e3f405
Revises: 5b7e2c91d4a8
Create Date: 2026-12-06 11:45:00.000000

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import reception.columns

revision: str = 'b7c1d2e3f405'
down_revision: str | None = '5b7e2c91d4a8'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('guessstrike',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.String(length=24), nullable=False),
    sa.Column('key', sa.String(length=32), nullable=False),
    sa.Column('at', reception.columns.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('guessstrike', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_guessstrike_at'), ['at'], unique=False)
        batch_op.create_index('ix_guessstrike_scope_key_at', ['scope', 'key', 'at'], unique=False)

    op.create_table('inboundsms',
    sa.Column('message_sid', sa.String(length=64), nullable=False),
    sa.Column('at', reception.columns.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('message_sid')
    )
    with op.batch_alter_table('inboundsms', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inboundsms_at'), ['at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('inboundsms', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inboundsms_at'))

    op.drop_table('inboundsms')
    with op.batch_alter_table('guessstrike', schema=None) as batch_op:
        batch_op.drop_index('ix_guessstrike_scope_key_at')
        batch_op.drop_index(batch_op.f('ix_guessstrike_at'))

    op.drop_table('guessstrike')
