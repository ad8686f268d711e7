"""Runs interlock scenario tables (TOML data files) through the pure decide()."""

import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from edge.actions import Action, Answer, Emit, Relay
from edge.decide import decide
from edge.inputs import CommandIn, Input, Tick
from edge.state import ShedState, new_state
from protocol.commands import Command
from protocol.config import ShedConfig, Thresholds
from protocol.device import (
    EnvironmentReading,
    ExtinguisherStatus,
    PostHeartbeat,
    PostTelemetry,
    RelayResult,
    SocketReading,
    SocketState,
)

T0 = 1_767_225_600_000  # 2026-01-01T00:00Z
SCENARIOS = Path(__file__).parent / "scenarios"


def make_state(*, posts: int = 1, sockets: int = 4, thresholds: dict[str, Any] | None = None) -> ShedState:
    """A shed with post-1.. and env-1, ext-1."""
    config = ShedConfig(
        shed="shed-a",
        posts=[{"id": f"post-{i}", "sockets": sockets} for i in range(1, posts + 1)],  # type: ignore[list-item]
        sensors=["env-1"],
        extinguishers=["ext-1"],
        thresholds=Thresholds.model_validate(thresholds or {}, strict=False),
    )
    return new_state(config, T0)


def sock_reading(spec: dict[str, Any]) -> SocketReading:
    """A socket reading from a short spec: socket, power_w, temp_c, relay, state, current_a, energy_wh."""
    power = float(spec.get("power_w", 0.0))
    return SocketReading(
        socket=int(spec["socket"]),
        voltage_v=220.0,
        current_a=float(spec.get("current_a", round(power / 220.0, 3))),
        power_w=power,
        energy_wh=float(spec.get("energy_wh", 0.0)),
        temp_c=float(spec.get("temp_c", 25.0)),
        relay=bool(spec.get("relay", True)),
        state=SocketState(spec.get("state", "plugged")),
    )


_seq = 0


def _next() -> int:
    global _seq
    _seq += 1
    return _seq


def make_input(step: dict[str, Any], now: int) -> Input:
    """The input a step describes; a telemetry ``ts`` is the device's own stamp (default: now)."""
    if "telemetry" in step:
        t = step["telemetry"]
        readings = [sock_reading(s) for s in t["sockets"]]
        total = float(t.get("total_power_w", sum(r.power_w for r in readings)))
        ts = int(t.get("ts", now))
        return PostTelemetry(src=t.get("post", "post-1"), seq=_next(), ts=ts, total_power_w=total, sockets=readings)
    if "environment" in step:
        e = {"temp_c": 22.0, "smoke_obscuration_pct_m": 0.0, "smoke_alarm": False, "h2_ppm": 0.0, "co_ppm": 0.0}
        e |= {"voc_ppm": 0.0} | step["environment"]
        src = e.pop("src", "env-1")
        return EnvironmentReading(src=src, seq=_next(), ts=now, **e)
    if "extinguisher" in step:
        x = {"pressure_mpa": 1.2, "discharged": False, "removed": False, "battery_pct": 90.0} | step["extinguisher"]
        src = x.pop("src", "ext-1")
        return ExtinguisherStatus(src=src, seq=_next(), ts=now, **x)
    if "heartbeat" in step:
        return PostHeartbeat(src=step["heartbeat"], seq=_next(), ts=now, uptime_s=1, sockets=4)
    if "relay_result" in step:
        r = step["relay_result"]
        return RelayResult(
            src=r.get("post", "post-1"),
            seq=_next(),
            ts=now,
            request_id=r["request_id"],
            socket=r["socket"],
            ok=r.get("ok", True),
            relay=r["relay"],
        )
    if "command" in step:
        c = {"request_id": "req-1", "actor": "guard-7", "expires_at": now + 60_000} | step["command"]
        if "config" in c:
            c["config"] = {"shed": "shed-a"} | c["config"]
        return CommandIn(Command.model_validate({"src": "cloud", "seq": _next(), "ts": now, **c}, strict=False))
    if "tick" in step:
        return Tick()
    raise ValueError(f"step has no input: {step}")


def _matches(obj: Any, expected: dict[str, Any]) -> bool:
    for key, want in expected.items():
        got = getattr(obj, key, None)
        got = got.value if hasattr(got, "value") and not isinstance(got, int | float | str) else got
        if got != want:
            return False
    return True


def per_socket(actions: Sequence[Action], state: ShedState) -> list[Relay]:
    """The relay commands of a decision, a post-level one (socket None) spelled out for every socket of its post."""
    out: list[Relay] = []
    for a in actions:
        if not isinstance(a, Relay):
            continue
        if a.socket is not None:
            out.append(a)
            continue
        post = state.posts.get(a.device) or state.retired.get(a.device)
        assert post is not None, f"post-level relay command for {a.device}, which the edge does not know"
        out += [Relay(a.device, n, a.on, a.request_id, a.reason) for n in sorted(post.sockets)]
    return out


def check(actions: list[Action], state: ShedState, step: dict[str, Any], where: str) -> None:
    """Assert a step's expectations against what decide() did.

    ``relays`` and ``relay_count`` are per socket (a post-level command counts for every socket of its post);
    ``relay_messages`` counts the commands themselves (one post-level command is one message).
    """
    relays = per_socket(actions, state)
    if "relay_messages" in step:
        messages = [a for a in actions if isinstance(a, Relay)]
        assert len(messages) == step["relay_messages"], f"{where}: relay messages {messages}"
    events = [a.event for a in actions if isinstance(a, Emit)]
    answers = [a.result for a in actions if isinstance(a, Answer)]
    for want in step.get("relays", []):
        assert any(_matches(r, want) for r in relays), f"{where}: no relay {want} in {relays}"
    if "relay_count" in step:
        assert len(relays) == step["relay_count"], f"{where}: relays {relays}"
    for want in step.get("events", []):
        assert any(_matches(e, want) for e in events), f"{where}: no event {want} in {[e.__dict__ for e in events]}"
    for want in step.get("no_events", []):
        assert not any(_matches(e, want) for e in events), f"{where}: unexpected event {want}"
    for want in step.get("answers", []):
        assert any(_matches(a, want) for a in answers), f"{where}: no answer {want} in {answers}"
    for key, want in step.get("status", {}).items():
        post, sock = key.rsplit("/", 1)
        got = state.posts[post].sockets[int(sock)].status.value
        assert got == want, f"{where}: {key} is {got}, expected {want}"
    for key, want in step.get("trip", {}).items():
        post, sock = key.rsplit("/", 1)
        got = state.posts[post].sockets[int(sock)].trip
        assert got == (want or None), f"{where}: {key} trip {got!r}, expected {want!r}"
    for key, want in step.get("session_energy_wh", {}).items():
        post, sock = key.rsplit("/", 1)
        got = state.posts[post].sockets[int(sock)].session_energy_wh
        assert abs(got - want) < 1e-6, f"{where}: {key} session energy {got}, expected {want}"
    if "retired" in step:
        assert sorted(state.retired) == sorted(step["retired"]), f"{where}: retired {sorted(state.retired)}"
    if "shed_trips" in step:
        assert sorted(state.shed_trips) == sorted(step["shed_trips"]), f"{where}: shed trips {state.shed_trips}"


def run_scenario(sc: dict[str, Any]) -> ShedState:
    """Play one scenario; steps have ``at`` (seconds from start) or ``every`` repeats.

    The monotonic ``now`` starts at T0; the wall clock starts at the scenario's ``wall_ms`` (default T0) and
    a step's ``wall_step_s`` steps it (as NTP does) without moving the monotonic clock.
    """
    wall_offset = int(sc.get("wall_ms", T0)) - T0
    state = make_state(posts=sc.get("posts", 1), sockets=sc.get("sockets", 4), thresholds=sc.get("thresholds"))
    last_relay: dict[str, str] = {}
    for i, step in enumerate(sc["steps"]):
        times = [step["at"]]
        if "until" in step:
            t, times = step["at"], []
            while t <= step["until"]:
                times.append(t)
                t += step["every"]
        for at in times:
            now = T0 + int(at * 1000)
            if at == times[0]:
                wall_offset += int(step.get("wall_step_s", 0) * 1000)
            if "relay_result" in step and step["relay_result"].get("request_id") == "$last":
                step = {**step, "relay_result": {**step["relay_result"], "request_id": last_relay["id"]}}
            state, actions = decide(state, make_input(step, now + wall_offset), now, now + wall_offset)
            for a in actions:
                if isinstance(a, Relay):
                    last_relay["id"] = a.request_id
        check(actions, state, step, f"{sc['name']} step {i} (t={times[-1]}s)")
    return state


def load_scenarios() -> list[dict[str, Any]]:
    """Every scenario of every table file."""
    out: list[dict[str, Any]] = []
    for path in sorted(SCENARIOS.glob("*.toml")):
        with path.open("rb") as fh:
            out.extend(tomllib.load(fh)["scenario"])
    return out
