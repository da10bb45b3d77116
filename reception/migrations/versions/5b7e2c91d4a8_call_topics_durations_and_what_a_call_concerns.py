"""call topics, durations and what a call concerns

Revision ID: 5b7e2c91d4a8
Revises: c41d7e2b9a10
Create Date: 2026-12-06 11:40:00.000000

Phone calls in the call log (`enquiry`) get a topic from an administered list
(`calltopic`), a length in whole minutes, the hall, and optionally the letter or the
ticket they concern. Calls logged before get the topic "other"; a note that is only a
number of minutes ("5", "12 min", "٧ دقائق") gives their length, any other note none.
"""

import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5b7e2c91d4a8"
down_revision: str | None = "c41d7e2b9a10"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_MINUTES = re.compile(
    r"^\s*(\d{1,3})\s*(m|min|mins|minute|minutes|د|دق|دقيقة|دقيقه|دقائق)?\.?\s*$",
    re.IGNORECASE,
)
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")


def minutes_of(note: str) -> int | None:
    """The length of an old call when its note is only a number of minutes (1–240)."""
    found = _MINUTES.match((note or "").translate(_DIGITS))
    if found is None:
        return None
    value = int(found.group(1))
    return value if 1 <= value <= 240 else None


def upgrade() -> None:
    op.create_table(
        "calltopic",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=40), nullable=False),
        sa.Column("name_ar", sa.String(length=160), nullable=False),
        sa.Column("name_en", sa.String(length=160), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("calltopic", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_calltopic_slug"), ["slug"], unique=True)

    topics = sa.table(
        "calltopic",
        sa.column("id", sa.Integer()),
        sa.column("slug", sa.String()),
        sa.column("name_ar", sa.String()),
        sa.column("name_en", sa.String()),
        sa.column("active", sa.Boolean()),
        sa.column("sort_order", sa.Integer()),
    )
    conn = op.get_bind()
    conn.execute(
        topics.insert().values(
            slug="other", name_ar="أخرى", name_en="Other", active=True, sort_order=1000
        )
    )
    other = conn.execute(sa.select(topics.c.id).where(topics.c.slug == "other")).scalar_one()

    with op.batch_alter_table("enquiry", schema=None) as batch_op:
        batch_op.add_column(sa.Column("hall_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("topic_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("duration_minutes", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("letter_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("ticket_id", sa.Integer(), nullable=True))

    calls = sa.table(
        "enquiry",
        sa.column("id", sa.Integer()),
        sa.column("note", sa.Text()),
        sa.column("topic_id", sa.Integer()),
        sa.column("duration_minutes", sa.Integer()),
    )
    conn.execute(calls.update().values(topic_id=other))
    for call_id, note in conn.execute(sa.select(calls.c.id, calls.c.note)).all():
        minutes = minutes_of(note)
        if minutes is not None:
            conn.execute(
                calls.update().where(calls.c.id == call_id).values(duration_minutes=minutes)
            )

    with op.batch_alter_table("enquiry", schema=None) as batch_op:
        batch_op.alter_column("topic_id", existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key("fk_enquiry_hall_id_hall", "hall", ["hall_id"], ["id"])
        batch_op.create_foreign_key(
            "fk_enquiry_topic_id_calltopic", "calltopic", ["topic_id"], ["id"]
        )
        batch_op.create_foreign_key("fk_enquiry_letter_id_letter", "letter", ["letter_id"], ["id"])
        batch_op.create_foreign_key("fk_enquiry_ticket_id_ticket", "ticket", ["ticket_id"], ["id"])
        batch_op.create_index(batch_op.f("ix_enquiry_letter_id"), ["letter_id"], unique=False)
        batch_op.create_index("ix_enquiry_topic_at", ["topic_id", "at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("enquiry", schema=None) as batch_op:
        batch_op.drop_index("ix_enquiry_topic_at")
        batch_op.drop_index(batch_op.f("ix_enquiry_letter_id"))
        batch_op.drop_constraint("fk_enquiry_ticket_id_ticket", type_="foreignkey")
        batch_op.drop_constraint("fk_enquiry_letter_id_letter", type_="foreignkey")
        batch_op.drop_constraint("fk_enquiry_topic_id_calltopic", type_="foreignkey")
        batch_op.drop_constraint("fk_enquiry_hall_id_hall", type_="foreignkey")
        batch_op.drop_column("ticket_id")
        batch_op.drop_column("letter_id")
        batch_op.drop_column("duration_minutes")
        batch_op.drop_column("topic_id")
        batch_op.drop_column("hall_id")

    with op.batch_alter_table("calltopic", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_calltopic_slug"))
    op.drop_table("calltopic")
