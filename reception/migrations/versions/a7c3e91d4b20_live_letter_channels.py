"""live letter channels: a sequence per letters channel, SLA breach told once

Revision ID: a7c3e91d4b20
Revises: 5d0c4e1f7a92
Create Date: 2026-12-06 18:00:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import reception.columns

revision: str = "a7c3e91d4b20"
down_revision: str | None = "5d0c4e1f7a92"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "letterfeed",
        sa.Column("channel", sa.String(length=60), nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("channel"),
    )
    with op.batch_alter_table("letter", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "sla_breach_told_at", reception.columns.UTCDateTime(timezone=True), nullable=True
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("letter", schema=None) as batch_op:
        batch_op.drop_column("sla_breach_told_at")
    op.drop_table("letterfeed")
