"""Response models of the staff inventory routes: sheds, posts, sockets with live state, devices."""

from pydantic import BaseModel

from protocol.uplink import SocketStatus


class ShedSummary(BaseModel):
    """One shed as the staff list shows it. Times are epoch ms (0: never)."""

    shed: str
    community: str
    name: str
    registered: bool  # in the inventory (imported), not only heard from
    edge_online: bool
    last_seen_ms: int  # cloud arrival of the edge's last heartbeat
    updated_ts: int  # source time of the newest socket status
    sockets: int  # sockets with a live status
    config_version: int  # newest config version the cloud holds
    reported_config_version: int  # the version the edge last reported running


class ShedList(BaseModel):
    """The caller's sheds, by id."""

    sheds: list[ShedSummary]


class SocketOut(BaseModel):
    """One socket: its live status (null when the edge never reported it) and its newest readings.

    ``power_w`` / ``temp_c``: of the socket's newest raw reading of the last 2 minutes (null when none, or when
    that reading lacks the field), taken at ``reading_ts``. ``stopped``: an operator's stop holds it off,
    ``stopped_by`` who (null: unknown, or not stopped), ``stopped_ts`` when (edge epoch ms; null: not stopped).
    """

    socket: int
    status: SocketStatus | None
    seq: int | None
    ts: int | None
    power_w: float | None
    temp_c: float | None
    reading_ts: int | None
    stopped: bool = False
    stopped_by: str | None = None
    stopped_ts: int | None = None


class PostOut(BaseModel):
    """A charging post and its sockets, by number."""

    post: str
    sockets: list[SocketOut]


class DeviceOut(BaseModel):
    """A device of the shed that is not a post: ``extinguisher`` or ``sensor``; an extinguisher's newest recorded
    inspection (null: none yet; a sensor: always null)."""

    device: str
    kind: str
    last_inspection_ms: int | None


class ShedDetail(ShedSummary):
    """One shed with its posts, sockets and devices."""

    posts: list[PostOut]
    devices: list[DeviceOut]
