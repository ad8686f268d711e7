"""The air of one shed: ambient temperature, off-gas and smoke, as well-mixed concentrations.

Baselines and a daily temperature cycle are set here; faults (thermal runaway)
add sources on top. Everything the environment sensors and extinguisher heat
elements see comes from this one state, so causes and effects stay consistent.
"""

import math
from dataclasses import dataclass

DAY_S = 86_400.0


@dataclass
class ShedAir:
    """Well-mixed shed air plus the plume over a burning rack."""

    base_temp_c: float = 18.0
    daily_swing_c: float = 4.0  # warmest mid-afternoon, coolest before dawn
    utc_offset_h: float = 8.0  # Beijing
    h2_ppm: float = 0.5
    co_ppm: float = 1.5
    voc_ppm: float = 1.0
    # Added by faults
    heat_extra_c: float = 0.0  # whole-shed heating from a fire
    plume_c: float = 0.0  # extra heat right over the burning rack (extinguisher elements)
    smoke_pct_m: float = 0.0
    gas_extra_ppm: tuple[float, float, float] = (0.0, 0.0, 0.0)  # H2, CO, VOC

    def ambient_c(self, ts_ms: int) -> float:
        """Ambient temperature at this time of day (local), without fire heat."""
        local_h = (ts_ms / 3_600_000.0 + self.utc_offset_h) % 24.0
        return self.base_temp_c + self.daily_swing_c * math.cos(2 * math.pi * (local_h - 15.0) / 24.0)

    def temp_c(self, ts_ms: int) -> float:
        """Air temperature a ceiling heat sensor sees."""
        return self.ambient_c(ts_ms) + self.heat_extra_c

    def gases(self) -> tuple[float, float, float]:
        """H2, CO and VOC in ppm."""
        h2, co, voc = self.gas_extra_ppm
        return self.h2_ppm + h2, self.co_ppm + co, self.voc_ppm + voc
