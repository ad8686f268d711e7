"""Residents who bring bikes: arrivals by hour of day, bikes drawn from the local mix, realistic dwell times.

Numbers are assumptions chosen to look like a Beijing community shed (docs/simulators.md):
an evening peak from 18:00 to 22:00, many bikes left overnight (they keep the socket
after full), some residents collect their bike after a reminder.
"""

import random
from dataclasses import dataclass

from simulators.battery import BatterySpec, Chemistry

# Arrivals per free socket per hour, by local hour of day.
ARRIVALS_PER_SOCKET_H = (
    [0.01] * 6  # 00-06
    + [0.03, 0.05, 0.05]  # 06-09 night-shift workers, delivery riders
    + [0.04] * 8  # 09-17
    + [0.10, 0.30, 0.35, 0.30, 0.20, 0.08, 0.03]  # 17-24: the evening peak
)
ILLEGAL_CHARGER_SHARE = 0.02  # tampered / high-power chargers above 1 kW
CAPACITIES_AH = (10.0, 12.0, 15.0, 20.0, 24.0, 30.0)


@dataclass(frozen=True, slots=True)
class Plan:
    """When a resident will take the bike away."""

    leave_at_ms: int | None = None  # at a fixed time (overnight, short stop)
    after_full_s: float | None = None  # this long after the battery is full (reminded, or came back)


def local_hour(ts_ms: int, utc_offset_h: float) -> float:
    """Local hour of day (0..24) at ts_ms."""
    return (ts_ms / 3_600_000.0 + utc_offset_h) % 24.0


def arrival_probability(ts_ms: int, dt_s: float, utc_offset_h: float, scale: float = 1.0) -> float:
    """Chance that a free socket gets a bike in the next dt_s seconds."""
    rate = ARRIVALS_PER_SOCKET_H[int(local_hour(ts_ms, utc_offset_h)) % 24] * scale
    return min(1.0, rate * dt_s / 3600.0)


def random_bike(rng: random.Random) -> tuple[BatterySpec, float]:
    """A bike from the local mix: (battery and charger, state of charge on arrival)."""
    if rng.random() < 0.7:
        chemistry, voltage = Chemistry.LITHIUM, rng.choice((48, 48, 48, 60, 60))
    else:
        chemistry, voltage = Chemistry.LEAD_ACID, rng.choice((48, 48, 60))
    capacity = rng.choice(CAPACITIES_AH)
    if rng.random() < ILLEGAL_CHARGER_SHARE:
        charger = rng.uniform(1100.0, 1800.0)
    else:
        charger = min(400.0, max(100.0, capacity * rng.uniform(6.0, 12.0)))
    soc = rng.uniform(0.1, 0.6)
    return BatterySpec(chemistry, voltage, capacity, round(charger)), round(soc, 3)


def random_plan(rng: random.Random, now_ms: int, utc_offset_h: float) -> Plan:
    """How long this resident leaves the bike."""
    u = rng.random()
    if u < 0.55:  # overnight: collected next morning 06:30-09:00 local
        hour = local_hour(now_ms, utc_offset_h)
        until_morning_h = (24.0 - hour + rng.uniform(6.5, 9.0)) % 24.0 or 24.0
        return Plan(leave_at_ms=now_ms + int(until_morning_h * 3_600_000))
    if u < 0.80:  # comes back after a reminder, 10-60 min after full
        return Plan(after_full_s=rng.uniform(600.0, 3600.0))
    return Plan(leave_at_ms=now_ms + int(rng.uniform(1.0, 4.0) * 3_600_000))  # a short top-up


# Share of sockets occupied by time of day when a simulation starts mid-life (residents on).
OCCUPANCY_BY_HOUR = [0.6] * 7 + [0.45, 0.3] + [0.25] * 8 + [0.3, 0.4, 0.5, 0.55, 0.6, 0.6, 0.6]


def initial_occupancy(ts_ms: int, utc_offset_h: float) -> float:
    """Chance that a socket is already occupied when the simulation starts at ts_ms."""
    return OCCUPANCY_BY_HOUR[int(local_hour(ts_ms, utc_offset_h)) % 24]
