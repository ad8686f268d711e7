"""What the edge agent knows about its shed: per socket, per post, per shed.

Plain mutable dataclasses: the decision functions update them in place and return
them, so one message costs no copies on a Raspberry Pi. Nothing here does I/O.
"""

from collections import deque
from dataclasses import dataclass, field

from edge.sessions_state import ChargeSession
from protocol.config import ShedConfig
from protocol.uplink import AlarmClass, SocketStatus


@dataclass
class PendingRelay:
    """A relay command sent and not yet confirmed."""

    request_id: str
    on: bool
    reason: str
    sent_ms: int
    attempts: int = 1
    failed: bool = False  # retries exhausted; trouble alarm raised


@dataclass
class SocketState:
    """One socket: last reading, session, latches and the status shown to residents."""

    device: str
    socket: int
    status: SocketStatus = SocketStatus.FREE
    seen: bool = False  # any reading yet
    plugged: bool = False
    relay: bool = False
    post_fault: bool = False
    last_ms: int | None = None  # time of the last reading
    power_w: float = 0.0
    current_a: float = 0.0
    temp_c: float | None = None
    temp_ms: int | None = None  # monotonic receipt time of temp_c
    runaway_since_ms: int | None = None
    energy_wh: float = 0.0  # the post's counter as last read
    energy_seen: bool = False
    meter_resets: int = 0  # times the counter went back (post reboots)
    # the charging session (relay closed with a plug in)
    session_id: str | None = None
    session_start_ms: int | None = None  # monotonic
    session_start_wall: int | None = None  # UTC ms, to carry the session's age across an agent restart
    session_energy_wh: float = 0.0  # sum of counter increments since the session started, across meter resets
    charging_seen: bool = False
    low_since_ms: int | None = None
    full_since_ms: int | None = None
    full_since_wall: int | None = None
    # current anomalies (edge.anomalies): smoothed charging current and power, and the power's reversals
    current_avg_a: float | None = None
    power_avg_w: float | None = None
    prev_power_w: float | None = None
    swing_dir: int = 0  # direction of the last large power step: 1 up, -1 down, 0 none yet
    reversals: deque[int] = field(default_factory=deque)  # monotonic ms of each reversal within the window
    noted: set[str] = field(default_factory=set)  # per-reading alarm types ever raised here (the rest skip observe)
    ended_full: bool = False  # the session reached "full": stays FULL until unplugged
    not_charging_warned: bool = False
    samples: deque[tuple[int, float]] = field(default_factory=deque)  # (ms, W) for the unplugged window
    # latches and wishes
    trip: str | None = None  # latched safety trip reason, cleared only by an authorised reset
    hold_off: str | None = None  # non-latched reason the edge keeps the relay open (cut after full, stop)
    pending: PendingRelay | None = None
    # an authorised shed's charging session on this socket (the same object as in ShedState.sessions)
    charge: ChargeSession | None = None


@dataclass
class DeviceState:
    """Liveness of one device (post, extinguisher or sensor)."""

    id: str
    kind: str  # "post", "extinguisher", "sensor"
    last_heard_ms: int
    online: bool = True


@dataclass
class PostState:
    """A charging post and its sockets."""

    id: str
    sockets: dict[int, SocketState]
    total_power_w: float = 0.0
    refusing: bool = False  # above the soft limit: new sessions refused


@dataclass
class AlarmTrack:
    """One alarm condition's damping state (see edge.alarms)."""

    alarm_id: str
    alarm_class: AlarmClass
    alarm_type: str
    device: str | None
    socket: int | None
    active: bool = False  # raised (sent) state
    cond_since_ms: int | None = None  # condition true since
    clear_since_ms: int | None = None  # condition false since (while active)
    raises: deque[int] = field(default_factory=deque)  # raise times, for the rate limit
    latched: bool = False  # a safety trip: cleared only by reset


@dataclass
class EnvState:
    """Recent temperatures of a smoke / heat / off-gas sensor, for the rate of rise."""

    temps: deque[tuple[int, float]] = field(default_factory=deque)  # (monotonic receipt ms, degC)


@dataclass
class ShedState:
    """The whole shed as the edge sees it."""

    config: ShedConfig
    posts: dict[str, PostState]
    devices: dict[str, DeviceState]
    env: dict[str, EnvState] = field(default_factory=dict)
    alarms: dict[str, AlarmTrack] = field(default_factory=dict)
    shed_trips: set[str] = field(default_factory=set)  # latched whole-shed cut reasons
    # posts the config no longer has (or never had) whose relays are not yet confirmed open: still commanded off
    retired: dict[str, PostState] = field(default_factory=dict)
    # an authorised shed's active charging sessions by id, and the last ended ones (id -> reason, oldest first)
    sessions: dict[str, ChargeSession] = field(default_factory=dict)
    ended_sessions: dict[str, str] = field(default_factory=dict)
    sessions_saved_ms: int = 0  # monotonic ms of the last checkpoint of every active session
    counter: int = 0  # for unique relay request ids within one start
    boot: int = 0  # this start's number (edge.boot): relay request ids stay unique across restarts
    started_ms: int = 0

    def sockets(self) -> list[SocketState]:
        """Every socket, posts in config order."""
        return [s for p in self.posts.values() for s in p.sockets.values()]


def new_state(config: ShedConfig, now_ms: int) -> ShedState:
    """A fresh state for a shed: every socket free, every device presumed online until silent."""
    posts = {p.id: PostState(p.id, {n: SocketState(p.id, n) for n in range(1, p.sockets + 1)}) for p in config.posts}
    devices = {p.id: DeviceState(p.id, "post", now_ms) for p in config.posts}
    devices |= {e: DeviceState(e, "extinguisher", now_ms) for e in config.extinguishers}
    devices |= {s: DeviceState(s, "sensor", now_ms) for s in config.sensors}
    return ShedState(config=config, posts=posts, devices=devices, started_ms=now_ms)
