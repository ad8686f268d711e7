"""Every interlock scenario table under scenarios/ runs through the pure decide()."""

from typing import Any

import pytest

from tests.unit.edge.scenario import load_scenarios, run_scenario

SCENARIOS = load_scenarios()


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s["name"] for s in SCENARIOS])
def test_scenario(scenario: dict[str, Any]) -> None:
    run_scenario(scenario)
