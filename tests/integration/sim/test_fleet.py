"""Fleet mode on a real mosquitto: exact counts, valid messages, per-post sequence order."""

import json
import subprocess
import sys
from collections import defaultdict

import pytest

from protocol.brokerurl import BrokerUrl
from protocol.device import PostTelemetry
from protocol.topics import Kind
from shedwatch.mosquitto import Mosquitto
from simulators.fleet import Fleet, FleetSpec
from tests.integration.sim.helpers import REPO, Collector

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(("qos", "version"), [(1, ""), (0, "?protocol=311")])
def test_fleet_sends_exactly_what_it_counts(mosquitto: Mosquitto, qos: int, version: str) -> None:
    col = Collector(mosquitto.port, "sw/v1/shed/+/dev/+/telemetry")
    spec = FleetSpec(sheds=2, posts=3, sockets=4, interval_s=0.05, duration_s=1.0, connections=2, qos=qos)
    fleet = Fleet(spec, BrokerUrl.parse(mosquitto.url + version))
    fleet.open()
    result = fleet.run()
    assert result.sent == result.expected == spec.total == 120
    if qos:
        assert result.acked == 120
    col.wait_for(lambda *_: len(col.messages) >= 120)
    col.close()
    assert not col.errors
    msgs = col.snapshot()
    assert len(msgs) == 120
    per_topic: dict[str, list[int]] = defaultdict(list)
    for topic, m in msgs:
        assert isinstance(m, PostTelemetry) and len(m.sockets) == 4
        assert topic.endswith(Kind.POST_TELEMETRY.value)
        per_topic[topic].append(m.seq)
    assert len(per_topic) == 6
    assert all(seqs == list(range(20)) for seqs in per_topic.values())


def test_fleet_command_prints_its_counts(mosquitto: Mosquitto) -> None:
    out = subprocess.run(
        [
            *(sys.executable, "-m", "shedwatch", "sim", "fleet"),
            *("--sheds", "2", "--posts", "2", "--sockets", "2"),
            *("--interval", "0.1", "--duration", "0.5", "--broker", mosquitto.url),
        ],
        cwd=REPO,
        capture_output=True,
        timeout=60,
        check=True,
    )
    result = json.loads(out.stdout.decode().strip().splitlines()[-1])
    assert result["sent"] == result["expected"] == result["acked"] == 20
    assert result["requested_msgs_per_s"] == 40


def test_fleet_refuses_an_unreachable_broker() -> None:
    from shedwatch.ports import free_port

    out = subprocess.run(
        [sys.executable, "-m", "shedwatch", "sim", "fleet", "--broker", f"mqtt://127.0.0.1:{free_port()}"],
        cwd=REPO,
        capture_output=True,
        timeout=60,
    )
    assert out.returncode == 1 and b"cannot connect" in out.stderr
