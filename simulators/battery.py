"""An e-bike battery on its charger: a constant-current / constant-voltage (CC/CV) charging model.

The model is phenomenological, tuned so that charge times, the CC->CV knee and the
taper match what e-bike packs and their bricks show (docs/simulators.md):

* open-circuit voltage per cell rises linearly with state of charge (SOC);
* polarisation adds ``r_v_per_c`` volts per cell per C of charging current;
* CC: the charger pushes ``charger output / max pack voltage`` amps until the
  terminal voltage reaches the charger's set point; CV: current then tapers
  exponentially; the charger ends the charge when current falls below
  ``term_c`` x capacity, and from then on draws only its standby power.
"""

from dataclasses import dataclass
from enum import StrEnum


class Chemistry(StrEnum):
    """Battery families found on Chinese e-bikes."""

    LITHIUM = "lithium"
    LEAD_ACID = "lead_acid"


@dataclass(frozen=True, slots=True)
class CellParams:
    """Per-cell constants of one chemistry."""

    cell_v_nominal: float
    v_empty: float  # open-circuit volts per cell at SOC 0 (model value)
    v_max: float  # charger CV set point per cell
    r_v_per_c: float  # polarisation: volts per cell per C of current
    term_c: float  # charge ends below this C-rate in CV
    efficiency: float  # coulombic efficiency


# Lithium NMC: 4.2 V/cell CV, end of charge near C/20. Lead-acid: 2.45 V/cell absorption, longer taper.
CELLS: dict[Chemistry, CellParams] = {
    Chemistry.LITHIUM: CellParams(3.7, 3.5, 4.2, 0.5, 0.05, 0.99),
    Chemistry.LEAD_ACID: CellParams(2.0, 1.95, 2.45, 1.0, 0.03, 0.90),
}

CHARGER_EFFICIENCY = 0.85  # AC in -> DC out of a typical e-bike brick
CHARGER_STANDBY_W = 4.5  # a finished charger ("green light", float/trickle) still draws a few watts
MAINS_V = 220.0


@dataclass(frozen=True, slots=True)
class BatterySpec:
    """What a bike brings to the socket."""

    chemistry: Chemistry = Chemistry.LITHIUM
    voltage: int = 48  # nominal pack volts: 48 or 60
    capacity_ah: float = 20.0
    charger_w: float = 200.0  # rated AC input of the charger

    def __post_init__(self) -> None:
        if self.voltage not in (48, 60, 72):
            raise ValueError(f"pack voltage must be 48, 60 or 72 V, got {self.voltage}")
        if not 1 <= self.capacity_ah <= 100:
            raise ValueError(f"capacity must be 1..100 Ah, got {self.capacity_ah}")
        if not 10 <= self.charger_w <= 3000:
            raise ValueError(f"charger power must be 10..3000 W, got {self.charger_w}")

    @property
    def cells(self) -> int:
        """Cells in series (13S for 48 V lithium, 24 cells = 4 blocks for 48 V lead-acid)."""
        p = CELLS[self.chemistry]
        return round(self.voltage / p.cell_v_nominal) if self.chemistry is Chemistry.LITHIUM else self.voltage // 2

    @property
    def v_max(self) -> float:
        """Charger set point (pack volts)."""
        return CELLS[self.chemistry].v_max * self.cells

    @property
    def cc_current_a(self) -> float:
        """Constant-current phase DC current the charger delivers."""
        return self.charger_w * CHARGER_EFFICIENCY / self.v_max


class Battery:
    """A pack being charged; state is SOC (0..1) and whether the charger has finished."""

    def __init__(self, spec: BatterySpec, soc: float) -> None:
        if not 0 <= soc <= 1:
            raise ValueError(f"state of charge must be 0..1, got {soc}")
        self.spec = spec
        self.soc = soc
        self.charger_done = soc >= 1.0
        self._p = CELLS[spec.chemistry]
        # Constants of this pack, computed once: the model runs for every socket every step.
        self._cells = spec.cells
        self._v_max = self._p.v_max * self._cells
        self._cc_a = spec.cc_current_a
        self._ohms = self._p.r_v_per_c / spec.capacity_ah * self._cells

    def ocv(self) -> float:
        """Open-circuit pack voltage now."""
        p = self._p
        return (p.v_empty + (p.v_max - p.v_empty) * min(self.soc, 1.0)) * self._cells

    def dc_current(self) -> float:
        """DC charging current the charger delivers at this SOC (CC or CV), 0 once done."""
        if self.charger_done:
            return 0.0
        # CV: current limited by the gap between set point and OCV over the polarisation resistance.
        cv_current = (self._v_max - self.ocv()) / self._ohms
        return max(0.0, min(self._cc_a, cv_current))

    def ac_power(self) -> float:
        """Power drawn from the socket (W)."""
        i = self.dc_current()
        if i <= 0:
            return CHARGER_STANDBY_W
        terminal_v = self.ocv() + i * self._ohms
        return terminal_v * i / CHARGER_EFFICIENCY + CHARGER_STANDBY_W

    def charge(self, dt_s: float) -> float:
        """Charge for dt_s seconds with the relay closed; return AC energy drawn (Wh)."""
        if dt_s <= 0:
            return 0.0
        i = self.dc_current()
        power = (
            (self.ocv() + i * self._ohms) * i / CHARGER_EFFICIENCY + CHARGER_STANDBY_W if i > 0 else CHARGER_STANDBY_W
        )
        if i > 0:
            self.soc = min(1.0, self.soc + i * dt_s / 3600.0 * self._p.efficiency / self.spec.capacity_ah)
            if i < self._p.term_c * self.spec.capacity_ah or self.soc >= 1.0:
                # The charger ends the charge here: from now on the pack counts as full.
                self.charger_done = True
                self.soc = 1.0
        return power * dt_s / 3600.0

    @property
    def full(self) -> bool:
        """True once the charger has ended the charge."""
        return self.charger_done
