"""A combined smoke / heat / off-gas sensor twin, reading the shed's air."""

import random
from dataclasses import dataclass

from protocol.device import EnvironmentReading
from simulators.air import ShedAir

SMOKE_ALARM_PCT_M = 8.0  # photoelectric detectors alarm at a few %/m obscuration


@dataclass
class EnvironmentTwin:
    """One sensor; faults can freeze it (stuck), make it noisy, or set its self-test fault."""

    shed: str
    id: str
    online: bool = True
    seq: int = 0
    noise: float = 1.0  # multiplier of normal noise (noisy-sensor fault raises it)
    stuck: EnvironmentReading | None = None
    fault: str | None = None
    smoke_alarm_pct_m: float = SMOKE_ALARM_PCT_M

    def next_seq(self) -> int:
        """Take the next per-device sequence number."""
        seq = self.seq
        self.seq += 1
        return seq

    def reading(self, ts: int, air: ShedAir, rng: random.Random) -> EnvironmentReading:
        """What the sensor reports now."""
        if self.stuck is not None:
            return self.stuck.model_copy(update={"seq": self.next_seq(), "ts": ts})
        h2, co, voc = air.gases()
        n = self.noise
        smoke = max(0.0, air.smoke_pct_m + rng.gauss(0.0, 0.05 * n))
        return EnvironmentReading(
            src=self.id,
            seq=self.next_seq(),
            ts=ts,
            temp_c=round(air.temp_c(ts) + rng.gauss(0.0, 0.2 * n), 2),
            smoke_obscuration_pct_m=round(min(100.0, smoke), 2),
            smoke_alarm=air.smoke_pct_m >= self.smoke_alarm_pct_m,
            h2_ppm=round(max(0.0, h2 + rng.gauss(0.0, 0.3 * n)), 2),
            co_ppm=round(max(0.0, co + rng.gauss(0.0, 0.3 * n)), 2),
            voc_ppm=round(max(0.0, voc + rng.gauss(0.0, 0.3 * n)), 2),
            fault=self.fault,
        )
