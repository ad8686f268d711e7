"""An automatic dry-powder extinguisher twin: gauge pressure, valve switch, bracket switch, sensor battery.

Stored-pressure dry powder sits near 1.2 MPa (green zone 1.0-1.4). The glass-bulb
heat element releases it at about 68 degC (68-75 by model); a discharge empties
the cylinder within seconds. Leaks lower the pressure slowly; removal opens the
bracket switch.
"""

import random
from dataclasses import dataclass

from protocol.device import ExtinguisherStatus

NOMINAL_MPA = 1.2
DISCHARGE_S = 15.0  # a hanging 4-8 kg unit empties in 10-20 s
RESIDUAL_MPA = 0.02
BATTERY_DRAIN_PCT_PER_DAY = 0.05  # a lithium primary cell lasting years


@dataclass
class ExtinguisherTwin:
    """State of one extinguisher and its sensor."""

    shed: str
    id: str
    pressure_mpa: float = NOMINAL_MPA
    battery_pct: float = 95.0
    release_c: float = 68.0
    discharged: bool = False
    removed: bool = False
    leak_mpa_per_h: float = 0.0
    online: bool = True
    seq: int = 0
    _discharging: bool = False

    def next_seq(self) -> int:
        """Take the next per-device sequence number."""
        seq = self.seq
        self.seq += 1
        return seq

    def discharge(self) -> None:
        """Open the valve (heat element burst, or an injected discharge)."""
        if not self.discharged:
            self.discharged = True
            self._discharging = True

    def step(self, dt_s: float, element_temp_c: float) -> bool:
        """Advance dt_s seconds; return True when something a sensor reports changed state."""
        changed = False
        if not self.discharged and element_temp_c >= self.release_c:
            self.discharge()
            changed = True
        if self._discharging:
            self.pressure_mpa = max(RESIDUAL_MPA, self.pressure_mpa - NOMINAL_MPA * dt_s / DISCHARGE_S)
            if self.pressure_mpa <= RESIDUAL_MPA:
                self._discharging = False
        elif self.leak_mpa_per_h > 0:
            self.pressure_mpa = max(0.0, self.pressure_mpa - self.leak_mpa_per_h * dt_s / 3600.0)
        self.battery_pct = max(0.0, self.battery_pct - BATTERY_DRAIN_PCT_PER_DAY * dt_s / 86_400.0)
        return changed

    @property
    def fast(self) -> bool:
        """True while the sensor reports every second (discharging)."""
        return self._discharging

    def status(self, ts: int, rng: random.Random) -> ExtinguisherStatus:
        """What the sensor reports."""
        return ExtinguisherStatus(
            src=self.id,
            seq=self.next_seq(),
            ts=ts,
            pressure_mpa=round(max(0.0, self.pressure_mpa + rng.gauss(0.0, 0.003)), 3),
            discharged=self.discharged,
            removed=self.removed,
            battery_pct=round(self.battery_pct, 1),
        )
