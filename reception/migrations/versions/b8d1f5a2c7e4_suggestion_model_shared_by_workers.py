"""Letter suggestions: one stored model for every worker, and the training under way

Revision ID: b8d1f5a2c7e4
Revises: a4e8c2d6f013
Create Date: 2026-12-06 20:40:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import reception.columns

revision: str = "b8d1f5a2c7e4"
down_revision: str | None = "a4e8c2d6f013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "suggestion_model",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", reception.columns.UTCDateTime(), nullable=False),
        sa.Column("decisions", sa.Integer(), nullable=False),
        sa.Column("seeds", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    training = op.create_table(
        "suggestion_training",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("owner", sa.String(length=80), nullable=False),
        sa.Column("started_at", reception.columns.UTCDateTime(), nullable=True),
        sa.Column("progress", sa.Float(), nullable=False),
        sa.Column("running", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.bulk_insert(
        training, [{"id": 1, "fingerprint": "", "owner": "", "progress": 0.0, "running": False}]
    )


def downgrade() -> None:
    op.drop_table("suggestion_training")
    op.drop_table("suggestion_model")
