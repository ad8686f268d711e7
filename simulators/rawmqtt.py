"""A minimal publish-only (and count-only subscribe) MQTT 3.1.1 / 5 client for load generation.

Why not paho here: measured on this machine, paho 2.2 publishes QoS 1 at about
15k msg/s at best (each publish wakes its loop thread, and a large in-flight
window is scanned on every PUBACK), which leaves no CPU for the broker on 2 cores.
Fleet mode needs one thing only: many PUBLISH packets written in batches, with
PUBACKs counted. This module does exactly CONNECT, PUBLISH (QoS 0/1), PUBACK
counting, SUBSCRIBE (QoS 0, for counting subscribers) and DISCONNECT; everything
richer (sessions, retries, reconnects) stays with paho in the device twins.
"""

import socket
import ssl
import struct
import threading
from dataclasses import dataclass, field

from protocol.brokerurl import BrokerUrl


class RawMqttError(RuntimeError):
    """The broker refused us, closed the connection, or sent something we cannot read."""


def varint(n: int) -> bytes:
    """MQTT variable byte integer."""
    out = bytearray()
    while True:
        byte, n = n % 128, n // 128
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _utf8(s: str) -> bytes:
    b = s.encode()
    return struct.pack("!H", len(b)) + b


def _read_varint(buf: bytes | bytearray, pos: int) -> tuple[int, int]:
    """(value, position after it), or (-1, pos) when the buffer ends inside it."""
    mult, value = 1, 0
    for i in range(4):
        if pos + i >= len(buf):
            return -1, pos
        byte = buf[pos + i]
        value += (byte & 0x7F) * mult
        if not byte & 0x80:
            return value, pos + i + 1
        mult *= 128
    raise RawMqttError("malformed remaining length")


# Property identifiers of a CONNACK and how long their values are (v5 spec 2.2.2.2); -1 string, -2 pair, -3 binary.
_PROP_SIZES = {
    0x11: 4,
    0x12: -1,
    0x13: 2,
    0x15: -1,
    0x16: -3,
    0x1A: -1,
    0x1C: -1,
    0x1F: -1,
    0x21: 2,
    0x22: 2,
    0x24: 1,
    0x25: 1,
    0x26: -2,
    0x27: 4,
    0x28: 1,
    0x29: 1,
    0x2A: 1,
}


def take_packet_types(buf: bytearray) -> list[int]:
    """Remove every complete packet from the front of ``buf``; their control packet types, in order."""
    pos, n, types = 0, len(buf), []
    while pos + 2 <= n:
        length, body = _read_varint(buf, pos + 1)
        if length < 0 or body + length > n:
            break  # incomplete: wait for more bytes
        types.append(buf[pos] >> 4)
        pos = body + length
    del buf[:pos]
    return types


def _receive_maximum(props: bytes) -> int:
    """The broker's Receive Maximum from CONNACK properties (65535 when absent)."""
    pos = 0
    while pos < len(props):
        pid = props[pos]
        pos += 1
        size = _PROP_SIZES.get(pid)
        if size is None:
            raise RawMqttError(f"unknown CONNACK property 0x{pid:02x}")
        if pid == 0x21:
            return int(struct.unpack_from("!H", props, pos)[0])
        if size > 0:
            pos += size
        else:
            for _ in range(2 if size == -2 else 1):
                (length,) = struct.unpack_from("!H", props, pos)
                pos += 2 + length
    return 65535


@dataclass
class RawPublisher:
    """One MQTT connection that writes pre-built PUBLISH packets in batches and counts PUBACKs."""

    url: BrokerUrl
    client_id: str
    qos: int = 1
    sock: socket.socket | None = None
    receive_maximum: int = 65535
    acked: int = 0
    sent: int = 0
    _next_mid: int = 1
    _reader: threading.Thread | None = None
    _error: str | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def v5(self) -> bool:
        """True for MQTT 5."""
        return self.url.mqtt_version == 5

    def connect(self, timeout: float = 10.0) -> None:
        """Open the TCP (or TLS) connection and complete CONNECT / CONNACK."""
        raw = socket.create_connection((self.url.host, self.url.port), timeout=timeout)
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.url.tls:
            raw = ssl.create_default_context().wrap_socket(raw, server_hostname=self.url.host)
        self.sock = raw
        flags = 0x02  # clean start: a load generator keeps no session
        payload = _utf8(self.client_id)
        if self.url.username:
            flags |= 0x80
            payload += _utf8(self.url.username)
            if self.url.password:
                flags |= 0x40
                payload += _utf8(self.url.password)
        level = 5 if self.v5 else 4
        # keepalive 0: we publish continuously and stop long before any broker-side timeout matters.
        var = _utf8("MQTT") + bytes([level, flags]) + struct.pack("!H", 0) + (b"\x00" if self.v5 else b"")
        body = var + payload
        raw.sendall(b"\x10" + varint(len(body)) + body)
        rest = self._read_packet(expect=0x20)
        code = rest[1] if len(rest) > 1 else 0xFF
        if code != 0:
            raise RawMqttError(f"broker refused the connection (reason code {code})")
        if self.v5 and len(rest) > 2:
            plen, pos = _read_varint(rest, 2)
            self.receive_maximum = _receive_maximum(rest[pos : pos + plen])
        raw.settimeout(None)
        if self.qos:
            self._reader = threading.Thread(target=self._read_acks, daemon=True, name=f"acks-{self.client_id}")
            self._reader.start()

    def _read_packet(self, expect: int) -> bytes:
        """Read one whole packet of the expected type byte; return its body."""
        first = self._recv_exact(1)[0]
        if first != expect:
            raise RawMqttError(f"expected packet 0x{expect:02x}, got 0x{first:02x}")
        mult, length = 1, 0
        for _ in range(4):
            byte = self._recv_exact(1)[0]
            length += (byte & 0x7F) * mult
            if not byte & 0x80:
                break
            mult *= 128
        return self._recv_exact(length)

    def _recv_exact(self, n: int) -> bytes:
        assert self.sock is not None
        out = b""
        while len(out) < n:
            chunk = self.sock.recv(n - len(out))
            if not chunk:
                raise RawMqttError("broker closed the connection")
            out += chunk
        return out

    def _read_acks(self) -> None:
        """Count PUBACKs (the only packets a publish-only client receives)."""
        assert self.sock is not None
        buf = bytearray()
        try:
            while True:
                chunk = self.sock.recv(262_144)
                if not chunk:
                    break
                buf += chunk
                types = take_packet_types(buf)
                if 14 in types:
                    raise RawMqttError("broker sent DISCONNECT")
                count = types.count(4)
                if count:
                    with self._lock:
                        self.acked += count
        except (OSError, RawMqttError) as exc:
            self._error = str(exc)

    def packet(self, topic: bytes, payload: bytes) -> bytes:
        """One PUBLISH packet (topic already length-prefixed), taking the next packet id for QoS 1."""
        if self.qos:
            mid = self._next_mid
            self._next_mid = mid % 65535 + 1
            var = topic + mid.to_bytes(2, "big")
        else:
            var = topic
        if self.v5:
            var += b"\x00"
        return (b"\x32" if self.qos else b"\x30") + varint(len(var) + len(payload)) + var + payload

    def send(self, packets: list[bytes]) -> None:
        """Write a batch of packets in one system call."""
        if self._error:
            raise RawMqttError(self._error)
        assert self.sock is not None
        self.sock.sendall(b"".join(packets))
        self.sent += len(packets)

    def inflight(self) -> int:
        """QoS 1 publishes not yet acknowledged."""
        return self.sent - self.acked if self.qos else 0

    def close(self) -> None:
        """DISCONNECT and close."""
        if self.sock is None:
            return
        try:
            self.sock.sendall(b"\xe0\x00")
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        self.sock = None
        if self._reader is not None:
            self._reader.join(5)


class CountingSubscriber:
    """Subscribes at QoS 0 and counts PUBLISH packets (for proving what the broker delivered)."""

    def __init__(self, url: BrokerUrl, topic_filter: str, client_id: str) -> None:
        self.pub = RawPublisher(url, client_id, qos=0)
        self.topic_filter = topic_filter
        self.received = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._subscribed = threading.Event()

    def start(self, timeout: float = 10.0) -> None:
        """Connect, subscribe, and count in a thread until stop()."""
        self.pub.connect()
        sock = self.pub.sock
        assert sock is not None
        opts = b"\x00"  # QoS 0
        var = struct.pack("!H", 1) + (b"\x00" if self.pub.v5 else b"")
        body = var + _utf8(self.topic_filter) + opts
        sock.sendall(b"\x82" + varint(len(body)) + body)
        self._thread = threading.Thread(target=self._count, daemon=True, name="counting-subscriber")
        self._thread.start()
        if not self._subscribed.wait(timeout):
            raise RawMqttError("no SUBACK")

    def _count(self) -> None:
        sock = self.pub.sock
        assert sock is not None
        sock.settimeout(0.2)
        buf = bytearray()
        while not self._stop.is_set():
            try:
                chunk = sock.recv(1_048_576)
            except TimeoutError:
                continue
            except OSError:
                break
            if not chunk:
                break
            buf += chunk
            types = take_packet_types(buf)
            if 9 in types:
                self._subscribed.set()
            self.received += types.count(3)

    def stop(self) -> int:
        """Stop counting; return the count."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        self.pub.close()
        return self.received
