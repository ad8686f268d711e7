"""A charging post twin: N sockets behind one meter board, with telemetry, heartbeat and relay commands."""

import random

from protocol.config import Thresholds
from protocol.device import EdgeKeepAlive, PostHeartbeat, PostTelemetry, RelayCommand, RelayResult
from simulators.socket import SocketTwin

FIRMWARE = "shedwatch-sim 1.0"


class PostTwin:
    """One post: its sockets, its sequence counter, and whether it is online."""

    def __init__(
        self, shed: str, post_id: str, sockets: int, *, thresholds: Thresholds, boot_ms: int, auto_on: bool = True
    ) -> None:
        self.shed = shed
        self.id = post_id
        # auto_on: plug and charge (an open shed); False: a relay closes only on the edge's command (authorised)
        self.sockets = [SocketTwin(number=n, auto_on=auto_on) for n in range(1, sockets + 1)]
        self.thresholds = thresholds
        self.boot_ms = boot_ms
        self.seq = 0
        self.online = True  # False while a connection-loss fault holds it off the broker
        self.fast = False  # sampling every second (set by the shed each physics step)
        # supervision watchdog: armed by the edge's first keep-alive; relays open at the deadline
        self.watchdog_missed = thresholds.keepalive_missed
        self.watchdog_deadline_ms: int | None = None

    def socket(self, number: int) -> SocketTwin:
        """The socket with this 1-based number, or ValueError."""
        if not 1 <= number <= len(self.sockets):
            raise ValueError(f"post {self.id} has no socket {number} (1..{len(self.sockets)})")
        return self.sockets[number - 1]

    def next_seq(self) -> int:
        """Take the next per-device sequence number (contiguous from 0)."""
        seq = self.seq
        self.seq += 1
        return seq

    def total_power(self) -> float:
        """True total power of the post now (W)."""
        return sum(s.power_w for s in self.sockets)

    def fast_sampling(self) -> bool:
        """True while a fault or pre-alarm is active: the post then samples every second."""
        t = self.thresholds
        for s in self.sockets:
            if s.forced_temp_c is not None or s.extra_heat_c > 0 or s.extra_load_w > 0 or s.oscillate_w > 0:
                return True
            if s.temp_c >= t.socket_overtemp_c - 10 or s.power_w >= t.over_power_w:
                return True
        return False

    def telemetry(self, ts: int, rng: random.Random) -> PostTelemetry:
        """Sample every socket."""
        readings = [s.reading(rng) for s in self.sockets]
        return PostTelemetry(
            src=self.id,
            seq=self.next_seq(),
            ts=ts,
            total_power_w=round(sum(r.power_w for r in readings), 1),
            sockets=readings,
        )

    def heartbeat(self, ts: int) -> PostHeartbeat:
        """A sign of life."""
        return PostHeartbeat(
            src=self.id,
            seq=self.next_seq(),
            ts=ts,
            uptime_s=max(0, (ts - self.boot_ms) // 1000),
            sockets=len(self.sockets),
            firmware=FIRMWARE,
        )

    def keepalive(self, msg: EdgeKeepAlive, ts: int) -> None:
        """The edge supervises us: (re)arm the watchdog for ``watchdog_missed`` of its intervals."""
        self.watchdog_deadline_ms = ts + int(msg.interval_s * 1000 * self.watchdog_missed)

    def watchdog(self, ts: int) -> list[int]:
        """At or past the deadline: open every closed relay (returns their numbers) and disarm until the next."""
        if self.watchdog_deadline_ms is None or ts < self.watchdog_deadline_ms:
            return []
        self.watchdog_deadline_ms = None
        opened = [s.number for s in self.sockets if s.relay]
        for n in opened:
            self.socket(n).set_relay(False, "watchdog")
        return opened

    def handle_relay(self, cmd: RelayCommand, ts: int) -> list[RelayResult]:
        """Obey a relay command and answer it: one result, or one per socket for a post-level command.

        A post-level command (no ``socket``) opens every relay of the post; each socket answers with the
        command's request id, so the edge confirms every socket on its own.
        """
        if cmd.socket is None:
            return [self._obey(n, cmd, ts) for n in range(1, len(self.sockets) + 1)]
        return [self._obey(cmd.socket, cmd, ts)]

    def _obey(self, number: int, cmd: RelayCommand, ts: int) -> RelayResult:
        if 1 <= number <= len(self.sockets):
            sock = self.socket(number)
            ok, error = sock.set_relay(cmd.on, cmd.reason)
            relay = sock.relay
        else:
            ok, relay, error = False, False, f"no socket {number} (post has {len(self.sockets)})"
        return RelayResult(
            src=self.id,
            seq=self.next_seq(),
            ts=ts,
            request_id=cmd.request_id,
            socket=number,
            ok=ok,
            relay=relay,
            error=error,
        )
