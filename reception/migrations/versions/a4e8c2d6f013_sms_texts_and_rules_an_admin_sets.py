"""SMS texts and sending rules an administrator sets

Revision ID: a4e8c2d6f013
Revises: a7c3e91d4b20
Create Date: 2026-12-06 17:50:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import reception.columns

revision: str = "a4e8c2d6f013"
down_revision: str | None = "a7c3e91d4b20"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

QUIET_EXEMPT = ("ticket_issued", "ticket_next", "ticket_called")
"""Sent in the quiet hours as before: the visitor is in the hall now."""


def upgrade() -> None:
    rules = op.create_table(
        "smspurposerule",
        sa.Column("purpose", sa.String(length=40), nullable=False),
        sa.Column("quiet_exempt", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("purpose"),
    )
    op.create_table(
        "smstemplate",
        sa.Column("purpose", sa.String(length=40), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("updated_at", reception.columns.UTCDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(length=80), nullable=False),
        sa.PrimaryKeyConstraint("purpose", "language"),
    )
    op.bulk_insert(rules, [{"purpose": p, "quiet_exempt": True} for p in QUIET_EXEMPT])


def downgrade() -> None:
    op.drop_table("smstemplate")
    op.drop_table("smspurposerule")
