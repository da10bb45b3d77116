"""appointment residency

Revision ID: b7c1e5d2a9f4
Revises: a3a87f817dc4
Create Date: 2026-12-06 11:40:00.000000

The visitor's residency (citizen or resident) stated when booking; the ticket of the
check-in inherits it, so appointment holders count in the published statistics.
Only `appointment` changes: the `ticket` table (and its triggers) is left alone.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b7c1e5d2a9f4"
down_revision: str | None = "a3a87f817dc4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("appointment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("residency", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("appointment", schema=None) as batch_op:
        batch_op.drop_column("residency")
