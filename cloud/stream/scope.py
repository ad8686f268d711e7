"""Which stream events a caller may see: each event asks the permission table (pure).

``socket`` and ``socket_stop`` events need ``inventory.read``, ``availability`` ``availability.read`` (public),
``alarm`` ``alarm.read``, ``incident`` ``incident.read`` and ``session`` ``session.read`` (a resident: only their
own), each for the event's community (cloud.core.access.authorize; docs/accounts.md, "Permissions").
"""

from cloud.core.access.authorize import Resource, authorize
from cloud.core.access.permissions import Action
from cloud.core.access.roles import Principal
from cloud.stream.frames import EventType, StreamEvent

ACTION_OF: dict[EventType, Action] = {
    "socket": Action.INVENTORY_READ,
    "socket_stop": Action.INVENTORY_READ,
    "availability": Action.AVAILABILITY_READ,
    "alarm": Action.ALARM_READ,
    "incident": Action.INCIDENT_READ,
    "session": Action.SESSION_READ,
}


class Scope:
    """One caller's filter; answers are memoised per (type, community) for events without an owner."""

    def __init__(self, principal: Principal | None) -> None:
        self.principal = principal
        self._memo: dict[tuple[EventType, str], bool] = {}

    def allows(self, event: StreamEvent) -> bool:
        """True when the caller may see ``event``."""
        if event.owner is not None:
            return authorize(self.principal, ACTION_OF[event.type], Resource(event.community, event.owner)).allowed
        key = (event.type, event.community)
        seen = self._memo.get(key)
        if seen is None:
            seen = self._memo[key] = authorize(self.principal, ACTION_OF[event.type], Resource(event.community)).allowed
        return seen
