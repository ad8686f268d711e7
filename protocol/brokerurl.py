"""Broker addresses as URLs: mqtt://user:pass@host:port or mqtts:// for TLS."""

from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from protocol.errors import ProtocolError


@dataclass(frozen=True, slots=True)
class BrokerUrl:
    """A parsed broker URL."""

    host: str
    port: int
    tls: bool = False
    username: str | None = None
    password: str | None = None

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
        return cls(parts.hostname, port, tls, user, password)

    def __str__(self) -> str:
        auth = f"{self.username}@" if self.username else ""  # never print the password
        return f"{'mqtts' if self.tls else 'mqtt'}://{auth}{self.host}:{self.port}"
