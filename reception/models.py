"""Imports every table so `SQLModel.metadata` is complete (Alembic reads it here)."""

from sqlmodel import SQLModel

from reception.appointments.models import Appointment, MeetingRequest, SlotSeats, SlotTemplate
from reception.audit import AuditEntry
from reception.auth.models import ApiToken, GuessStrike, StaffSession, StaffUser, UserHall
from reception.edge.models import EdgeNode, EdgeOutbox, EdgeRow, EdgeUnit
from reception.feedback.models import Rating
from reception.letters.models import (
    Attachment,
    CallTopic,
    Category,
    Department,
    Enquiry,
    Letter,
    LetterFeed,
    LetterSequence,
    LetterStep,
    RoutingRule,
)
from reception.notify.models import InboundSms, OutgoingSms, SmsOptOut
from reception.queue.models import (
    Branch,
    BranchStop,
    Counter,
    CounterService,
    Hall,
    PriorityGroup,
    Service,
    Ticket,
    TicketSequence,
)
from reception.remote.models import RemoteJoin, RemotePolicy, RemoteTicket
from reception.stats.models import TicketDay, TicketDayDuration, TicketDayFigure

metadata = SQLModel.metadata

__all__ = [
    "EdgeNode",
    "EdgeOutbox",
    "EdgeRow",
    "EdgeUnit",
    "RemoteJoin",
    "RemotePolicy",
    "RemoteTicket",
    "Attachment",
    "CallTopic",
    "Category",
    "Department",
    "Enquiry",
    "Letter",
    "LetterFeed",
    "LetterSequence",
    "LetterStep",
    "RoutingRule",
    "ApiToken",
    "Appointment",
    "MeetingRequest",
    "Rating",
    "SlotSeats",
    "SlotTemplate",
    "AuditEntry",
    "Branch",
    "BranchStop",
    "Counter",
    "CounterService",
    "Hall",
    "OutgoingSms",
    "SmsOptOut",
    "InboundSms",
    "GuessStrike",
    "PriorityGroup",
    "Service",
    "StaffSession",
    "StaffUser",
    "Ticket",
    "TicketSequence",
    "TicketDay",
    "TicketDayDuration",
    "TicketDayFigure",
    "UserHall",
    "metadata",
]
