"""What a shed's past sessions teach the ETA: how long charges last and how long bikes stay after full.

Bounded samples (the newest ``MAX_SAMPLES`` of each kind), built from what the cloud observed, never from
the devices' own claims. Until a shed has history the defaults below stand in; they are assumptions
stated in docs/accounts.md and are replaced by the shed's own record after its first few sessions.
"""

from dataclasses import dataclass

MAX_SAMPLES = 500

# Assumed until a shed has its own record (docs/accounts.md):
DEFAULT_CHARGE_HOURS = (1.5, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0, 6.0)  # energy / peak power of a whole charge, hours
DEFAULT_END_RATIO = (0.35,)  # power when the charger stops / peak power (CV ends near C/20 of a ~C/7 charge)
DEFAULT_DWELL_S = (600.0, 1800.0, 3600.0, 2 * 3600.0, 4 * 3600.0, 8 * 3600.0, 10 * 3600.0)  # after full


@dataclass(frozen=True, slots=True)
class EtaHistory:
    """Samples of one shed (or community): completed charges and dwell after full."""

    charge_hours: tuple[float, ...] = ()  # energy of a charge (Wh) / its peak power (W): "hours at peak"
    end_ratio: tuple[float, ...] = ()  # last charging power before full / peak power
    dwell_s: tuple[float, ...] = ()  # seconds from full (or idle) to unplugged

    def with_charge(self, *, energy_wh: float, peak_w: float, end_w: float) -> "EtaHistory":
        """Add one completed charge (ignored when the peak is not a charge: below 30 W)."""
        if peak_w < 30.0 or energy_wh <= 0 or end_w <= 0:
            return self
        return EtaHistory(
            (*self.charge_hours, energy_wh / peak_w)[-MAX_SAMPLES:],
            (*self.end_ratio, min(1.0, end_w / peak_w))[-MAX_SAMPLES:],
            self.dwell_s,
        )

    def with_dwell(self, seconds: float) -> "EtaHistory":
        """Add one dwell after full (negative values are clock errors and ignored)."""
        if seconds < 0:
            return self
        return EtaHistory(self.charge_hours, self.end_ratio, (*self.dwell_s, seconds)[-MAX_SAMPLES:])

    def charges(self) -> tuple[float, ...]:
        """Charge durations in hours at peak power (the defaults while there are fewer than 5)."""
        return self.charge_hours if len(self.charge_hours) >= 5 else DEFAULT_CHARGE_HOURS

    def end_ratios(self) -> tuple[float, ...]:
        """End-of-charge power ratios (the default while there are fewer than 5)."""
        return self.end_ratio if len(self.end_ratio) >= 5 else DEFAULT_END_RATIO

    def dwells(self) -> tuple[float, ...]:
        """Dwell-after-full samples in seconds (the defaults while there are fewer than 5)."""
        return self.dwell_s if len(self.dwell_s) >= 5 else DEFAULT_DWELL_S
