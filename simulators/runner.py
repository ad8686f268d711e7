"""Runs shed twins against a real broker on a (possibly scaled) clock: the simulator's MQTT adapter.

One paho connection per shed (its devices share the shed's LAN gateway). The main
thread steps every ShedSim up to ``clock.now_ms()``, publishes what they emit
(QoS 1) and writes the ground truth; relay commands arrive on paho's network
thread and are handed over through a queue, so the twins are only ever touched
by one thread. A command wakes the main loop at once, so results go out promptly.
"""

import contextlib
import logging
import queue
import threading
from collections.abc import Callable

import paho.mqtt.client as mqtt

from protocol.brokerurl import BrokerUrl
from protocol.clock import Clock
from protocol.codec import encode
from protocol.topics import Kind, device_filter
from simulators.mqtt import connect, make_client
from simulators.shed import ShedSim
from simulators.truth import TruthWriter, message_record

log = logging.getLogger(__name__)

MAX_WAIT_S = 0.05  # real seconds between checks of the clock at most


class SimRunner:
    """Drives a set of ShedSims in (scaled) real time on one broker."""

    def __init__(
        self,
        sims: list[ShedSim],
        *,
        broker: BrokerUrl,
        clock: Clock,
        truth: TruthWriter,
        stop_at_ms: int | None = None,
        on_tick: Callable[[int], None] | None = None,
    ) -> None:
        self.sims = {s.shed: s for s in sims}
        self.broker = broker
        self.clock = clock
        self.truth = truth
        self.stop_at_ms = stop_at_ms
        self.on_tick = on_tick
        self.speed = float(getattr(clock, "speed", 1.0))
        self.stop = threading.Event()
        self._wake = threading.Event()
        self._commands: queue.SimpleQueue[tuple[str, str, bytes]] = queue.SimpleQueue()
        self._clients: dict[str, mqtt.Client] = {}
        self._last_info: dict[str, mqtt.MQTTMessageInfo] = {}
        self.published = 0

    def _on_message_for(self, shed: str) -> Callable[[mqtt.Client, object, mqtt.MQTTMessage], None]:
        def on_message(_c: mqtt.Client, _u: object, msg: mqtt.MQTTMessage) -> None:
            self._commands.put((shed, msg.topic, bytes(msg.payload)))
            self._wake.set()

        return on_message

    @staticmethod
    def _subscriber_for(shed: str) -> Callable[[mqtt.Client], None]:
        def subscribe(c: mqtt.Client) -> None:
            # (Re)subscribe on every connect: a clean session forgets subscriptions.
            c.subscribe([(device_filter(shed, Kind.RELAY_SET), 1), (device_filter(shed, Kind.KEEPALIVE), 0)])

        return subscribe

    def open(self) -> None:
        """Connect one client per shed and subscribe to its relay commands."""
        for shed in self.sims:
            client = make_client(self.broker, f"sim-{shed}")
            client.on_message = self._on_message_for(shed)
            connect(client, self.broker, on_connected=self._subscriber_for(shed))
            self._clients[shed] = client

    def close(self) -> None:
        """Write the final snapshots, let queued publishes go out, and disconnect."""
        for sim in self.sims.values():
            self.truth.write([sim.snapshot()])
        for shed, client in self._clients.items():
            # Wait briefly for in-flight QoS 1 publishes so the broker holds what the truth says was sent.
            info = self._last_info.get(shed)
            if info is not None:
                with contextlib.suppress(RuntimeError, ValueError):
                    info.wait_for_publish(5)
            client.disconnect()
            client.loop_stop()
        self._clients.clear()
        self.truth.close()

    def step(self) -> int:
        """Advance every shed to now, obey queued commands, publish; return simulated now (ms)."""
        now = self.clock.now_ms()
        if self.stop_at_ms is not None:
            now = min(now, self.stop_at_ms)
        for sim in self.sims.values():
            sim.advance_to(now)
        while True:
            try:
                shed, topic, payload = self._commands.get_nowait()
            except queue.Empty:
                break
            sim = self.sims[shed]
            sim.advance_to(max(now, sim.now_ms))
            sim.handle_relay_message(topic, payload)
        for shed, sim in self.sims.items():
            out, records = sim.drain()
            client = self._clients.get(shed)
            for o in out:
                if client is not None:
                    self._last_info[shed] = client.publish(o.topic, encode(o.message), qos=1)
                self.published += 1
            self.truth.write([*records, *(message_record(o) for o in out)])
        if self.on_tick is not None:
            self.on_tick(now)
        return now

    def run(self) -> int:
        """Run until stopped (signal) or the scenario's end; return the exit code."""
        while not self.stop.is_set():
            now = self.step()
            if self.stop_at_ms is not None and now >= self.stop_at_ms:
                break
            due = min(s.next_due_ms() for s in self.sims.values()) if self.sims else now + 1000
            if self.stop_at_ms is not None:
                due = min(due, self.stop_at_ms)
            wait = max(0.0, min(MAX_WAIT_S, (due - now) / 1000.0 / self.speed))
            self._wake.wait(wait)
            self._wake.clear()
        return 0
