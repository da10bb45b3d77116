"""Letter suggestions: whether the operator took the model's first suggestion

Revision ID: c3f7a9e1d5b2
Revises: c3d9e5f1a702
Create Date: 2026-12-06 20:45:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import reception.columns

revision: str = "c3f7a9e1d5b2"
down_revision: str | None = "c3d9e5f1a702"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "suggestion_decision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("letter_id", sa.Integer(), nullable=False),
        sa.Column("branch_id", sa.Integer(), nullable=False),
        sa.Column("suggested", sa.String(length=40), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("chosen", sa.String(length=40), nullable=False),
        sa.Column("accepted", sa.Boolean(), nullable=False),
        sa.Column("decided_at", reception.columns.UTCDateTime(), nullable=False),
        sa.Column("model_version", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["branch_id"], ["branch.id"]),
        sa.ForeignKeyConstraint(["letter_id"], ["letter.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_suggestion_decision_branch_at",
        "suggestion_decision",
        ["branch_id", "decided_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_suggestion_decision_letter_id"),
        "suggestion_decision",
        ["letter_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_suggestion_decision_letter_id"), table_name="suggestion_decision")
    op.drop_index("ix_suggestion_decision_branch_at", table_name="suggestion_decision")
    op.drop_table("suggestion_decision")
