"""general enquiries by phone

Revision ID: 820e08a9b964
Revises: 377b2f4edcc3
Create Date: 2026-11-23 14:15:37.139148

"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import reception.columns

revision: str = '820e08a9b964'
down_revision: str | None = '377b2f4edcc3'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('enquiry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('branch_id', sa.Integer(), nullable=False),
    sa.Column('direction', sa.String(length=4), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('actor', sa.String(length=40), nullable=False),
    sa.Column('at', reception.columns.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['branch_id'], ['branch.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('enquiry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_enquiry_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_enquiry_branch_id'), ['branch_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('enquiry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_enquiry_branch_id'))
        batch_op.drop_index(batch_op.f('ix_enquiry_at'))

    op.drop_table('enquiry')
