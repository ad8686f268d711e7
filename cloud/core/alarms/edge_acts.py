"""Which of the edge's interlock actions in a shed belong to one incident (pure).

An incident's "what the edge did" is read from the shed's stored InterlockAction events in its window (a minute
before it opened, since the edge cuts before the cloud hears the alarm, to its resolution). A long open incident,
a Service one (a bike left) say, would then also list the cuts of a later, separate fire in the same shed. So an
action belongs to the incident only when it is about the incident's own alarms:

- a trip's cut (its reason is an alarm type, not one of the edge's own interlock reasons, docs/protocol.md) when
  one of the incident's alarms has that type at that place;
- any other act (an operator's stop or start, a restore, a session's end, a post over its limit) when it touches a
  place of the incident's alarms: the same socket, a device-level alarm's device, or a shed-wide act or alarm.
"""

from collections.abc import Collection

from cloud.core.alarms.model import AlarmKey
from protocol.docgen import INTERLOCK_REASONS


def _touches(key: AlarmKey, scope: str, device: str | None, socket: int | None) -> bool:
    if scope == "shed" or not key.device:
        return True  # a shed-wide act, or an alarm of the shed (or its edge) as a whole
    if scope == "post" or not key.socket:
        return key.device == device  # a post-wide act, or an alarm of a whole device
    return (key.device, key.socket) == (device, socket)


def belongs(keys: Collection[AlarmKey], *, reason: str, scope: str, device: str | None, socket: int | None) -> bool:
    """Whether the edge's act (``reason``, ``scope``, ``device``, ``socket``) is about an alarm of ``keys``."""
    trip = reason not in INTERLOCK_REASONS
    return any((not trip or k.alarm_type == reason) and _touches(k, scope, device, socket) for k in keys)
