"""Letter categories get a description and example phrases in Arabic and English

Revision ID: c3d9e5f1a702
Revises: b8d1f5a2c7e4
Create Date: 2026-12-06 20:30:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c3d9e5f1a702"
down_revision: str | None = "b8d1f5a2c7e4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("category", schema=None) as batch_op:
        for name in ("description_ar", "description_en"):
            batch_op.add_column(
                sa.Column(name, sa.String(length=600), nullable=False, server_default="")
            )
        for name in ("examples_ar", "examples_en"):
            batch_op.add_column(sa.Column(name, sa.JSON(), nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("category", schema=None) as batch_op:
        for name in ("examples_en", "examples_ar", "description_en", "description_ar"):
            batch_op.drop_column(name)
