"""How precisely the API states a session's numbers (docs/api.md, "Charging"): the running sums are floats whose
binary noise (0.8000000000000007 Wh) means nothing to a reader and differs between equal amounts.

Pure. Energy and limits to 0.01 (Wh, s), money to the fen (half up, as the wallet is debited).
"""

from cloud.core.tariff.cost import to_fen

DECIMALS = 2  # Wh and seconds are stated to 0.01


def stated(value: float) -> float:
    """A Wh or seconds value to 0.01 (round half to even on the binary value: the last digit is noise anyway)."""
    return round(value, DECIMALS) + 0.0  # + 0.0: never "-0.0"


def stated_or_none(value: float | None) -> float | None:
    """``stated`` for an optional limit."""
    return None if value is None else stated(value)


def stated_yuan(yuan: float) -> float:
    """Yuan rounded to the fen (half up, like ``to_fen``), still in yuan: 0.000576 -> 0.0, 0.1234 -> 0.12."""
    return to_fen(yuan) / 100
