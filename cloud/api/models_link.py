"""The JSON form of a signed alert link (``GET /api/v1/alarms/link/{token}`` with ``Accept: application/json``).

What a guard without a login needs on a phone, for the one incident the token names and nothing else: the shed
and where it is, the incident's alarms, what the edge already did, the camera links, the service clocks on the
cloud's clock, and which action the link may take.
"""

from typing import Literal

from pydantic import BaseModel

from cloud.api.models_alarms import AlarmOut, EdgeActOut, IncidentItem, TimelineOut

LinkAction = Literal["ack", "onsite", "view"]


class LinkShedOut(BaseModel):
    """Where the incident is: the shed's id, its inventory name (empty when none), its community and that
    community's time zone (IANA)."""

    shed: str
    name: str
    community: str
    tz: str


class EdgeLineOut(EdgeActOut):
    """One thing the edge did for this incident, at the edge's time (epoch ms, unless its clock was plainly off)."""

    ts: int


class LinkOut(BaseModel):
    """The link's claim (``action``, ``person``, ``expires_ms``); ``allows``: the actions a POST to the link would
    take now (its own action, unless refused; none for a view link); ``refused``: why its action would be refused
    now (e.g. ``already acknowledged by guard-li``, ``incident resolved``), else null; ``now_ms``: the cloud's
    time."""

    action: LinkAction
    person: str
    expires_ms: int
    allows: list[Literal["ack", "onsite"]]
    refused: str | None
    now_ms: int


class LinkView(BaseModel):
    """One incident as its signed link shows it (the clocks in ``incident.clocks``)."""

    link: LinkOut
    shed: LinkShedOut
    incident: IncidentItem
    alarms: list[AlarmOut]
    edge: list[EdgeLineOut]
    cameras: list[str]
    timeline: list[TimelineOut]
