"""paho-mqtt clients built from broker URLs: the simulators' only MQTT adapter."""

import threading
import uuid
from collections.abc import Callable

import paho.mqtt.client as mqtt

from protocol import mqttclient as mqtt_adapter
from protocol.brokerurl import BrokerUrl


class BrokerUnreachable(RuntimeError):
    """The broker did not accept our connection in time."""


def make_client(url: BrokerUrl, prefix: str) -> mqtt.Client:
    """A paho client (network loop not started) for this broker, with a unique client id."""
    client = mqtt_adapter.make_client(
        url, f"{prefix}-{uuid.uuid4().hex[:8]}", persistent=False, logger="shedwatch.sim.paho"
    )
    client.max_inflight_messages_set(1000)
    client.reconnect_delay_set(min_delay=1, max_delay=10)
    return client


def connect(
    client: mqtt.Client,
    url: BrokerUrl,
    timeout: float = 10.0,
    on_connected: Callable[[mqtt.Client], None] | None = None,
) -> None:
    """Connect and start the network loop; wait until the broker accepts us (or BrokerUnreachable).

    ``on_connected`` runs on every successful (re)connect, e.g. to subscribe again.
    """
    connected = threading.Event()

    def on_connect(c: mqtt.Client, _u: object, _f: object, reason: object, _p: object) -> None:
        if not getattr(reason, "is_failure", False):
            if on_connected is not None:
                on_connected(c)
            connected.set()

    client.on_connect = on_connect
    try:
        mqtt_adapter.connect_async(client, url, persistent=False, keepalive=30)
    except mqtt_adapter.MqttError as exc:
        raise BrokerUnreachable(str(exc)) from None
    client.loop_start()
    if not connected.wait(timeout):
        client.loop_stop()
        raise BrokerUnreachable(f"broker {url} did not accept a connection within {timeout:g} s")
