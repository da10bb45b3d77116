"""What the letter page tells the operator in words: the next step at every state (and
whose move it is), and each line of the history as a move a person made, by name.

Names and references typed by people or the system go into the sentences isolated
(`<bdi>`), so an Arabic sentence keeps its order around a Latin reference or a name."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from reception.errors import N_
from reception.i18n import translations
from reception.labels import ROLE_LABELS

# (status, the viewer's side) → what happens next. The side is "department" for a
# department officer and "triage" for everyone else (operators, supervisors, admins).
NEXT_STEPS: dict[tuple[str, str], str] = {
    ("received", "triage"): N_(
        "Choose the category below and send the letter on: the routing rules pick the "
        "department unless you choose one."
    ),
    ("classified", "triage"): N_(
        "Classified but not yet sent: confirm the category below to send it to its department."
    ),
    ("returned", "triage"): N_(
        "The department returned it to triage: read the reason in the history, then "
        "classify it again, merge it or do not accept it."
    ),
    ("returned", "department"): N_(
        "Returned to triage: triage decides where it goes next. Nothing to do here."
    ),
    ("routed", "triage"): N_(
        "Waiting for {department} to accept it. Nothing to do here unless it comes back."
    ),
    ("routed", "department"): N_(
        "Accept it to start work, or return it to triage with the reason."
    ),
    ("in_progress", "triage"): N_(
        "{department} is working on it. When it answers, you close the letter."
    ),
    ("in_progress", "department"): N_(
        "Work on it: add notes, ask the citizen for more information if needed, then "
        "answer. Return it to triage if it is not for your department."
    ),
    ("answered", "triage"): N_("{department} has answered: close the letter."),
    ("answered", "department"): N_(
        "Answered: triage closes the letter. Reopen it if the answer must change."
    ),
    ("closed", "triage"): N_("Closed: nothing more to do."),
    ("rejected", "triage"): N_("Not accepted: nothing more to do."),
    ("merged", "triage"): N_("Merged into {reference}: the work goes on there."),
}
WITHOUT_DEPARTMENT = N_("the department")

# kind of step → (what it did, what it did when it names what it decided)
MOVES: dict[str, tuple[str, str | None]] = {
    "receive": (N_("Letter registered"), None),
    "classify": (N_("Classified"), N_("Category set: {category}")),
    "route": (N_("Sent to the department"), N_("Sent to {department}")),
    "accept": (N_("Accepted by the department"), N_("Accepted by {department}")),
    "note": (N_("Internal note"), None),
    "request_info": (N_("More information asked of the citizen"), None),
    "answer": (N_("Answered"), N_("Answered by {department}")),
    "return": (N_("Returned to triage"), N_("Returned to triage by {department}")),
    "reopen": (N_("Reopened"), None),
    "close": (N_("Closed the letter"), None),
    "reject": (N_("Not accepted"), None),
    "merge": (N_("Merged"), N_("Merged into {reference}")),
    "call_in": (N_("Incoming call"), None),
    "call_out": (N_("Outgoing call"), None),
    "attach": (N_("Scan attached"), None),
}
CATEGORY_CHANGED = N_("Category changed from {before} to {category}")
THE_SYSTEM = N_("the system")


def _say(language: str, message: str, codes: frozenset[str] = frozenset(), **names: Any) -> Markup:
    """`message` translated and escaped, each value isolated; the ones named in `codes`
    (references) read left to right."""
    isolated = {
        key: Markup('<bdi dir="ltr">{}</bdi>' if key in codes else "<bdi>{}</bdi>").format(value)
        for key, value in names.items()
    }
    return Markup.escape(translations(language).gettext(message)).format(**isolated)


def _local(row: Any, language: str) -> str:
    return str(getattr(row, f"name_{language}", "") or "")


def next_step(
    language: str,
    status: str,
    role: str,
    department: Any,
    merged_reference: str | None = None,
) -> Markup:
    """What happens next with a letter in `status`, as the viewer with `role` reads it."""
    side = "department" if role == "department_officer" else "triage"
    message = NEXT_STEPS.get((status, side)) or NEXT_STEPS.get((status, "triage"), "")
    if not message:
        return Markup("")
    names: dict[str, str] = {}
    if "{department}" in message:
        names["department"] = (
            _local(department, language)
            if department
            else translations(language).gettext(WITHOUT_DEPARTMENT)
        )
    if "{reference}" in message:
        names["reference"] = merged_reference or ""
    return _say(language, message, frozenset({"reference"}), **names)


def who(language: str, line: dict[str, Any]) -> str:
    """The person who made a step: the full name, else the account's role in words."""
    if line.get("name"):
        return str(line["name"])
    role = line.get("role") or "system"
    label = ROLE_LABELS.get(role, THE_SYSTEM)
    return translations(language).gettext(label)


def history(language: str, trail: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each step of `queries.trail` as a line: when, who, what it did, its note."""
    lines = []
    for line in trail:
        plain, named = MOVES.get(line["kind"], (line["kind"], None))
        what: Markup
        if line["kind"] == "classify" and line.get("category") and line.get("before"):
            what = _say(
                language,
                CATEGORY_CHANGED,
                before=_local(line["before"], language),
                category=_local(line["category"], language),
            )
        elif named and line.get("category"):
            what = _say(language, named, category=_local(line["category"], language))
        elif named and line.get("department"):
            what = _say(language, named, department=_local(line["department"], language))
        elif named and line.get("reference"):
            what = _say(language, named, frozenset({"reference"}), reference=line["reference"])
        else:
            what = _say(language, plain)
        lines.append(
            {
                "at": line["at"],
                "who": who(language, line),
                "named": bool(line.get("name")),
                "what": what,
                "note": line["note"],
                "public": line["public"],
            }
        )
    return lines
