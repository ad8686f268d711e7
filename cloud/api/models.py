"""Response models of the API: the public shapes, kept apart from the internal dataclasses they are built from."""

from pydantic import BaseModel

from cloud.core.live import Availability, SocketLive
from cloud.telemetry.base import Resolution
from protocol.uplink import SocketStatus


class ShedAvailability(BaseModel):
    """Socket counts of one shed; ``edge_online`` false means the counts are as the edge last reported them.

    ``stopped``: sockets an operator stopped (unusable until started again), never also counted free, charging,
    plugged, full or faulted. ``next_free_s``: estimated seconds from ``eta_ts`` until a socket frees (docs/api.md,
    "Free-socket ETA"): 0 when one is free now (``eta_ts`` null); null when none can (all faulted or stopped) or not
    estimated yet.
    """

    shed: str
    community: str
    free: int
    charging: int
    plugged: int
    full: int
    faulted: int
    stopped: int
    total: int
    updated_ts: int  # epoch ms of the newest status counted
    edge_online: bool
    next_free_s: float | None = None
    eta_ts: int | None = None  # epoch ms (the cloud's clock) the estimate was made at

    @classmethod
    def of(cls, a: Availability, eta: tuple[float | None, int] | None = None) -> "ShedAvailability":
        """From the core's dataclass and the shed's estimate (seconds, made at epoch ms), if any."""
        next_free_s: float | None
        eta_ts: int | None
        if a.free > 0:
            next_free_s, eta_ts = 0.0, None
        elif eta is not None:
            next_free_s, eta_ts = (float(round(eta[0])) if eta[0] is not None else None), eta[1]
        else:
            next_free_s, eta_ts = None, None
        return cls(
            next_free_s=next_free_s,
            eta_ts=eta_ts,
            shed=a.shed,
            community=a.community,
            free=a.free,
            charging=a.charging,
            plugged=a.plugged,
            full=a.full,
            faulted=a.faulted,
            stopped=a.stopped,
            total=a.total,
            updated_ts=a.updated_ts,
            edge_online=a.edge_online,
        )


class AvailabilityResponse(BaseModel):
    """Every shed heard from, sorted by id."""

    sheds: list[ShedAvailability]


class SocketLiveResponse(BaseModel):
    """One socket's live status, the edge seq and source time (epoch ms) that said so, and the edge's link.

    ``stopped``: an operator's stop holds it off; ``stopped_by`` who (null: unknown, or not stopped) and
    ``stopped_ts`` when (the edge's epoch ms; null: not stopped).
    """

    shed: str
    device: str
    socket: int
    status: SocketStatus
    seq: int
    ts: int
    edge_online: bool
    stopped: bool = False
    stopped_by: str | None = None
    stopped_ts: int | None = None

    @classmethod
    def of(cls, shed: str, device: str, socket: int, live: SocketLive, edge_online: bool) -> "SocketLiveResponse":
        """From the core's dataclass."""
        return cls(
            shed=shed,
            device=device,
            socket=socket,
            status=live.status,
            seq=live.seq,
            ts=live.ts,
            edge_online=edge_online,
            stopped=live.stop is not None,
            stopped_by=live.stop.actor if live.stop is not None else None,
            stopped_ts=live.stop.ts if live.stop is not None else None,
        )


class HistoryPoint(BaseModel):
    """One sample: a raw reading (count 1) or a bucket starting at ts."""

    ts: int
    mean: float
    min: float
    max: float
    count: int


class HistoryResponse(BaseModel):
    """One series over a range, at the resolution the range called for."""

    shed: str
    device: str
    socket: int | None
    field: str
    resolution: Resolution
    start: int
    end: int
    points: list[HistoryPoint]


class DeadLetterOut(BaseModel):
    """A rejected message: where it came in, why it was refused, and the start of its payload."""

    id: int
    received_ms: int
    topic: str
    reason: str
    detail: str
    payload_preview: str


class CameraOut(BaseModel):
    """A camera link: where the control room opens the view, and the posts it covers."""

    id: str
    name: str
    url: str
    posts: list[str]
