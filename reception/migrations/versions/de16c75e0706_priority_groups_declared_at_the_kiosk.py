"""priority groups declared at the kiosk

Revision ID: de16c75e0706
Revises: fe02d1d2ffde
Create Date: 2026-11-23 11:38:46.751318

"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import reception.db


revision: str = 'de16c75e0706'
down_revision: str | None = 'fe02d1d2ffde'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('prioritygroup', schema=None) as batch_op:
        batch_op.add_column(sa.Column('at_kiosk', sa.Boolean(), nullable=False, server_default=sa.true()))
        batch_op.add_column(sa.Column('sort_order', sa.Integer(), nullable=False, server_default='0'))
    op.execute("UPDATE prioritygroup SET at_kiosk = false WHERE slug = 'appointment'")



def downgrade() -> None:
    with op.batch_alter_table('prioritygroup', schema=None) as batch_op:
        batch_op.drop_column('sort_order')
        batch_op.drop_column('at_kiosk')

