"""Human labels for stored codes, marked for translation."""

from __future__ import annotations

from reception.errors import N_

STATUS_LABELS: dict[str, str] = {
    "waiting": N_("waiting"),
    "called": N_("called"),
    "serving": N_("being served"),
    "done": N_("done"),
    "no_show": N_("missed"),
    "transferred": N_("transferred"),
    "cancelled": N_("cancelled"),
    "expired": N_("closed at the end of the day"),
    "booked": N_("booked"),
    "checked_in": N_("checked in"),
    "received": N_("received"),
    "classified": N_("classified"),
    "routed": N_("sent to the department"),
    "in_progress": N_("being worked on"),
    "returned": N_("returned to triage"),
    "answered": N_("answered"),
    "closed": N_("closed"),
    "rejected": N_("not accepted"),
    "merged": N_("merged with another letter"),
}

TICKET_EVENT_LABELS: dict[str, str] = {
    "ticket.issue": N_("ticket taken"),
    "ticket.call": N_("called"),
    "ticket.recall": N_("called again"),
    "ticket.start": N_("arrived at the counter"),
    "ticket.finish": N_("finished"),
    "ticket.no_show": N_("did not come"),
    "ticket.return": N_("back in the queue"),
    "ticket.transfer": N_("sent to another service"),
    "ticket.requeue": N_("waiting again"),
    "ticket.cancel": N_("cancelled"),
    "ticket.expire": N_("closed at the end of the day"),
    "ticket.residency": N_("residency corrected"),
}

OUTCOME_LABELS: dict[str, str] = {
    "served": N_("Served"),
    "letter_received": N_("Letter received"),
    "referred": N_("Referred elsewhere"),
    "follow_up": N_("Needs a follow-up"),
}

ROLE_LABELS: dict[str, str] = {
    "admin": N_("Administrator"),
    "supervisor": N_("Supervisor"),
    "operator": N_("Operator"),
    "department_officer": N_("Department officer"),
    "kiosk": N_("Kiosk device"),
    "display": N_("Display device"),
}

COUNTER_STATUS_LABELS: dict[str, str] = {
    "open": N_("open"),
    "paused": N_("paused"),
    "closed": N_("closed"),
}
STATUS_LABELS.update(COUNTER_STATUS_LABELS)

DAY_NAMES = {
    "sun": N_("Sunday"),
    "mon": N_("Monday"),
    "tue": N_("Tuesday"),
    "wed": N_("Wednesday"),
    "thu": N_("Thursday"),
    "fri": N_("Friday"),
    "sat": N_("Saturday"),
}

LETTER_STEP_LABELS = {
    "receive": N_("received"),
    "classify": N_("classified"),
    "route": N_("sent to the department"),
    "accept": N_("accepted by the department"),
    "note": N_("internal note"),
    "request_info": N_("more information requested from the citizen"),
    "answer": N_("answered"),
    "return": N_("returned to triage"),
    "reopen": N_("reopened"),
    "close": N_("closed"),
    "reject": N_("not accepted"),
    "merge": N_("merged with another letter"),
    "call_in": N_("incoming call"),
    "call_out": N_("outgoing call"),
    "attach": N_("scan attached"),
}
