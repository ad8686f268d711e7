"""Payloads between devices and the edge agent on the shed's own broker."""

from enum import StrEnum
from typing import Annotated

from pydantic import Field

from protocol.envelope import Envelope, Message, SocketNo

Volts = Annotated[float, Field(ge=0, le=500)]
Amps = Annotated[float, Field(ge=0, le=200)]
Watts = Annotated[float, Field(ge=0, le=100_000)]
Celsius = Annotated[float, Field(ge=-60, le=1200)]
Ppm = Annotated[float, Field(ge=0, le=1_000_000)]
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
    energy_wh: Annotated[float, Field(ge=0)]  # cumulative counter, never decreases
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
    """Edge asks a post to open or close one socket's relay; src is the shed (edge) id."""

    request_id: Annotated[str, Field(min_length=1, max_length=64)]
    socket: SocketNo
    on: bool
    reason: Text


class RelayResult(Envelope):
    """A post's answer to a RelayCommand; ``relay`` is the state it now has."""

    request_id: Annotated[str, Field(min_length=1, max_length=64)]
    socket: SocketNo
    ok: bool
    relay: bool
    error: Text | None = None


class ExtinguisherStatus(Envelope):
    """An automatic extinguisher's gauge, valve switch, bracket switch and battery."""

    pressure_mpa: Annotated[float, Field(ge=0, le=10)]
    discharged: bool
    removed: bool
    battery_pct: Annotated[float, Field(ge=0, le=100)]


class EnvironmentReading(Envelope):
    """A combined smoke / heat / off-gas sensor's readings."""

    temp_c: Celsius
    smoke_obscuration_pct_m: Annotated[float, Field(ge=0, le=100)]
    smoke_alarm: bool  # the detector's own alarm decision
    h2_ppm: Ppm
    co_ppm: Ppm
    voc_ppm: Ppm
    fault: Text | None = None
