"""stops of mobile units

Revision ID: ae82470df34c
Revises: 42a13eeed70e
Create Date: 2026-11-23 12:08:46.483378

"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import reception.db


revision: str = 'ae82470df34c'
down_revision: str | None = '42a13eeed70e'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('branchstop',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('branch_id', sa.Integer(), nullable=False),
    sa.Column('place_ar', sa.String(length=160), nullable=False),
    sa.Column('place_en', sa.String(length=160), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['branch_id'], ['branch.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('branchstop', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_branchstop_branch_id'), ['branch_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('branchstop', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_branchstop_branch_id'))

    op.drop_table('branchstop')
