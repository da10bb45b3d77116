"""daily rollup by hour and hall

Revision ID: c41d7e2b9a10
Revises: b7c1e5d2a9f4
Create Date: 2026-12-06 11:50:00.000000

Adds the rolled-up tickets per hall and local hour (`ticketdayhour`) with the exact
histogram of their waits (`ticketdayhourwait`). Days rolled up before this revision
have neither these rows nor the `hall_residency` and `hall_mobile` figures, so the
rollup is emptied: it is only a summary of tickets that are all still there, and the
next end-of-day pass rolls every closed day up again, with the new figures.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c41d7e2b9a10"
down_revision: str | None = "b7c1e5d2a9f4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ticketdayhour",
        sa.Column("branch_id", sa.Integer(), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("hall_id", sa.Integer(), nullable=False),
        sa.Column("hour", sa.Integer(), nullable=False),
        sa.Column("arrivals", sa.Integer(), nullable=False),
        sa.Column("calls", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["branch_id"], ["branch.id"]),
        sa.ForeignKeyConstraint(["hall_id"], ["hall.id"]),
        sa.PrimaryKeyConstraint("branch_id", "business_date", "hall_id", "hour"),
    )
    op.create_table(
        "ticketdayhourwait",
        sa.Column("branch_id", sa.Integer(), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("hall_id", sa.Integer(), nullable=False),
        sa.Column("hour", sa.Integer(), nullable=False),
        sa.Column("seconds", sa.Integer(), nullable=False),
        sa.Column("tickets", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["branch_id"], ["branch.id"]),
        sa.ForeignKeyConstraint(["hall_id"], ["hall.id"]),
        sa.PrimaryKeyConstraint("branch_id", "business_date", "hall_id", "hour", "seconds"),
    )
    for table in ("ticketdayfigure", "ticketdayduration", "ticketday"):
        op.execute(sa.text(f"DELETE FROM {table}"))


def downgrade() -> None:
    op.drop_table("ticketdayhourwait")
    op.drop_table("ticketdayhour")
