"""server-side staff sessions

Revision ID: 5d0c4e1f7a92
Revises: b7c1d2e3f405
Create Date: 2026-12-06 11:30:00.000000

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import reception.columns

revision: str = '5d0c4e1f7a92'
down_revision: str | None = 'b7c1d2e3f405'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'staffsession',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('secret_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', reception.columns.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['staffuser.id'], ),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('staffsession', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_staffsession_secret_hash'), ['secret_hash'], unique=True
        )
        batch_op.create_index(batch_op.f('ix_staffsession_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('staffsession', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staffsession_user_id'))
        batch_op.drop_index(batch_op.f('ix_staffsession_secret_hash'))
    op.drop_table('staffsession')
