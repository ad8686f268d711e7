"""A shed trip through real processes: the edge agent, a real mosquitto, and the simulated posts.

The simulator's extinguisher discharges; the edge cuts the shed with one post-level relay-off per post; the
simulated posts open every relay and answer one RelayResult per socket; the edge confirms every socket on its
own. One post has lost its connection: each of its sockets is retried per socket, then alarmed, alone.
"""

from pathlib import Path
from typing import Any

import pytest

from protocol.device import PostTelemetry, RelayCommand, RelayResult
from protocol.topics import Kind
from tests.integration.edge.harness import AgentProcess, Recorder, write_config
from tests.integration.sim.helpers import start_sim, stop_sim

pytestmark = pytest.mark.integration

POSTS, SOCKETS, RETRIES = ("post-1", "post-2", "post-3"), 4, 3
SCENARIO = """
name = "shed trip"
seed = 3
residents = false

[[sheds]]
path = "shed.toml"

{bikes}

[[faults]]
at_s = 0
type = "connection_loss"
device = "post-2"

[[faults]]
at_s = 3
type = "extinguisher_discharge"
device = "ext-1"
"""
BIKE = '[[bikes]]\nat_s = 0\ndevice = "{post}"\nsocket = {socket}\nsoc = 0.3\ncharger_w = 200\n'


def test_a_shed_trip_cuts_every_socket_with_post_level_commands_and_confirms_each(
    mosquitto_factory: Any, tmp_path: Path
) -> None:
    shed, cloud = mosquitto_factory(), mosquitto_factory()
    cfg = write_config(
        tmp_path / "shed.toml",
        shed_broker=shed.url,
        cloud_broker=cloud.url,
        data_dir=tmp_path / "data",
        posts=len(POSTS),
        sockets=SOCKETS,
        thresholds=f"relay_confirm_s = 0.5\nrelay_retries = {RETRIES}",
    )
    bikes = "\n".join(BIKE.format(post=p, socket=s) for p in POSTS for s in range(1, SOCKETS + 1))
    (tmp_path / "scenario.toml").write_text(SCENARIO.format(bikes=bikes))
    devices = Recorder(shed.url, ["sw/v1/shed/shed-a/#"], client_id="shed-recorder")
    uplink = Recorder(cloud.url, ["sw/v1/edge/shed-a/#"], client_id="cloud-recorder")
    agent = AgentProcess(cfg, tmp_path / "agent.log").start()
    sim = None
    try:
        uplink.wait(lambda: uplink.of(Kind.EDGE_STATE), what="the edge's birth")
        sim = start_sim("run", str(tmp_path / "scenario.toml"), "--broker", shed.url)

        def unconfirmed() -> list[Any]:
            return [e for e in uplink.events("alarm_raised") if e.alarm_type == "relay_unconfirmed"]

        uplink.wait(lambda: len(unconfirmed()) >= SOCKETS, timeout=30, what="the silent post's sockets alarmed")
        commands: list[RelayCommand] = devices.of(Kind.RELAY_SET)
        cuts = [c for c in commands if c.reason == "extinguisher_discharged"]
        post_level = {_device(devices, c): c for c in cuts if c.socket is None}
        # one post-level off per post, and nothing else for the posts that answered
        assert sorted(post_level) == list(POSTS)
        per_socket = [(_device(devices, c), c.socket, c.request_id) for c in cuts if c.socket is not None]
        silent = post_level["post-2"].request_id
        assert sorted(per_socket) == sorted([("post-2", s, silent) for s in range(1, SOCKETS + 1)] * RETRIES)
        # the answering posts opened every relay and answered once per socket with the post-level request id
        for post in ("post-1", "post-3"):
            rid = post_level[post].request_id
            results = [r for r in devices.of(Kind.RELAY_RESULT) if r.src == post and r.request_id == rid]
            assert sorted((r.socket, r.ok, r.relay) for r in results) == [(s, True, False) for s in range(1, 5)]
            devices.wait(lambda p=post: _all_open(devices, p), what=f"{post} reporting every relay open")
        # every socket of the silent post, and only those, alarmed; each confirmed socket stayed quiet
        assert sorted((e.device, e.socket) for e in unconfirmed()) == [("post-2", s) for s in range(1, SOCKETS + 1)]
        faulted = {(e.device, e.socket) for e in uplink.events("socket_status") if e.status == "faulted"}
        assert faulted == {(p, s) for p in POSTS for s in range(1, SOCKETS + 1)}
        assert not devices.errors and not uplink.errors
        assert "Caught exception" not in agent.output()  # paho swallows a callback's exception: it must be none
    finally:
        if sim is not None:
            code, err = stop_sim(sim)
            assert code == 0, err
        agent.kill()
        devices.close()
        uplink.close()


def _device(rec: Recorder, message: RelayCommand | RelayResult) -> str:
    """The post a relay command went to (its topic's device level)."""
    with rec.lock:
        return next(t.split("/")[5] for t, m in rec.messages if m is message)


def _all_open(rec: Recorder, post: str) -> bool:
    tel = [m for m in rec.of(Kind.POST_TELEMETRY) if isinstance(m, PostTelemetry) and m.src == post]
    return bool(tel) and not any(r.relay for r in tel[-1].sockets)
