"""The working context of one decision: state, time, thresholds and the actions collected."""

from collections.abc import Iterable
from dataclasses import dataclass, field

from edge.actions import Action, Emit, Relay, UplinkEvent
from edge.boot import request_id
from edge.state import PendingRelay, ShedState, SocketState
from protocol.clock import plausible, within_contract
from protocol.config import Thresholds
from protocol.uplink import InterlockAction


@dataclass
class Ctx:
    """Collects the actions of one decision; helpers build events stamped with the shed and the wall time.

    ``now`` is monotonic ms: every duration is judged on it. ``wall`` is UTC epoch ms and only stamps
    messages (it may read 1970 or step by years); ``wall_ok`` says whether it is plausible. A wall clock
    outside the contract's ``ts`` range (before 1970, past 2**53 - 1 ms) is clamped into it, so every
    event and relay command of the decision is a valid message; ``wall_read`` keeps what the clock said.
    """

    state: ShedState
    now: int
    wall: int
    actions: list[Action] = field(default_factory=list)
    wall_read: int = 0

    def __post_init__(self) -> None:
        self.wall_read = self.wall
        self.wall = within_contract(self.wall)

    @property
    def wall_ok(self) -> bool:
        """Whether the edge's wall clock reads a plausible time (see protocol.clock.plausible)."""
        return plausible(self.wall)

    @property
    def shed(self) -> str:
        """The shed id (src of every event)."""
        return self.state.config.shed

    @property
    def t(self) -> Thresholds:
        """The shed's thresholds."""
        return self.state.config.thresholds

    def emit(self, event: UplinkEvent) -> None:
        """Queue an event for the cloud, marked when the edge clock that stamped it is not plausible."""
        if not self.wall_ok:
            event = event.model_copy(update={"clock_suspect": True})
        self.actions.append(Emit(event))

    def interlock(
        self,
        action: str,
        scope: str,
        reason: str,
        *,
        device: str | None = None,
        socket: int | None = None,
        latched: bool = False,
        actor: str | None = None,
    ) -> None:
        """Report power cut, refused or restored."""
        self.emit(
            InterlockAction(
                src=self.shed,
                seq=0,
                ts=self.wall,
                action=action,  # type: ignore[arg-type]
                scope=scope,  # type: ignore[arg-type]
                device=device,
                socket=socket,
                reason=reason,
                latched=latched,
                actor=actor,
            )
        )

    def next_request_id(self) -> str:
        """A relay request id unique across restarts (the boot number, never the wall clock) and within one."""
        self.state.counter += 1
        return request_id(self.state.boot, self.state.counter)

    def send_relay(self, sock: SocketState, *, on: bool, reason: str) -> None:
        """Publish a relay command now and wait for its confirmation."""
        rid = self.next_request_id()
        sock.pending = PendingRelay(request_id=rid, on=on, reason=reason, sent_ms=self.now)
        self.actions.append(Relay(sock.device, sock.socket, on, rid, reason))

    def ensure_off(self, sock: SocketState, reason: str, *, force: bool = False) -> None:
        """Open the relay unless an off command is already on its way; ``force`` even when it looks open."""
        pending = sock.pending
        if pending is not None and not pending.on and not pending.failed:
            if self.now - pending.sent_ms >= self.t.relay_confirm_s * 1000 and pending.attempts <= self.t.relay_retries:
                # the post still reports the relay closed: say it again now rather than at the next tick
                pending.attempts += 1
                pending.sent_ms = self.now
                self.actions.append(Relay(sock.device, sock.socket, False, pending.request_id, pending.reason))
            return
        if force or sock.relay or (sock.pending is not None and sock.pending.on):
            self.send_relay(sock, on=False, reason=reason)

    def cut(self, sockets: Iterable[SocketState], reason: str) -> None:
        """Open these relays now, even where they look open: one post-level command for a post all of whose
        sockets are among them.

        A shed cut is then one message per post instead of one per socket (20 instead of 200 for a shed of
        20 posts x 10 sockets). It is said again at once even where an earlier off is still unconfirmed: a
        new cause must not wait for that command's retry. Every socket it covers waits for its own
        confirmation (a ``RelayResult`` with the command's request id, or telemetry showing the relay open)
        and is retried on its own (edge.relays). A post only partly concerned gets per-socket commands,
        exactly as ``ensure_off(force=True)``.
        """
        by_post: dict[str, list[SocketState]] = {}
        for sock in sockets:
            by_post.setdefault(sock.device, []).append(sock)
        for device, group in by_post.items():
            post = self.state.posts.get(device) or self.state.retired.get(device)
            whole = post is not None and len(post.sockets) > 1 and post.sockets.keys() <= {s.socket for s in group}
            if post is None or not whole:
                for sock in group:
                    self.ensure_off(sock, reason, force=True)
                continue
            rid = self.next_request_id()
            self.actions.append(Relay(device, None, False, rid, reason))
            for sock in post.sockets.values():
                sock.pending = PendingRelay(request_id=rid, on=False, reason=reason, sent_ms=self.now)
