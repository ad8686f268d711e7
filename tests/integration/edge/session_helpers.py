"""Helpers for charging-session tests: an authorised shed TOML, session commands, a bike on a given socket.

``bike_scenario`` writes a simulator scenario that plugs a bike into one socket at a chosen time, so an
end-to-end test can drive ``shedwatch sim run FILE`` against an authorised shed (the bike waits, relay open,
until the edge starts a session on that socket).
"""

from pathlib import Path
from typing import Any

from protocol.clock import Clock, SystemClock
from protocol.codec import encode
from protocol.commands import Command
from protocol.device import SocketReading, SocketState


def authorise(shed_toml: Path) -> Path:
    """Turn a shed TOML (tests.integration.edge.harness.write_config) into an authorised shed's."""
    text = shed_toml.read_text()
    head, sep, tail = text.partition("[shed]\n")
    assert sep, f"{shed_toml} has no [shed] table"
    shed_toml.write_text(f'{head}[shed]\nmode = "authorised"\n{tail}')
    return shed_toml


def session_command(
    request_id: str,
    action: str,
    *,
    session: str,
    clock: Clock | None = None,
    expires_in_s: float = 60,
    **kw: Any,
) -> bytes:
    """An encoded start_session / stop_session command from the cloud (device, socket, limits in ``kw``)."""
    now = (clock or SystemClock()).now_ms()
    cmd = Command(
        src="cloud",
        seq=1,
        ts=now,
        request_id=request_id,
        expires_at=now + int(expires_in_s * 1000),
        actor="resident:u-1",
        action=action,  # type: ignore[arg-type]
        session=session,
        **kw,
    )
    return encode(cmd)


def meter_reading(
    socket: int, power_w: float, counter_wh: float, *, relay: bool = True, plugged: bool = True
) -> SocketReading:
    """One socket reading with the post's cumulative energy counter."""
    return SocketReading(
        socket=socket,
        voltage_v=220.0,
        current_a=round(power_w / 220.0, 3),
        power_w=power_w,
        energy_wh=counter_wh,
        temp_c=25.0,
        relay=relay,
        state=SocketState.PLUGGED if plugged else SocketState.EMPTY,
    )


def bike_scenario(
    path: Path,
    shed_toml: Path,
    *,
    device: str,
    socket: int,
    at_s: float = 0.0,
    soc: float = 0.95,
    capacity_ah: float = 12.0,
    charger_w: float = 200.0,
    leave_at_s: float | None = None,
    duration_s: float = 24 * 3600,
    speed: float = 60.0,
) -> Path:
    """A scenario file: the shed of ``shed_toml`` ([shed] table) and one lithium 48 V bike on device/socket."""
    leave = f"leave_at_s = {leave_at_s}\n" if leave_at_s is not None else ""
    path.write_text(
        f"""name = "bike-on-socket"
seed = 1
speed = {speed}
duration_s = {duration_s}
residents = false

[[sheds]]
path = "{shed_toml.resolve()}"

[[bikes]]
at_s = {at_s}
device = "{device}"
socket = {socket}
chemistry = "lithium"
voltage = 48
capacity_ah = {capacity_ah}
soc = {soc}
charger_w = {charger_w}
{leave}"""
    )
    return path
