"""Every screen of the product in one list: how to reach it (a path, with the demo
sign-in it needs and the references `tests.stage.prepare` made for it), the kind of
device it runs on (`tests.devices.DEVICES`) and, on kiosk, display and rating
screens, the step's primary action. The screen tests and the screenshot script both
walk this list; a new screen is added here."""

from __future__ import annotations

from dataclasses import dataclass

from tests.devices import DEVICES, Size


@dataclass(frozen=True)
class Screen:
    name: str
    """Short, unique; used in test ids and screenshot file names."""
    path: str
    """Filled from the stage's references: `/l/{letter_token}`."""
    device: str
    """A key of DEVICES."""
    user: str | None = None
    """The demo sign-in it is opened with; None for a visitor who is not signed in."""
    primary: str | None = None
    """Selector of the step's primary action, which must be on the first screen."""
    ready: str | None = None
    """Selector to wait for before measuring (a page that fills itself in)."""
    title: str = ""
    """What the README calls it."""

    @property
    def sizes(self) -> tuple[Size, ...]:
        return DEVICES[self.device]

    def url(self, refs: dict[str, str]) -> str:
        return self.path.format(**refs)


KIOSK, DISPLAY, DESK, PHONE, TABLET = (
    "kiosk",
    "hall_display",
    "staff_desk",
    "citizen_phone",
    "rating_tablet",
)
HALL_STEP = "/kiosk?hall=men"
SERVICE_STEP = HALL_STEP + "&service=letter"

SCREENS: tuple[Screen, ...] = (
    # The kiosk, step by step (the demo kiosk serves both halls).
    Screen("kiosk-hall", "/kiosk", KIOSK, "kiosk", "a.choice", title="Kiosk: choose the hall"),
    Screen("kiosk-service", HALL_STEP, KIOSK, "kiosk", "a.choice", title="Kiosk: the service"),
    Screen(
        "kiosk-priority",
        SERVICE_STEP,
        KIOSK,
        "kiosk",
        "a.choice-plain",
        title="Kiosk: priority",
    ),  # fmt: skip
    Screen(
        "kiosk-phone",
        SERVICE_STEP + "&priority=none",
        KIOSK,
        "kiosk",
        ".phone-form button[type=submit]:not([name])",
        title="Kiosk: mobile number",
    ),  # fmt: skip
    Screen(
        "kiosk-appointment",
        "/kiosk/appointment",
        KIOSK,
        "kiosk",
        ".phone-form button[type=submit]",
        title="Kiosk: appointment check-in",
    ),  # fmt: skip
    Screen(
        "kiosk-remote",
        "/kiosk/remote",
        KIOSK,
        "kiosk",
        ".phone-form button[type=submit]",
        title="Kiosk: joined from a phone",
    ),  # fmt: skip
    Screen(
        "kiosk-ticket",
        "/kiosk/tickets/{ticket_id}",
        KIOSK,
        "kiosk",
        "[data-print]",
        title="Kiosk: the ticket",
    ),  # fmt: skip
    # The hall displays.
    Screen(
        "display-men",
        "/display",
        DISPLAY,
        "display-men",
        "[data-latest-number]",
        ready="[data-history] [data-row]",
        title="Hall display (men)",
    ),  # fmt: skip
    Screen(
        "display-women",
        "/display",
        DISPLAY,
        "display-women",
        "[data-latest]",
        title="Hall display (women)",
    ),  # fmt: skip
    # The rating tablet (a kiosk device) and the rating link.
    Screen(
        "rate-number",
        "/rate?manual=1",
        TABLET,
        "kiosk",
        ".rate-number-form button[type=submit]",
        title="Rating tablet: ticket number",
    ),  # fmt: skip
    Screen(
        "rate-visit",
        "/rate?number={rated_number}",
        TABLET,
        "kiosk",
        ".rate-send",
        title="Rating tablet: how was your visit",
    ),  # fmt: skip
    Screen(
        "rate-thanks",
        "/rate/thanks",
        TABLET,
        "kiosk",
        ".rate-thanks .button",
        title="Rating tablet: thanks",
    ),  # fmt: skip
    Screen("rate-link", "/r/{rated_token}", PHONE, title="Rating by SMS link"),
    # The citizen's pages behind the SMS links.
    Screen("track-ticket", "/t/{ticket_token}", PHONE, title="Ticket tracking (/t/)"),
    Screen("track-letter", "/l/{letter_token}", PHONE, title="Letter tracking (/l/)"),
    Screen(
        "track-syncing",
        "/t/{syncing_token}",
        PHONE,
        title="A mobile unit's link not synchronised yet (/t/)",
    ),
    Screen("track-appointment", "/a/{appointment_token}", PHONE, title="Appointment (/a/)"),
    Screen(
        "track-appointment-cancel",
        "/a/{appointment_token}/cancel",
        PHONE,
        title="Appointment: cancel",
    ),  # fmt: skip
    Screen(
        "track-appointment-reschedule",
        "/a/{appointment_token}/reschedule",
        PHONE,
        title="Appointment: another time",
    ),  # fmt: skip
    Screen(
        "track-remote",
        "/t/{remote_token}",
        PHONE,
        ready="[data-kiosk-code]",
        title="Ticket joined from a phone (/t/)",
    ),  # fmt: skip
    Screen("track-remote-late", "/t/{remote_token}/late", PHONE, title="Remote ticket: be late"),
    Screen(
        "track-remote-cancel",
        "/t/{remote_token}/cancel",
        PHONE,
        title="Remote ticket: cancel",
    ),  # fmt: skip
    # Joining the line from a phone.
    Screen("join", "/join/{branch}", PHONE, title="Join from a phone"),
    Screen("join-code", "/join/{branch}/code/{join_token}", PHONE, title="Join: the SMS code"),
    Screen("error", "/no-such-page", PHONE, title="Error page"),
    # Signing in and pairing.
    Screen("home", "/", DESK, title="Home"),
    Screen("login", "/staff/login", DESK, title="Staff sign-in"),
    Screen("device", "/device", DISPLAY, primary="button[type=submit]", title="Pair a device"),
    # The staff desks.
    Screen("console", "/staff", DESK, "operator-men", title="Staff console"),
    Screen("counter", "/staff/counters/{counter_id}", DESK, "operator-men", title="Counter"),
    Screen(
        "counter-close",
        "/staff/counters/{counter_id}/close-current",
        DESK,
        "operator-men",
        title="Counter: close the current visit",
    ),  # fmt: skip
    Screen("supervise", "/staff/supervise", DESK, "supervisor", title="Supervision"),
    Screen("letters", "/staff/letters", DESK, "operator-men", title="Letters desk"),
    Screen("letter-new", "/staff/letters/new", DESK, "operator-men", title="New letter"),
    Screen("letter", "/staff/letters/{letter_routed}", DESK, "supervisor", title="Letter (routed)"),
    Screen(
        "letter-triage",
        "/staff/letters/{letter_new}",
        DESK,
        "supervisor",
        title="Letter (to classify)",
    ),  # fmt: skip
    Screen("inbox", "/staff/inbox", DESK, "officer", title="Department inbox"),
    Screen("appointments", "/staff/appointments", DESK, "operator-men", title="Booking desk"),
    Screen(
        "appointment-slip",
        "/staff/appointments/{appointment_id}",
        DESK,
        "operator-men",
        title="Appointment slip",
    ),  # fmt: skip
    Screen(
        "appointment-cancel",
        "/staff/appointments/{appointment_id}/cancel",
        DESK,
        "operator-men",
        title="Appointment: cancel (staff)",
    ),  # fmt: skip
    Screen("calendar", "/staff/calendar", DESK, "operator-men", title="Calendar"),
    Screen("meetings", "/staff/meetings", DESK, "supervisor", title="Minister's office"),
    Screen("agenda", "/staff/agenda", DESK, "supervisor", title="Agenda"),
    Screen("dashboard", "/staff/dashboard", DESK, "supervisor", title="Dashboard"),
    Screen("reports", "/staff/reports", DESK, "supervisor", title="Reports"),
    Screen("reports-monthly", "/staff/reports/monthly", DESK, "supervisor", title="Monthly report"),
    Screen("admin", "/staff/admin", DESK, "admin", title="Administration"),
    Screen("admin-sms", "/staff/admin/sms", DESK, "admin", title="SMS texts"),
    Screen(
        "admin-units",
        "/staff/admin/units?branch=stage-mobile",
        DESK,
        "admin",
        title="Mobile units of a branch",
    ),
    Screen(
        "dashboard-mobile",
        "/staff/dashboard?branch=stage-mobile",
        DESK,
        "admin",
        title="Dashboard of a mobile branch: when its unit last synced",
    ),
    Screen(
        "reports-mobile",
        "/staff/reports?preset=week&branch=stage-mobile",
        DESK,
        "admin",
        title="Reports of a mobile branch: stops and days still arriving",
    ),
    Screen("account", "/staff/account", DESK, "operator-men", title="My account"),
    Screen("sync", "/staff/sync", DESK, "supervisor", title="A mobile unit's link to the centre"),
)

BY_NAME = {screen.name: screen for screen in SCREENS}
assert len(BY_NAME) == len(SCREENS), "screen names must be unique"

CHECKS = ("overflow", "overlap", "primary", "axe", "language", "bidi")
