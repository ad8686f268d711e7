"""The charging part of one API process: the session service and its loop.

Commands go through the process's command sender (``CloudState.commands``, shared with the staff API; on when
ingest runs here, else as the setting ``commands`` says): until its broker has accepted it, starting a session
answers 503 ``unreachable``.
"""

import logging
from collections.abc import Callable

from cloud.api.live import LiveView
from cloud.bus.local import Bus
from cloud.charging.runner import ChargingRunner
from cloud.charging.service import ChargingOptions, ChargingService, Sender
from cloud.core.charging.notices import ReminderPolicy
from cloud.core.charging.policy import SessionPolicy
from cloud.settings import CloudSettings
from cloud.state.store import StateStore
from protocol.clock import Clock
from protocol.uplink import SocketStatus

log = logging.getLogger(__name__)
STOP_WAIT_S = 3.0  # of a shutdown's budget (a supervisor's SIGKILL after 10 s): the rest is ingest's and alarms'


def options_from(settings: CloudSettings) -> ChargingOptions:
    """The service's options from the ``charging_*`` settings."""
    return ChargingOptions(
        policy=SessionPolicy(
            max_session_s=settings.charging_max_session_s,
            confirm_timeout_s=settings.charging_confirm_timeout_s,
            min_balance_fen=settings.charging_min_balance_fen,
        ),
        reminders=ReminderPolicy(
            reminders=settings.charging_reminders,
            reminder_s=settings.charging_reminder_s,
            free_every_s=settings.charging_free_notice_s,
        ),
        command_timeout_s=settings.charging_command_timeout_s,
        edge_grace_s=settings.charging_edge_grace_s,
    )


class ChargingRuntime:
    """Owns the service and the runner of one process; ``sender()`` is the process's command sender or None."""

    def __init__(
        self,
        settings: CloudSettings,
        store: StateStore,
        clock: Clock,
        live: LiveView,
        bus: Bus,
        *,
        sender: Callable[[], Sender | None],
    ) -> None:
        self.live = live
        self.service = ChargingService(store, clock, live=live, sender=sender, bus=bus, options=options_from(settings))
        self.runner = ChargingRunner(
            self.service,
            tick_s=settings.charging_tick_s,
            bus=bus,
            free_count=self.free_count,
            socket_free=self.socket_free,
        )

    def free_count(self, shed: str) -> int:
        """Free sockets of a shed now (live state)."""
        for a in self.live.availability():
            if a.shed == shed:
                return a.free
        return 0

    def socket_free(self, shed: str, device: str, socket: int) -> bool:
        """Whether one socket is free and not stopped by an operator now (live state)."""
        found = self.live.socket(shed, device, socket)
        return found is not None and found[0].status is SocketStatus.FREE and found[0].stop is None

    def start(self) -> None:
        """Start the loop."""
        self.runner.start()

    def stop(self) -> None:
        """Stop the loop (a pass still running is left to finish on its own: its thread is a daemon, and every
        change it makes is one transaction)."""
        self.runner.stop(timeout=STOP_WAIT_S)
