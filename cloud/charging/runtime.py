"""The charging part of one API process: the command sender, the session service and its loop.

The sender connects in the background (paho retries) so an API whose broker is down still starts; until it is
connected, starting a session answers 503 ``unreachable``.
"""

import logging

from cloud.api.live import LiveView
from cloud.bus.local import Bus
from cloud.charging.runner import ChargingRunner
from cloud.charging.service import ChargingOptions, ChargingService
from cloud.commands.sender import CommandSender
from cloud.core.charging.notices import ReminderPolicy
from cloud.core.charging.policy import SessionPolicy
from cloud.errors import CloudError
from cloud.settings import CloudSettings
from cloud.state.store import StateStore
from protocol.brokerurl import BrokerUrl
from protocol.clock import Clock

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
    """Owns the sender, the service and the runner of one process."""

    def __init__(
        self, settings: CloudSettings, store: StateStore, clock: Clock, live: LiveView, bus: Bus, *, ingest: bool
    ) -> None:
        self.live = live
        self.service = ChargingService(store, clock, live=live, sender=None, bus=bus, options=options_from(settings))
        self.runner = ChargingRunner(self.service, tick_s=settings.charging_tick_s, bus=bus, free_count=self.free_count)
        self._settings = settings
        self._bus = bus if ingest else None  # with ingest here the sender waits on the bus, else polls the audit row
        self._sender: CommandSender | None = None

    def free_count(self, shed: str) -> int:
        """Free sockets of a shed now (live state)."""
        for a in self.live.availability():
            if a.shed == shed:
                return a.free
        return 0

    def start(self) -> None:
        """Connect the sender (paho keeps reconnecting in the background) and start the loop."""
        settings, store, clock = self._settings, self.service.store, self.service.clock
        try:
            broker = BrokerUrl.parse(settings.broker)
            self._sender = CommandSender(store, broker, clock, bus=self._bus, ca_file=settings.tls_ca_file)
            self._sender.start(wait=False)
        except (
            CloudError,
            ValueError,
        ) as exc:  # e.g. an unreadable CA file: sessions cannot start, everything else runs
            log.error("charging: no command sender: %s", exc)
        else:
            self.service.sender = self._sender
        self.runner.start()

    def stop(self) -> None:
        """Stop the loop (a pass still running is left to finish on its own: its thread is a daemon, and every
        change it makes is one transaction) and disconnect."""
        self.runner.stop(timeout=STOP_WAIT_S)
        if self._sender is not None:
            self._sender.stop()
