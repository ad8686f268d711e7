"""The shed configuration: what the edge agent supervises and its thresholds.

Edges load it from TOML; the cloud pushes new versions on ``sw/v1/cloud/{shed}/config``
(retained). Every default is a setting; docs/edge.md gives the source of each
(IEC 62196 / GB/T 20234 socket ratings, EN 54-7 / EN 54-5 detector classes, vendor post firmware).
"""

from typing import Annotated, Literal

from pydantic import Field, model_validator

from protocol.envelope import Envelope, Message
from protocol.ids import Id

Positive = Annotated[float, Field(gt=0)]

# How residents charge in a shed: "open" = plug and charge (the post is energised on plug-in, no session);
# "authorised" = a socket's relay is energised only while a charging session is active on it (OCPP's
# "authorize before charging"), started by the cloud with a start_session command.
ShedMode = Literal["open", "authorised"]


class Thresholds(Message):
    """Interlock and alarm thresholds of one shed (defaults and their sources: docs/edge.md)."""

    # per socket
    rated_current_a: Positive = 5.0
    over_current_a: Positive = 5.0
    over_power_w: Positive = 1000.0
    socket_overtemp_c: Positive = 65.0
    runaway_rate_c_per_s: Positive = 1.0  # thermal runaway: >= 1 degC/s ...
    runaway_hold_s: Positive = 3.0  # ... held for >= 3 s
    full_power_w: Positive = 30.0
    full_hold_s: Positive = 180.0
    switch_on_grace_s: Positive = 120.0
    float_s: Positive = 2700.0  # 45 min top-up after full, then cut
    unplugged_power_w: Positive = 3.0
    unplugged_window_s: Positive = 300.0
    max_session_s: Positive = 12 * 3600.0  # timed charging
    forced_end_s: Positive = 24 * 3600.0  # hard ceiling whatever else is set
    sample_interval_s: Positive = 10.0
    fault_sample_interval_s: Positive = 1.0
    stale_samples: Annotated[int, Field(ge=1)] = 3  # silent this many intervals -> cut
    # a reading this far above the previous normal one is cut at once but confirmed by the next reading before
    # it becomes a pre-fire alarm (a DS18B20 reads 85 degC once after a brown-out)
    temp_jump_c: Positive = 25.0
    # current anomalies while charging (operational alarms, no cut)
    current_rise_factor: Annotated[float, Field(gt=1)] = 1.5  # current this many times its smoothed value ...
    current_rise_min_a: Positive = 0.5  # ... and at least this much above it
    oscillation_window_s: Positive = 120.0
    oscillation_pct: Positive = 25.0  # a swing: a step larger than this share of the mean power
    oscillation_swings: Annotated[int, Field(ge=1)] = 4  # reversals within the window
    charging_overtime_s: Positive = 8 * 3600.0  # still drawing charging power after this long
    # per post
    post_limit_w: Positive = 8700.0
    post_soft_limit_w: Positive = 7800.0
    heartbeat_s: Positive = 60.0
    offline_heartbeats: Annotated[int, Field(ge=1)] = 3
    # per shed
    h2_ppm: Positive = 100.0
    co_ppm: Positive = 50.0
    voc_ppm: Positive = 50.0
    smoke_obscuration_pct_m: Positive = 8.0
    heat_fixed_c: Positive = 57.0
    heat_rate_c_per_min: Positive = 9.0
    pressure_low_mpa: Positive = 1.0
    pressure_high_mpa: Positive = 1.4
    inspection_days: Positive = 30.0
    # relay commands
    relay_confirm_s: Positive = 2.0
    relay_retries: Annotated[int, Field(ge=0)] = 3
    # clocks: a device stamp further than this from the edge's receipt time is not believed (UTC+8 sent as UTC,
    # 1970 after a reboot); the reading is judged on receipt time instead
    clock_skew_s: Positive = 120.0
    # keep-alive from the edge to every post; a post opens its relays after keepalive_missed silent intervals
    keepalive_s: Positive = 5.0
    keepalive_missed: Annotated[int, Field(ge=1)] = 3

    @model_validator(mode="after")
    def _consistent(self) -> "Thresholds":
        if self.post_soft_limit_w > self.post_limit_w:
            raise ValueError("post_soft_limit_w must not exceed post_limit_w")
        if self.max_session_s > self.forced_end_s:
            raise ValueError("max_session_s must not exceed forced_end_s")
        if self.pressure_low_mpa >= self.pressure_high_mpa:
            raise ValueError("pressure_low_mpa must be below pressure_high_mpa")
        return self


class PostSpec(Message):
    """A charging post and how many sockets it has."""

    id: Id
    sockets: Annotated[int, Field(ge=1, le=64)] = 10


class ShedConfig(Message):
    """Everything an edge agent needs to know about its shed, versioned."""

    version: Annotated[int, Field(ge=1)] = 1
    shed: Id
    community: Annotated[str, Field(max_length=100)] = "default"
    name: Annotated[str, Field(max_length=100)] = ""
    mode: ShedMode = "open"
    posts: Annotated[list[PostSpec], Field(max_length=200)] = []
    extinguishers: Annotated[list[Id], Field(max_length=200)] = []
    sensors: Annotated[list[Id], Field(max_length=200)] = []
    thresholds: Thresholds = Thresholds()
    batch_interval_s: Positive = 5.0

    @model_validator(mode="after")
    def _unique_ids(self) -> "ShedConfig":
        ids = [p.id for p in self.posts] + list(self.extinguishers) + list(self.sensors)
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"device ids must be unique within a shed: {dupes}")
        return self


class ConfigPush(Envelope):
    """A retained config message from the cloud; src is the cloud's id."""

    config: ShedConfig
    actor: Annotated[str, Field(min_length=1, max_length=64)]
