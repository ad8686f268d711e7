"""The thermal-runaway rule on any receipt spacing: >= 1 degC/s held >= 3 s, judged on receipt times.

The rise is held from the receipt of the reading it started from; the socket is cut by the first reading
received 3 s or more after that one, never earlier, whatever the spacing of the readings in between.
"""

from hypothesis import given, settings
from hypothesis import strategies as st

from edge.actions import Relay
from edge.decide import decide
from tests.unit.edge.scenario import T0, make_input, make_state

BASE_C = 30.0


def _reading(temp_c: float, now: int) -> object:
    return make_input({"telemetry": {"sockets": [{"socket": 1, "power_w": 200.0, "temp_c": temp_c}]}}, now)


@given(
    steps=st.lists(st.tuples(st.integers(200, 1500), st.floats(1.05, 2.0)), min_size=1, max_size=8),
)
@settings(max_examples=300, deadline=None)
def test_runaway_trips_at_the_first_reading_3_s_after_the_rise_began(steps: list[tuple[int, float]]) -> None:
    state = make_state()
    decide(state, _reading(BASE_C, T0), T0)
    now, temp = T0, BASE_C
    due = None  # index of the first reading received >= 3 s after the base reading
    tripped_at = None
    for i, (gap_ms, rate) in enumerate(steps):
        now += gap_ms
        temp += rate * gap_ms / 1000
        _, actions = decide(state, _reading(temp, now), now)
        offs = [a.reason for a in actions if isinstance(a, Relay) and not a.on]
        if due is None and now - T0 >= 3000:
            due = i
        if offs and tripped_at is None:
            assert offs == ["thermal_runaway"]
            tripped_at = i
    assert tripped_at == due
