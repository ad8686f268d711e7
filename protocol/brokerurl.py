"""Broker addresses as URLs: mqtt://user:pass@host:port or mqtts:// for TLS."""

from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

from protocol.errors import ProtocolError


@dataclass(frozen=True, slots=True)
class BrokerUrl:
    """A parsed broker URL."""

    host: str
    port: int
    tls: bool = False
    username: str | None = None
    password: str | None = None
    mqtt_version: int = 5  # 5, or 311 for MQTT 3.1.1 brokers (amqtt): ?protocol=311

    @classmethod
    def parse(cls, url: str) -> "BrokerUrl":
        """Parse mqtt:// or mqtts:// URLs; the port defaults to 1883 / 8883."""
        parts = urlsplit(url)
        if parts.scheme not in ("mqtt", "mqtts"):
            raise ProtocolError(f"broker URL {url!r}: scheme must be mqtt or mqtts")
        if not parts.hostname:
            raise ProtocolError(f"broker URL {url!r}: no host")
        tls = parts.scheme == "mqtts"
        try:
            port = parts.port or (8883 if tls else 1883)
        except ValueError as exc:
            raise ProtocolError(f"broker URL {url!r}: {exc}") from None
        user = unquote(parts.username) if parts.username else None
        password = unquote(parts.password) if parts.password else None
        version = parse_qs(parts.query).get("protocol", ["5"])[0]
        if version not in ("5", "311"):
            raise ProtocolError(f"broker URL {url!r}: protocol must be 5 or 311")
        return cls(parts.hostname, port, tls, user, password, int(version))

    def __str__(self) -> str:
        auth = f"{self.username}@" if self.username else ""  # never print the password
        query = "?protocol=311" if self.mqtt_version == 311 else ""
        return f"{'mqtts' if self.tls else 'mqtt'}://{auth}{self.host}:{self.port}{query}"
