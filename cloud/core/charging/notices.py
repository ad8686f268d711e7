"""What a resident is told about charging, and when (pure): the texts and the reminder and free-socket rules.

Kinds a resident opts in to (``GET/PUT /api/v1/me/notifications``):

- ``finished``: "charging finished, please move your bike", then up to ``reminders`` reminders every
  ``reminder_s`` while the bike still occupies the socket (the national guide the issue cites lets staff move a
  bike after 3 reminders; the interval is a setting, 15 minutes by default: an assumption);
- ``stopped``: "your session stopped because ..." (a fault, an interlock, a refusal, no confirmation, staff),
  and the normal ends (unplugged, resident stop, limits) with their cost;
- ``free_socket``: "a socket is free in shed X", once per free-up, at most once per ``free_every_s`` per shed.
"""

from dataclasses import dataclass

from cloud.core.charging.machine import Notice
from cloud.core.charging.model import EndReason, Session
from cloud.core.notify.message import AlertText

_WHY: dict[EndReason, str] = {
    EndReason.FULL: "the battery is full",
    EndReason.UNPLUGGED: "the bike was unplugged",
    EndReason.RESIDENT_STOP: "you stopped it",
    EndReason.STAFF_STOP: "staff stopped it",
    EndReason.TIME_LIMIT: "its time limit was reached",
    EndReason.ENERGY_LIMIT: "its energy limit was reached",
    EndReason.FAULT: "the socket faulted",
    EndReason.REFUSED: "the shed did not switch this socket on; please try another one",
    EndReason.NOT_CONFIRMED: "the charging post did not confirm it switched on",
}


@dataclass(frozen=True, slots=True)
class ReminderPolicy:
    """``reminders`` "please move your bike" reminders after the first notice, one every ``reminder_s``."""

    reminders: int = 3
    reminder_s: float = 900.0
    free_every_s: float = 900.0


def opted_in(notice: Notice, *, finished: bool, stopped: bool) -> bool:
    """Whether a resident with these opt-ins hears of this notice on their channel (the page always does)."""
    return finished if notice is Notice.FINISHED else stopped


def session_text(session: Session, notice: Notice | str, *, cost_fen: int) -> AlertText:
    """The notice's title and body: where, why, energy and cost."""
    where = f"socket {session.socket.socket} of {session.socket.device} in shed {session.socket.shed}"
    spent = f"{session.energy_wh / 1000:.2f} kWh, {cost_fen / 100:.2f} yuan"
    reason = session.end_reason
    why = _WHY.get(reason, reason.value) if reason else "it ended"
    # A refusal's detail is the edge's staff wording ("post-1/3 was stopped by an operator: start_socket first"):
    # it stays on the session and in the audit for staff; the resident gets the plain sentence alone.
    if session.end_detail and reason not in (EndReason.FULL, EndReason.UNPLUGGED, EndReason.REFUSED):
        why = f"{why} ({session.end_detail})"
    ref = f"Ref: {session.session_id}"
    if notice in (Notice.FINISHED, "reminder"):
        title = (
            "Charging finished: please move your bike"
            if notice == Notice.FINISHED
            else "Reminder: please move your bike"
        )
        return AlertText(title, f"Your bike at {where} is fully charged ({spent}). Please collect it. {ref}")
    if notice == Notice.STOPPED:
        return AlertText(
            "Your charging session stopped", f"Your session at {where} stopped because {why} ({spent}). {ref}"
        )
    return AlertText("Your charging session ended", f"Your session at {where} ended: {why} ({spent}). {ref}")


def reminders_due(ended_ms: int, sent: int, now_ms: int, policy: ReminderPolicy) -> int:
    """How many reminders should have been queued by ``now_ms`` (at most ``policy.reminders``), given ``sent``."""
    if policy.reminder_s <= 0:
        return sent
    elapsed = (now_ms - ended_ms) / 1000
    return max(sent, min(policy.reminders, int(elapsed // policy.reminder_s)))


def free_text(shed: str, free: int) -> AlertText:
    """ "A socket is free in shed X"."""
    plural = "socket is" if free == 1 else "sockets are"
    return AlertText(f"A socket is free in shed {shed}", f"{free} {plural} free in shed {shed} now.")


def free_notice_due(last_sent_ms: int, now_ms: int, policy: ReminderPolicy) -> bool:
    """True when the resident may hear of a free socket in this shed again (rate limited per shed)."""
    return last_sent_ms <= 0 or now_ms - last_sent_ms >= policy.free_every_s * 1000
