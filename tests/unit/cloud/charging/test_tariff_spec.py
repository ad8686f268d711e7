"""A tariff's JSON form: round trip with the core's Tariff, and every refusal names its reason."""

import math

import pytest
from pydantic import ValidationError

from cloud.charging.tariff_spec import TariffSpec
from cloud.core.tariff.model import Billing, Period, TariffError

ENERGY = {
    "schedule": [{"start": "00:00", "period": "valley"}, {"start": "08:00", "period": "flat"}],
    "per_kwh": {"valley": 0.3, "flat": 0.6},
}
BANDS = {
    "billing": "time_by_power",
    "schedule": [{"start": "00:00", "period": "flat"}],
    "power_bands": [{"max_w": 200, "per_hour": {"flat": 0.1}}, {"max_w": None, "per_hour": {"flat": 0.2}}],
}


@pytest.mark.parametrize("body", [ENERGY, BANDS])
def test_round_trip(body: dict[str, object]) -> None:
    spec = TariffSpec.model_validate(body)
    tariff = spec.to_tariff("c1")
    assert TariffSpec.of(tariff) == spec
    if tariff.billing is Billing.TIME_BY_POWER:
        assert tariff.power_bands[-1].max_w == math.inf
        assert tariff.rate_per_hour(Period.FLAT, 250) == 0.2
    else:
        assert tariff.per_kwh[Period.FLAT] == 0.6


@pytest.mark.parametrize(
    ("body", "match"),
    [
        ({**ENERGY, "per_kwh": {"valley": 0.3}}, "no price for flat"),
        ({**ENERGY, "timezone": "Mars/Olympus"}, "unknown time zone"),
        ({**ENERGY, "timezone": "America"}, "unknown time zone"),  # a directory of zones, not one
        ({**ENERGY, "timezone": "../../etc/passwd"}, "unknown time zone"),
        ({**ENERGY, "power_bands": BANDS["power_bands"]}, "not power bands"),
        ({**BANDS, "per_kwh": {"flat": 1}}, "not per_kwh"),
        ({**BANDS, "power_bands": [{"max_w": 200, "per_hour": {"flat": 0.1}}]}, "unbounded"),
        (
            {
                **BANDS,
                "power_bands": [{"max_w": 200, "per_hour": {"flat": 0.3}}, {"max_w": None, "per_hour": {"flat": 0.2}}],
            },
            "cheaper",
        ),
        (
            {**ENERGY, "schedule": [{"start": "00:00", "period": "valley"}, {"start": "00:00", "period": "flat"}]},
            "same time",
        ),
    ],
)
def test_a_tariff_that_cannot_bill_is_refused(body: dict[str, object], match: str) -> None:
    with pytest.raises(TariffError, match=match):
        TariffSpec.model_validate(body).to_tariff("c1")


@pytest.mark.parametrize(
    "body",
    [
        {**ENERGY, "schedule": [{"start": "24:00", "period": "flat"}]},
        {**ENERGY, "schedule": []},
        {**ENERGY, "per_kwh": {"valley": -1, "flat": 1}},
        {**ENERGY, "per_kwh": {"valley": float("nan"), "flat": 1}},
        {**ENERGY, "per_kwh": {"rush": 1}},
    ],
)
def test_malformed_bodies_fail_validation(body: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        TariffSpec.model_validate(body)
