"""The text of one alert: what happened where, how urgent, which step, and the person's own links."""

from dataclasses import dataclass

from protocol.uplink import AlarmClass

CLASS_TITLE: dict[AlarmClass, str] = {
    AlarmClass.FIRE: "FIRE",
    AlarmClass.PRE_FIRE: "PRE-FIRE",
    AlarmClass.SUPERVISORY: "Supervisory",
    AlarmClass.TROUBLE: "Trouble",
    AlarmClass.OPERATIONAL: "Operational",
    AlarmClass.SERVICE: "Service",
}

STEP_TEXT: dict[str, str] = {
    "open": "new incident",
    "ack_overdue_1": "ESCALATED: not accepted within the promise",
    "ack_overdue_2": "ESCALATED AGAIN: still not accepted",
    "onsite_overdue": "ESCALATED: nobody on site within the promise",
    "resolved": "resolved",
}


@dataclass(frozen=True, slots=True)
class AlertText:
    """Title and body of one alert."""

    title: str
    body: str


def compose(
    *,
    incident: str,
    shed: str,
    alarm_class: AlarmClass,
    step: str,
    summary: str,
    links: dict[str, str],
    cameras: tuple[str, ...] = (),
) -> AlertText:
    """The alert for one step of one incident to one person (``links``: action -> URL)."""
    # After a class upgrade the steps start again as upN_open, upN_ack_overdue_1, ... (see clocks.py).
    phase, _, base = step.partition("_") if step.startswith("up") and not step.startswith("update") else ("", "", step)
    what = STEP_TEXT.get(base, "update" if step.startswith("update") else step)
    if phase:
        what = "UPGRADED: " + ("more urgent incident" if base == "open" else what)
    title = f"[{CLASS_TITLE[alarm_class]}] {shed}: {what}"
    lines = [f"Incident {incident} at {shed}", summary]
    labels = {"ack": "Accept", "onsite": "I am on site", "view": "Incident page"}
    # A resolved incident takes no acceptance or arrival (the link would only be refused): its page only.
    shown = {a: u for a, u in links.items() if a == "view"} if base == "resolved" else links
    lines += [f"{labels.get(a, a)}: {u}" for a, u in shown.items()]
    lines += [f"Camera: {c}" for c in cameras]
    return AlertText(title, "\n".join(line for line in lines if line))
