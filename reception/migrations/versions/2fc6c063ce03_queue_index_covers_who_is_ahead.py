"""queue index covers who is ahead

Revision ID: 2fc6c063ce03
Revises: 2e2c0035e0c7
Create Date: 2026-11-23 19:33:31.041097

"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import reception.db


revision: str = "2fc6c063ce03"
down_revision: str | None = "2e2c0035e0c7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ticket_queue"))
        batch_op.create_index(
            "ix_ticket_queue",
            ["hall_id", "status", "service_id", "priority_weight", "queue_key"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.drop_index("ix_ticket_queue")
        batch_op.create_index(
            batch_op.f("ix_ticket_queue"), ["hall_id", "status", "service_id"], unique=False
        )
