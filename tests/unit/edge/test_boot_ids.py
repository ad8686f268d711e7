"""Request ids and device-facing seqs derive from the boot number, so a wrong wall clock never repeats them."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edge.actions import Relay
from edge.boot import BOOT_MAX, SEQ_SPAN, UPGRADE_FIRST_BOOT, boot_before, first_seq
from edge.decide import decide
from protocol.device import PostTelemetry
from tests.unit.edge.scenario import T0, make_state, sock_reading

SEQ_MAX = 2**63 - 1  # the contract's seq range


def _trip_request_ids(boot: int, wall: int) -> list[str]:
    """A fresh start (as after a SIGKILL) whose first decision cuts a socket at 1,500 W."""
    state = make_state()
    state.boot = boot
    reading = sock_reading({"socket": 2, "relay": True, "power_w": 1500.0, "temp_c": 30.0, "energy_wh": 1.0})
    msg = PostTelemetry(src="post-1", seq=1, ts=T0, total_power_w=1500.0, sockets=[reading])
    _, actions = decide(state, msg, 1_000, wall)
    return [a.request_id for a in actions if isinstance(a, Relay) and not a.on]


@given(wall=st.sampled_from([0, 2**53 - 1, T0]), boot=st.integers(1, BOOT_MAX - 1))
@settings(max_examples=50, deadline=None)
def test_two_starts_with_the_same_wall_clock_send_different_request_ids(wall: int, boot: int) -> None:
    first, second = _trip_request_ids(boot, wall), _trip_request_ids(boot + 1, wall)
    assert first and second
    assert not set(first) & set(second)


@given(boot=st.integers(0, BOOT_MAX - 1))
def test_every_seq_of_a_start_is_above_every_seq_of_the_starts_before(boot: int) -> None:
    last_of_this = first_seq(boot) + SEQ_SPAN - 1
    assert last_of_this < first_seq(boot + 1)
    assert first_seq(BOOT_MAX) + SEQ_SPAN - 1 <= SEQ_MAX


def test_a_boot_number_outside_the_range_is_refused() -> None:
    for bad in (-1, BOOT_MAX + 1):
        with pytest.raises(ValueError, match=str(bad)):
            first_seq(bad)


def test_a_store_from_before_boot_numbers_starts_above_the_ms_based_seqs_it_sent() -> None:
    assert boot_before(0, store_in_use=False) == 0  # a new store: boot 1 after the bump
    assert boot_before(7, store_in_use=True) == 7  # counting on
    upgraded = boot_before(0, store_in_use=True) + 1
    assert upgraded == UPGRADE_FIRST_BOOT and first_seq(upgraded) > 4_102_444_800_000  # ms at 2100-01-01
