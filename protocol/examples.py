"""One realistic example message of every kind: for docs, tests and benchmarks."""

from typing import Any

from protocol.commands import Command
from protocol.config import ConfigPush, PostSpec, ShedConfig
from protocol.device import (
    EdgeKeepAlive,
    EnvironmentReading,
    ExtinguisherStatus,
    PostHeartbeat,
    PostTelemetry,
    RelayCommand,
    RelayResult,
    SocketReading,
    SocketState,
)
from protocol.topics import Kind, Topic
from protocol.uplink import (
    AlarmClass,
    AlarmCleared,
    AlarmRaised,
    CommandResult,
    DeviceStatusChanged,
    EdgeHeartbeat,
    EdgeState,
    InterlockAction,
    RejectCount,
    SeqRange,
    SessionEnded,
    SessionEndReason,
    SessionMeter,
    SessionStarted,
    SocketSnapshot,
    SocketStatus,
    SocketStatusChanged,
    StoredAck,
    TelemetryBatch,
    TelemetryPoint,
)

T0 = 1_767_286_800_000  # 2026-01-01T17:00:00Z, an evening
SHED = "shed-a"
POST = "post-1"


def socket_reading(socket: int, power_w: float = 182.4) -> SocketReading:
    """A socket charging at ``power_w`` on 220 V."""
    return SocketReading(
        socket=socket,
        voltage_v=221.3,
        current_a=round(power_w / 221.3, 3),
        power_w=power_w,
        energy_wh=1534.2,
        temp_c=31.5,
        relay=True,
        state=SocketState.PLUGGED,
    )


def telemetry_batch(points: int = 100, *, seq: int = 4711) -> TelemetryBatch:
    """A batch of ``points`` socket readings (10 posts x 10 sockets for 100)."""
    return TelemetryBatch(
        src=SHED,
        seq=seq,
        ts=T0 + 5000,
        points=[
            TelemetryPoint(
                ts=T0 + (i // 100) * 10_000,
                device=f"post-{(i // 10) % 10 + 1}",
                socket=i % 10 + 1,
                fields={
                    "voltage_v": 221.3,
                    "current_a": 0.82,
                    "power_w": 181.0 + i % 7,
                    "energy_wh": 1534.2,
                    "temp_c": 31.5,
                },
            )
            for i in range(points)
        ],
    )


def examples() -> dict[Kind, list[tuple[Topic, Any]]]:
    """Example (topic, message) pairs for every kind of message."""
    config = ShedConfig(
        version=7,
        shed=SHED,
        community="jinsong-north",
        name="North shed",
        mode="authorised",
        posts=[PostSpec(id=POST, sockets=10), PostSpec(id="post-2", sockets=10)],
        extinguishers=["ext-1", "ext-2"],
        sensors=["env-1"],
    )
    dev = {
        k: Topic(k, SHED, POST)
        for k in (Kind.POST_TELEMETRY, Kind.POST_HEARTBEAT, Kind.RELAY_SET, Kind.RELAY_RESULT, Kind.KEEPALIVE)
    }
    return {
        Kind.POST_TELEMETRY: [
            (
                dev[Kind.POST_TELEMETRY],
                PostTelemetry(
                    src=POST, seq=812, ts=T0, total_power_w=364.8, sockets=[socket_reading(1), socket_reading(2)]
                ),
            )
        ],
        Kind.POST_HEARTBEAT: [
            (
                dev[Kind.POST_HEARTBEAT],
                PostHeartbeat(src=POST, seq=813, ts=T0, uptime_s=86_400, sockets=10, firmware="1.4.2"),
            )
        ],
        Kind.RELAY_SET: [
            (
                dev[Kind.RELAY_SET],
                RelayCommand(src=SHED, seq=90, ts=T0, request_id="r-90", socket=3, on=False, reason="over_power"),
            ),
            (  # post-level: every relay of the post off (a shed-wide cut is one of these per post)
                dev[Kind.RELAY_SET],
                RelayCommand(src=SHED, seq=92, ts=T0, request_id="r-92", on=False, reason="smoke"),
            ),
        ],
        Kind.RELAY_RESULT: [
            (
                dev[Kind.RELAY_RESULT],
                RelayResult(src=POST, seq=814, ts=T0 + 40, request_id="r-90", socket=3, ok=True, relay=False),
            )
        ],
        Kind.KEEPALIVE: [(dev[Kind.KEEPALIVE], EdgeKeepAlive(src=SHED, seq=91, ts=T0, interval_s=5.0))],
        Kind.EXTINGUISHER: [
            (
                Topic(Kind.EXTINGUISHER, SHED, "ext-1"),
                ExtinguisherStatus(
                    src="ext-1", seq=55, ts=T0, pressure_mpa=1.21, discharged=False, removed=False, battery_pct=87.0
                ),
            )
        ],
        Kind.ENVIRONMENT: [
            (
                Topic(Kind.ENVIRONMENT, SHED, "env-1"),
                EnvironmentReading(
                    src="env-1",
                    seq=301,
                    ts=T0,
                    temp_c=18.4,
                    smoke_obscuration_pct_m=0.1,
                    smoke_alarm=False,
                    h2_ppm=0.0,
                    co_ppm=1.5,
                    voc_ppm=3.0,
                ),
            )
        ],
        Kind.EDGE_TELEMETRY: [(Topic(Kind.EDGE_TELEMETRY, SHED), telemetry_batch(2))],
        Kind.EDGE_EVENT: [
            (Topic(Kind.EDGE_EVENT, SHED), ev)
            for ev in (
                AlarmRaised(
                    src=SHED,
                    seq=4712,
                    ts=T0,
                    alarm_id="shed-a/off_gas/env-1",
                    alarm_class=AlarmClass.PRE_FIRE,
                    alarm_type="off_gas",
                    device="env-1",
                    value=180.0,
                    threshold=100.0,
                    message="H2 180 ppm",
                ),
                AlarmCleared(
                    src=SHED,
                    seq=4720,
                    ts=T0 + 600_000,
                    alarm_id="shed-a/off_gas/env-1",
                    alarm_class=AlarmClass.PRE_FIRE,
                    alarm_type="off_gas",
                    device="env-1",
                ),
                InterlockAction(src=SHED, seq=4713, ts=T0, action="cut", scope="shed", reason="off_gas", latched=True),
                SocketStatusChanged(
                    src=SHED,
                    seq=4714,
                    ts=T0,
                    device=POST,
                    socket=3,
                    status=SocketStatus.CHARGING,
                    session_id="s-3f9a",
                    energy_wh=0.0,
                ),
                DeviceStatusChanged(src=SHED, seq=4715, ts=T0, device="post-2", online=False),
                SessionStarted(
                    src=SHED, seq=4717, ts=T0, session="s-3f9a", device=POST, socket=3, limit_wh=500.0, limit_s=None
                ),
                SessionMeter(
                    src=SHED,
                    seq=4718,
                    ts=T0 + 60_000,
                    session="s-3f9a",
                    device=POST,
                    socket=3,
                    energy_wh=3.04,
                    duration_s=60.0,
                ),
                SessionEnded(
                    src=SHED,
                    seq=4790,
                    ts=T0 + 9_840_000,
                    session="s-3f9a",
                    device=POST,
                    socket=3,
                    energy_wh=500.0,
                    duration_s=9_840.0,
                    reason=SessionEndReason.LIMIT_ENERGY,
                ),
            )
        ],
        Kind.EDGE_RESULT: [
            (
                Topic(Kind.EDGE_RESULT, SHED),
                CommandResult(
                    src=SHED, seq=4716, ts=T0, request_id="c-77", status="applied", detail="socket post-1/3 stopped"
                ),
            )
        ],
        Kind.EDGE_STATE: [
            (
                Topic(Kind.EDGE_STATE, SHED),
                EdgeState(
                    src=SHED,
                    seq=4711,
                    ts=T0,
                    state="birth",
                    session=12,
                    config_version=7,
                    sockets=[SocketSnapshot(device=POST, socket=1, status=SocketStatus.FREE)],
                ),
            ),
            (Topic(Kind.EDGE_STATE, SHED), EdgeState(src=SHED, seq=4711, ts=T0, state="death", session=12)),
        ],
        Kind.EDGE_HEARTBEAT: [
            (
                Topic(Kind.EDGE_HEARTBEAT, SHED),
                EdgeHeartbeat(
                    src=SHED,
                    seq=4716,
                    ts=T0,
                    session=12,
                    uptime_s=3600,
                    outbox_depth=0,
                    rejects=[RejectCount(reason="replay", topic="telemetry", count=3)],
                ),
            )
        ],
        Kind.CLOUD_COMMAND: [
            (
                Topic(Kind.CLOUD_COMMAND, SHED),
                Command(
                    src="cloud",
                    seq=77,
                    ts=T0,
                    request_id="c-77",
                    expires_at=T0 + 60_000,
                    actor="staff:wang",
                    action="stop_socket",
                    device=POST,
                    socket=3,
                ),
            ),
            (
                Topic(Kind.CLOUD_COMMAND, SHED),
                Command(
                    src="cloud",
                    seq=79,
                    ts=T0,
                    request_id="c-79",
                    expires_at=T0 + 60_000,
                    actor="resident:u-1024",
                    action="start_session",
                    device=POST,
                    socket=3,
                    session="s-3f9a",
                    limit_wh=500.0,
                ),
            ),
            (
                Topic(Kind.CLOUD_COMMAND, SHED),
                Command(
                    src="cloud",
                    seq=80,
                    ts=T0 + 1_800_000,
                    request_id="c-80",
                    expires_at=T0 + 1_860_000,
                    actor="resident:u-1024",
                    action="stop_session",
                    session="s-3f9a",
                ),
            ),
        ],
        Kind.CLOUD_CONFIG: [
            (Topic(Kind.CLOUD_CONFIG, SHED), ConfigPush(src="cloud", seq=78, ts=T0, config=config, actor="admin:li"))
        ],
        Kind.CLOUD_ACK: [
            (
                Topic(Kind.CLOUD_ACK, SHED),
                StoredAck(
                    src="cloud",
                    seq=0,
                    ts=T0,
                    shed=SHED,
                    stored_seq=1041,
                    highest_seq=1250,
                    resend=[SeqRange(first=1043, last=1200)],
                    edge_session=12,
                ),
            )
        ],
    }
