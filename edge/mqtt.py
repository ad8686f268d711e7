"""paho clients built from broker URLs: MQTT 5 or 3.1.1, TLS, credentials, persistent sessions."""

import logging
import socket

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from protocol.brokerurl import BrokerUrl


class OncePerOutage(logging.Filter):
    """Lets through paho's first warning or error of an outage and counts the rest (one line per outage).

    paho logs an error on every failed reconnect; over a long outage that floods the log. The owner
    calls ``down()`` when the connection is lost and ``up()`` when it is back (which returns how many
    records were held back, for its own one-line summary).
    """

    def __init__(self) -> None:
        super().__init__()
        self._down = True  # until the first connection: a broker not reachable at start is an outage too
        self._shown = False
        self.suppressed = 0

    def down(self) -> None:
        """The connection is lost."""
        self._down, self._shown, self.suppressed = True, False, 0

    def up(self) -> int:
        """The connection is back; returns the records held back during the outage."""
        held, self._down, self.suppressed = self.suppressed, False, 0
        return held

    def filter(self, record: logging.LogRecord) -> bool:
        """Pass everything while connected, and the first warning or error of an outage."""
        if not self._down or record.levelno < logging.WARNING:
            return True
        if not self._shown:
            self._shown = True
            return True
        self.suppressed += 1
        return False


def make_client(
    url: BrokerUrl,
    client_id: str,
    *,
    persistent: bool,
    ca_file: str | None = None,
    log_filter: logging.Filter | None = None,
    manual_ack: bool = False,
) -> mqtt.Client:
    """A paho client (network loop in its own thread) for one broker; not yet connected.

    ``log_filter`` goes on this client's own paho logger (``shedwatch.edge.paho.<client id>``);
    ``manual_ack``: QoS 1 messages are acknowledged by ``client.ack`` only (after they are safe).
    """
    if url.mqtt_version == 5:
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=MQTTProtocolVersion.MQTTv5,
            manual_ack=manual_ack,
        )
    else:
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id,
            clean_session=not persistent,
            protocol=MQTTProtocolVersion.MQTTv311,
            manual_ack=manual_ack,
        )
    # an exception in one of our callbacks must be logged, never end the network thread
    # (that would silence the interlocks); our callbacks also guard themselves
    client.suppress_exceptions = True
    logger = logging.getLogger(f"shedwatch.edge.paho.{client_id}")
    if log_filter is not None:
        logger.addFilter(log_filter)
    client.enable_logger(logger)
    if url.username:
        client.username_pw_set(url.username, url.password)
    if url.tls:
        client.tls_set(ca_certs=ca_file)
    return client


def connect_async(
    client: mqtt.Client, url: BrokerUrl, *, persistent: bool, session_expiry_s: int, keepalive: int = 15
) -> None:
    """Start connecting in the background; paho keeps reconnecting with backoff."""
    if url.mqtt_version == 5:
        props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        if persistent:
            props.SessionExpiryInterval = session_expiry_s
        client.connect_async(url.host, url.port, keepalive=keepalive, clean_start=not persistent, properties=props)
    else:
        client.connect_async(url.host, url.port, keepalive=keepalive)


def no_delay(client: mqtt.Client) -> None:
    """Send small packets (a relay-off) at once: Nagle with delayed ACKs can hold them ~40 ms."""
    sock = client.socket()
    if isinstance(sock, socket.socket):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
