"""The one MQTT adapter: a broker URL in, a configured paho client out (edge, cloud and simulators use it).

It sets what every ShedWatch client needs and paho leaves to the caller: MQTT 5 or 3.1.1
from the URL, credentials, TLS with the system CAs or a private CA file, TCP_NODELAY on
every socket it opens (Nagle with delayed ACKs can hold a small relay-off or command
~40 ms), callbacks that log instead of ending the network thread, and paho's connect
errors translated into MqttError.
"""

import logging
import socket
import ssl

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from protocol.brokerurl import BrokerUrl
from protocol.errors import ProtocolError


class MqttError(ProtocolError):
    """A broker could not be reached or refused us (paho's OSError / ValueError, translated here)."""


class OncePerOutage(logging.Filter):
    """Logs paho's first warning or error of an outage as one WARNING and counts the rest (one line per outage).

    paho logs an error on every failed reconnect (and "Client is not connected" while a broker is unreachable);
    over a long outage that floods the log, and an outage the software rides out is no ERROR: nobody must be
    called out for a broker that is down at start. The owner calls ``down()`` when the connection is lost,
    ``up()`` when it is back (which returns how many records were held back, for its own one-line summary),
    and ``closing()`` before a deliberate disconnect: what paho says from then on is INFO.
    """

    def __init__(self) -> None:
        super().__init__()
        self._down = True  # until the first connection: a broker not reachable at start is an outage too
        self._shown = False
        self._closing = False
        self.suppressed = 0

    def down(self) -> None:
        """The connection is lost."""
        self._down, self._shown, self.suppressed = True, False, 0

    def up(self) -> int:
        """The connection is back; returns the records held back during the outage."""
        held, self._down, self.suppressed = self.suppressed, False, 0
        return held

    def closing(self) -> None:
        """The owner disconnects on purpose (a clean stop): paho's complaints about it are expected."""
        self._closing = True

    def filter(self, record: logging.LogRecord) -> bool:
        """Pass everything while connected; during an outage the first warning or error, as a WARNING."""
        if record.levelno < logging.WARNING:
            return True
        if self._closing:
            _level(record, logging.INFO)
            return True
        if not self._down:
            return True
        if not self._shown:
            self._shown = True
            _level(record, logging.WARNING)
            return True
        self.suppressed += 1
        return False


def _level(record: logging.LogRecord, level: int) -> None:
    record.levelno, record.levelname = level, logging.getLevelName(level)


def make_client(
    url: BrokerUrl,
    client_id: str,
    *,
    persistent: bool,
    ca_file: str | None = None,
    manual_ack: bool = False,
    logger: str = "shedwatch.paho",
    log_filter: logging.Filter | None = None,
) -> mqtt.Client:
    """A paho client (network loop in its own thread) for one broker; not yet connected.

    ``persistent``: keep the broker session across reconnects (3.1.1 clean_session=False; on MQTT 5 the
    session expiry is given by connect_async). ``ca_file``: PEM bundle of a private CA for mqtts:// URLs.
    ``manual_ack``: QoS 1 messages are acknowledged by ``client.ack`` only (after they are safe). paho logs to
    ``<logger>.<client id>``, through ``log_filter`` when given (e.g. OncePerOutage).
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
    # (on the edge that would silence the interlocks); our callbacks also guard themselves
    client.suppress_exceptions = True
    paho_log = logging.getLogger(f"{logger}.{client_id}")
    if log_filter is not None:
        paho_log.addFilter(log_filter)
    client.enable_logger(paho_log)
    client.on_socket_open = _on_socket_open
    if url.username:
        client.username_pw_set(url.username, url.password)
    if url.tls:
        try:
            client.tls_set(ca_certs=ca_file, cert_reqs=ssl.CERT_REQUIRED)
        except (OSError, ValueError, ssl.SSLError) as exc:
            raise MqttError(f"TLS for {url}: {exc}") from None
    return client


def _on_socket_open(_client: mqtt.Client, _userdata: object, sock: object) -> None:
    if isinstance(sock, socket.socket):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def connect_async(
    client: mqtt.Client,
    url: BrokerUrl,
    *,
    persistent: bool,
    session_expiry_s: int = 0,
    keepalive: int = 15,
    receive_max: int | None = None,
) -> None:
    """Start connecting in the background; paho keeps reconnecting with backoff. Raises MqttError."""
    try:
        if url.mqtt_version == 5:
            props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
            if persistent:
                props.SessionExpiryInterval = session_expiry_s
            if receive_max is not None:
                props.ReceiveMaximum = min(65_535, receive_max)
            client.connect_async(url.host, url.port, keepalive=keepalive, clean_start=not persistent, properties=props)
        else:
            client.connect_async(url.host, url.port, keepalive=keepalive)
    except (OSError, ValueError) as exc:
        raise MqttError(f"cannot connect to {url}: {exc}") from None


def no_delay(client: mqtt.Client) -> None:
    """Send small packets (a relay-off) at once: Nagle with delayed ACKs can hold them ~40 ms."""
    sock = client.socket()
    if isinstance(sock, socket.socket):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
