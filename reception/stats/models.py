"""Daily rollups of the tickets of closed business days (see reception/stats/rollup.py).

A closed day's tickets never change again, so its figures are added up once and
read back instead of the tickets themselves."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import String
from sqlmodel import Field, SQLModel

from reception.clock import utcnow
from reception.columns import UTCDateTime


class TicketDay(SQLModel, table=True):
    """A (branch, business date) whose tickets are rolled up: the marker, and the
    day's visitors for the series."""

    branch_id: int = Field(foreign_key="branch.id", primary_key=True)
    business_date: date = Field(primary_key=True)
    visitors: int = 0
    rolled_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class TicketDayFigure(SQLModel, table=True):
    """One figure of a rolled-up day: the day's visitors split along one dimension
    (`hall`, `residency`, `service`, `priority`, `status`; `counter` and `operator`
    only for tickets done or not come at a counter), `key` the id or value as text
    ("" for none). Durations are whole seconds."""

    branch_id: int = Field(foreign_key="branch.id", primary_key=True)
    business_date: date = Field(primary_key=True)
    dimension: str = Field(sa_type=String(16), primary_key=True)
    key: str = Field(sa_type=String(32), primary_key=True)
    tickets: int = 0
    done: int = 0
    no_shows: int = 0
    wait_count: int = 0
    wait_seconds: int = 0
    service_count: int = 0
    service_seconds: int = 0


class TicketDayDuration(SQLModel, table=True):
    """Exact histogram of a rolled-up day's waits or service times (`measure`) in
    whole seconds: how many tickets took exactly `seconds`."""

    branch_id: int = Field(foreign_key="branch.id", primary_key=True)
    business_date: date = Field(primary_key=True)
    measure: str = Field(sa_type=String(8), primary_key=True)
    seconds: int = Field(primary_key=True)
    tickets: int = 0


class TicketDayHour(SQLModel, table=True):
    """A rolled-up day's tickets per hall and local hour (0–23 in the branch's time
    zone): `arrivals` issued in that hour, `calls` called to a counter in that hour
    (their last call)."""

    branch_id: int = Field(foreign_key="branch.id", primary_key=True)
    business_date: date = Field(primary_key=True)
    hall_id: int = Field(foreign_key="hall.id", primary_key=True)
    hour: int = Field(primary_key=True)
    arrivals: int = 0
    calls: int = 0


class TicketDayHourWait(SQLModel, table=True):
    """Exact histogram of a rolled-up day's waits per hall and local hour of arrival:
    how many tickets issued in that hour waited exactly `seconds`."""

    branch_id: int = Field(foreign_key="branch.id", primary_key=True)
    business_date: date = Field(primary_key=True)
    hall_id: int = Field(foreign_key="hall.id", primary_key=True)
    hour: int = Field(primary_key=True)
    seconds: int = Field(primary_key=True)
    tickets: int = 0
