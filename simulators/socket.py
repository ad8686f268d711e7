"""One socket of a charging post: relay, meter, temperature, the plugged bike, and its true status.

The socket moves through empty -> plugged -> charging -> full (float) -> unplugged.
In an open shed a plug-in closes the relay (the resident starts the session at the post,
as on coin/QR posts) unless a safety trip latched it open; in an authorised shed
(``auto_on`` False) the bike waits until the edge closes the relay for a charging
session. An opened relay stops current
at once. Faults are plain attributes set by simulators.faults, so the physics stay
in one place and each fault is a small, testable change of state.
"""

import math
import random
from dataclasses import dataclass, field

from protocol.device import SocketReading, SocketState
from protocol.uplink import SocketStatus
from simulators.battery import MAINS_V, Battery

# RelayCommand reasons that end a session normally (no trip latched). Any other reason for on=false is a
# safety or supervisory cut: the socket shows "faulted" until a later on=true command resets it.
NORMAL_STOP_REASONS = frozenset(
    {
        "full",
        "float_done",
        "float_end",
        "float_timeout",
        "end_of_charge",
        "charge_complete",
        "unplugged",
        "session_end",
        "max_session",
        "timed_end",
        "user_stop",
        "resident_stop",
        "stop_socket",
        "operator_stop",
        "refuse",
        "refused",
        "post_soft_limit",
        "soft_limit",
        "post_over_limit",  # the edge ends the newest sessions to keep a post under its limit: not a trip
        # an authorised shed's charging sessions (edge.sessions): a socket without one, and the ends of one
        "no_session",
        "session_stop",
        "limit_energy",
        "limit_time",
        "session_fault",
        "session_removed",
    }
)

RATED_A = 5.0
TEMP_TAU_S = 600.0  # socket/plug contact heating settles in about 10 minutes
TEMP_RISE_AT_RATED_C = 8.0  # contact temperature rise at the rated 5 A
TEMP_NOISE_C = 0.3
METER_NOISE = 0.005  # 0.5 % meter noise (class 1 meters are within 1 %)


def is_normal_stop(reason: str) -> bool:
    """True when a relay-off reason is a normal end of charge rather than a safety cut."""
    return reason.strip().lower() in NORMAL_STOP_REASONS


@dataclass
class SocketTwin:
    """State of one socket; ``step`` advances its physics, ``reading`` samples its meter."""

    number: int
    bike: Battery | None = None
    relay: bool = False
    tripped: bool = False  # a safety RelayCommand latched the relay open
    energy_wh: float = 0.0
    temp_c: float = 20.0
    power_w: float = 0.0  # true AC power now
    # Fault hooks (simulators.faults sets and clears them)
    extra_heat_c: float = 0.0  # over-temperature: added to the contact temperature target
    forced_temp_c: float | None = None  # thermal runaway: the sensor sees the burning pack
    extra_load_w: float = 0.0  # high-power load (power strip, tampered charger)
    oscillate_w: float = 0.0  # failing charger: amplitude of an oscillating draw
    oscillate_period_s: float = 20.0
    post_fault: str | None = None  # the post's own self-test failure at this socket
    damaged: bool = False  # burnt by a battery fire: out of use whatever the relay says
    meter_stuck: SocketReading | None = None  # frozen meter: repeats this reading
    temp_stuck_c: float | None = None
    temp_noise_c: float = TEMP_NOISE_C
    auto_on: bool = True  # the post closes the relay at plug-in (open shed); False: only on the edge's command
    # The bike drew charging power since it was plugged in. A bike plugged in already full never does: its
    # charger's float draw right after switch-on cannot be told from a charger that does not charge, so the
    # edge shows it `plugged` with a `not_charging` warning (docs/edge.md), and so does the truth.
    charged: bool = False
    _t_s: float = field(default=0.0, repr=False)

    # --- actions -------------------------------------------------------------------------------------------
    def plug(self, bike: Battery) -> None:
        """A resident plugs a bike in; an open shed's post closes the relay unless a trip or fault holds it open."""
        self.bike = bike
        self.charged = False
        if self.auto_on and not self.tripped and self.post_fault is None and not self.damaged:
            self.relay = True
            self.power_w = bike.ac_power()  # the charger starts drawing at once

    def unplug(self) -> Battery | None:
        """The resident takes the bike; the post ends the session and opens the relay."""
        bike, self.bike = self.bike, None
        self.relay = False
        self.power_w = 0.0
        return bike

    def set_relay(self, on: bool, reason: str) -> tuple[bool, str | None]:
        """Obey a relay command; return (ok, error)."""
        if on:
            if self.post_fault is not None:
                return False, f"socket fault: {self.post_fault}"
            self.relay = True
            self.tripped = False
            if self.bike is not None:
                self.power_w = self.bike.ac_power()
            return True, None
        self.relay = False
        self.power_w = 0.0  # an opened relay stops current at once
        if not is_normal_stop(reason):
            self.tripped = True
        return True, None

    # --- physics -------------------------------------------------------------------------------------------
    def step(self, dt_s: float, ambient_c: float) -> None:
        """Advance dt_s seconds: charge the bike, count energy, heat or cool the contacts."""
        self._t_s += dt_s
        if self.relay and self.bike is not None:
            # Power in effect over the step: sampled before charging moves the SOC.
            power = self.bike.ac_power() + self.extra_load_w
            if self.oscillate_w > 0:
                phase = 2 * math.pi * self._t_s / self.oscillate_period_s
                power = max(0.0, power + self.oscillate_w * math.sin(phase))
            self.charged = self.charged or not self.bike.full
            self.bike.charge(dt_s)
        elif self.relay and self.extra_load_w > 0:
            power = self.extra_load_w
        else:
            power = 0.0
        self.power_w = power
        self.energy_wh += power * dt_s / 3600.0
        current = power / MAINS_V
        target = ambient_c + TEMP_RISE_AT_RATED_C * (current / RATED_A) ** 2 + self.extra_heat_c
        self.temp_c = target + (self.temp_c - target) * math.exp(-dt_s / TEMP_TAU_S)

    # --- observation ---------------------------------------------------------------------------------------
    def sensed_temp(self, rng: random.Random) -> float:
        """What the temperature sensor reports."""
        if self.temp_stuck_c is not None:
            return self.temp_stuck_c
        true = self.forced_temp_c if self.forced_temp_c is not None else self.temp_c
        return min(1200.0, max(-60.0, true + rng.gauss(0.0, self.temp_noise_c)))

    def reading(self, rng: random.Random) -> SocketReading:
        """Sample meter, temperature sensor, relay and plug switch."""
        if self.meter_stuck is not None:
            return self.meter_stuck.model_copy(
                update={"temp_c": round(self.sensed_temp(rng), 2), "relay": self.relay, "state": self._state()}
            )
        voltage = MAINS_V * (1 + rng.gauss(0.0, 0.004))
        power = self.power_w * (1 + rng.gauss(0.0, METER_NOISE)) if self.power_w > 0 else 0.0
        return SocketReading(
            socket=self.number,
            voltage_v=round(voltage, 1),
            current_a=round(power / voltage, 3),
            power_w=round(power, 1),
            energy_wh=round(self.energy_wh, 2),
            temp_c=round(self.sensed_temp(rng), 2),
            relay=self.relay,
            state=self._state(),
            fault=self.post_fault,
        )

    def _state(self) -> SocketState:
        if self.post_fault is not None:
            return SocketState.FAULT
        return SocketState.PLUGGED if self.bike is not None else SocketState.EMPTY

    def truth(self) -> SocketStatus:
        """What an ideal observer would show residents for this socket."""
        if self.tripped or self.damaged or self.post_fault is not None:
            return SocketStatus.FAULTED
        if self.bike is None:
            return SocketStatus.FREE
        if self.bike.full:
            return SocketStatus.FULL if self.charged else SocketStatus.PLUGGED
        if self.relay:
            return SocketStatus.CHARGING
        return SocketStatus.PLUGGED
