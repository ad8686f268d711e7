"""Payloads between devices and the edge agent on the shed's own broker."""

from enum import StrEnum
from typing import Annotated

from pydantic import Field, model_validator

from protocol.envelope import Envelope, Message, SocketNo

# Readings are accepted on the wire within a wide *representable* range (any finite number a device can send,
# negatives and sentinels included) so that one broken sensor never makes a whole message useless: the edge
# judges each field against its sensor's *plausible* range (edge.plausibility) and condemns only what that
# field describes. Only non-numbers, NaN, infinity and magnitudes beyond 1e9 are refused here.
REPRESENTABLE = 1e9
Reading = Annotated[float, Field(ge=-REPRESENTABLE, le=REPRESENTABLE)]
Volts = Reading
Amps = Reading
Watts = Reading
Celsius = Reading
Ppm = Reading
Text = Annotated[str, Field(max_length=200)]


class SocketState(StrEnum):
    """What the post itself senses at a socket."""

    EMPTY = "empty"  # no plug detected
    PLUGGED = "plugged"  # a plug is in (drawing or not)
    FAULT = "fault"  # the post's own self-test failed (meter, relay welded, ...)


class SocketReading(Message):
    """One socket's meter, temperature and relay at one instant."""

    socket: SocketNo
    voltage_v: Volts
    current_a: Amps
    power_w: Watts
    energy_wh: Reading  # cumulative counter; restarts at 0 when the post reboots (a meter reset)
    temp_c: Celsius
    relay: bool  # True = closed (power on)
    state: SocketState
    fault: Text | None = None


class PostTelemetry(Envelope):
    """A charging post's readings of all its sockets; src is the post id."""

    total_power_w: Watts
    sockets: Annotated[list[SocketReading], Field(min_length=1, max_length=64)]


class PostHeartbeat(Envelope):
    """A post's sign of life, every 60 s by default."""

    uptime_s: Annotated[int, Field(ge=0)]
    sockets: SocketNo
    firmware: Annotated[str, Field(max_length=40)] = "unknown"


class RelayCommand(Envelope):
    """Edge asks a post to open or close one socket's relay, or to open every relay of the post; src is the shed.

    ``socket`` names one socket (1..64). Omitted, the command is **post-level**: open every relay of the
    post at once (a shed-wide or post-wide cut in one message instead of one per socket). A post-level
    command can only switch off (``on`` must be false): closing every relay at once is never a safe default.
    The post answers a post-level command with one ``RelayResult`` per socket, each with the command's
    ``request_id``, so the edge confirms every socket on its own.
    """

    request_id: Annotated[str, Field(min_length=1, max_length=64)]
    socket: SocketNo | None = None  # None (omitted on the wire): every socket of the post
    on: bool
    reason: Text

    @model_validator(mode="after")
    def _post_level_only_off(self) -> "RelayCommand":
        if self.socket is None and self.on:
            raise ValueError("a post-level relay command (no socket) can only switch off: on must be false")
        return self

    @property
    def post_level(self) -> bool:
        """True when the command concerns every socket of the post (no ``socket``)."""
        return self.socket is None


class EdgeKeepAlive(Envelope):
    """The edge tells one post it is supervising it; src is the shed (edge) id. Sent every ``interval_s``.

    A post whose watchdog is armed (by its first keep-alive) and that then hears none for its own setting
    of N intervals (default 3, ``keepalive_missed``) opens every relay: a socket charges only while
    supervised, and a dead Raspberry Pi supervises nothing.
    """

    interval_s: Annotated[float, Field(gt=0, le=3600)]


class RelayResult(Envelope):
    """A post's answer to a RelayCommand; ``relay`` is the state it now has."""

    request_id: Annotated[str, Field(min_length=1, max_length=64)]
    socket: SocketNo
    ok: bool
    relay: bool
    error: Text | None = None


class ExtinguisherStatus(Envelope):
    """An automatic extinguisher's gauge, valve switch, bracket switch and battery."""

    pressure_mpa: Reading
    discharged: bool
    removed: bool
    battery_pct: Reading


class EnvironmentReading(Envelope):
    """A combined smoke / heat / off-gas sensor's readings."""

    temp_c: Celsius
    smoke_obscuration_pct_m: Reading
    smoke_alarm: bool  # the detector's own alarm decision
    h2_ppm: Ppm
    co_ppm: Ppm
    voc_ppm: Ppm
    fault: Text | None = None
