"""waiting counts kept by triggers

Revision ID: a3a87f817dc4
Revises: 2fc6c063ce03
Create Date: 2026-12-03 07:15:34.582595

`waitingcount` holds how many tickets wait per hall, service and priority weight.
Triggers on `ticket` keep it for every insert, update and delete, so no code path can
forget it. On SQLite a migration that rebuilds the `ticket` table (batch mode with a
"move and copy") drops its triggers: such a migration must create them again
(`create_triggers`); tests/test_waiting_count.py fails when they are missing.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a3a87f817dc4"
down_revision: str | None = "2fc6c063ce03"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PLUS = """
    INSERT INTO waitingcount (hall_id, service_id, priority_weight, waiting)
    VALUES (NEW.hall_id, NEW.service_id, NEW.priority_weight, 1)
    ON CONFLICT (hall_id, service_id, priority_weight)
    DO UPDATE SET waiting = waitingcount.waiting + 1;
"""
_MINUS = """
    UPDATE waitingcount SET waiting = waiting - 1
    WHERE hall_id = OLD.hall_id AND service_id = OLD.service_id
      AND priority_weight = OLD.priority_weight;
"""
_COLUMNS = "status, hall_id, service_id, priority_weight"

SQLITE_TRIGGERS = {
    "ticket_waiting_insert": (
        f"AFTER INSERT ON ticket WHEN NEW.status = 'waiting' BEGIN {_PLUS} END"
    ),
    "ticket_waiting_leave": (
        f"AFTER UPDATE OF {_COLUMNS} ON ticket WHEN OLD.status = 'waiting' BEGIN {_MINUS} END"
    ),
    "ticket_waiting_enter": (
        f"AFTER UPDATE OF {_COLUMNS} ON ticket WHEN NEW.status = 'waiting' BEGIN {_PLUS} END"
    ),
    "ticket_waiting_delete": (
        f"AFTER DELETE ON ticket WHEN OLD.status = 'waiting' BEGIN {_MINUS} END"
    ),
}

POSTGRES_FUNCTION = f"""
CREATE OR REPLACE FUNCTION ticket_waiting_count() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' OR TG_OP = 'DELETE' THEN
        IF OLD.status = 'waiting' THEN
            {_MINUS}
        END IF;
    END IF;
    IF TG_OP = 'UPDATE' OR TG_OP = 'INSERT' THEN
        IF NEW.status = 'waiting' THEN
            {_PLUS}
        END IF;
    END IF;
    RETURN NULL;
END
$$
"""
POSTGRES_TRIGGER = (
    f"CREATE TRIGGER ticket_waiting_count AFTER INSERT OR UPDATE OF {_COLUMNS} OR DELETE "
    "ON ticket FOR EACH ROW EXECUTE FUNCTION ticket_waiting_count()"
)

_BACKFILL = """
INSERT INTO waitingcount (hall_id, service_id, priority_weight, waiting)
SELECT hall_id, service_id, priority_weight, COUNT(*) FROM ticket
WHERE status = 'waiting' GROUP BY hall_id, service_id, priority_weight
"""


def create_triggers() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRES_FUNCTION)
        op.execute(POSTGRES_TRIGGER)
    else:
        for name, body in SQLITE_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {body}")


def drop_triggers() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS ticket_waiting_count ON ticket")
        op.execute("DROP FUNCTION IF EXISTS ticket_waiting_count()")
    else:
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")


def upgrade() -> None:
    op.create_table(
        "waitingcount",
        sa.Column("hall_id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("priority_weight", sa.Integer(), nullable=False),
        sa.Column("waiting", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("hall_id", "service_id", "priority_weight"),
    )
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.create_index(
            "ix_ticket_queue_order",
            ["hall_id", "status", "priority_weight", "queue_key", "id"],
            unique=False,
        )
    op.execute(_BACKFILL)
    create_triggers()


def downgrade() -> None:
    drop_triggers()
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.drop_index("ix_ticket_queue_order")
    op.drop_table("waitingcount")
