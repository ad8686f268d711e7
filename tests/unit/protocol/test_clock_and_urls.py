"""The injectable clock and broker URLs."""

import time

import pytest

from protocol.brokerurl import BrokerUrl
from protocol.clock import ManualClock, ScaledClock, SystemClock, clock_from_spec
from protocol.errors import ProtocolError


def test_scaled_clock_runs_faster_from_its_epoch() -> None:
    clock = ScaledClock(speed=600, epoch_ms=1_000_000_000_000, anchor_real_ms=0)
    # anchor 0 means 'real time since 1970 has elapsed': scaled by 600 from the epoch
    assert clock.now_ms() > 1_000_000_000_000 + 600 * 1_700_000_000_000


def test_clock_spec_round_trip_agrees() -> None:
    a = ScaledClock(speed=60)
    b = clock_from_spec(a.spec())
    assert isinstance(b, ScaledClock)
    assert (b.speed, b.epoch_ms, b.anchor_real_ms) == (a.speed, a.epoch_ms, a.anchor_real_ms)


@pytest.mark.parametrize("spec", [None, "", "real"])
def test_real_time_specs(spec: str | None) -> None:
    assert isinstance(clock_from_spec(spec), SystemClock)


@pytest.mark.parametrize("anchor", ["now", "NOW"])
def test_anchor_now_starts_the_epoch_at_this_process(anchor: str) -> None:
    clock = clock_from_spec(f"1,86400000,{anchor}")
    assert isinstance(clock, ScaledClock)
    assert 86_400_000 <= clock.now_ms() < 86_400_000 + 5_000
    assert abs(clock.anchor_real_ms - time.time_ns() // 1_000_000) < 5_000


@pytest.mark.parametrize("spec", ["fast", "1,1,later", "60,1", "0,1,1", "-1,1,1", "60,x,1"])
def test_bad_clock_specs_say_why(spec: str) -> None:
    with pytest.raises(ValueError, match=r"clock spec|speed"):
        clock_from_spec(spec)


async def test_manual_clock_moves_only_when_told() -> None:
    clock = ManualClock(start_ms=1000)
    assert clock.now_ms() == 1000
    await clock.sleep(2.5)
    assert clock.now_ms() == 3500


def test_broker_urls() -> None:
    url = BrokerUrl.parse("mqtts://edge%40a:s3cret@broker.example:8884?protocol=311")
    assert (url.host, url.port, url.tls, url.username, url.password, url.mqtt_version) == (
        "broker.example",
        8884,
        True,
        "edge@a",
        "s3cret",
        311,
    )
    assert "s3cret" not in str(url)
    assert BrokerUrl.parse("mqtt://localhost").port == 1883
    assert BrokerUrl.parse("mqtts://localhost").port == 8883


@pytest.mark.parametrize("bad", ["http://x", "mqtt://", "mqtt://h:99999", "mqtt://h?protocol=4"])
def test_bad_broker_urls(bad: str) -> None:
    with pytest.raises(ProtocolError):
        BrokerUrl.parse(bad)
