"""The edge agent's settings: the ``[agent]`` table of the shed TOML, plus the ``[shed]`` config.

One TOML file describes one shed for both the edge agent and the shed simulator. The
``[agent]`` values win; environment variables ``SHEDWATCH_EDGE_*`` fill what the file
leaves out (so a Pi can keep broker credentials in a root-only env file for systemd).
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from edge.errors import ConfigError
from protocol.brokerurl import BrokerUrl
from protocol.config import ShedConfig
from protocol.errors import ProtocolError
from protocol.shedfile import ShedFile, ShedFileError, first_error, load_shed_file, parse_shed_document


class EdgeSettings(BaseSettings):
    """Agent-only settings (``[agent]``)."""

    model_config = SettingsConfigDict(env_prefix="SHEDWATCH_EDGE_", extra="forbid")

    shed_broker: str = "mqtt://127.0.0.1:1883"
    cloud_broker: str = "mqtt://127.0.0.1:1883"
    data_dir: str = "/var/lib/shedwatch/edge"
    client_id: str | None = None  # default: edge-<shed>
    tls_ca_file: str | None = None  # CA bundle for mqtts:// brokers with a private CA (default: system CAs)
    heartbeat_s: Annotated[float, Field(gt=0)] = 30.0
    tick_s: Annotated[float, Field(gt=0, le=5)] = 0.1  # real seconds between timer checks
    outbox_quota_mb: Annotated[float, Field(gt=0)] = 256.0
    quota_check_s: Annotated[float, Field(gt=0)] = 5.0  # real seconds between quota checks
    drain_rate_per_s: Annotated[float, Field(gt=0)] = 2000.0  # bounded drain after reconnect
    drain_window: Annotated[int, Field(ge=1, le=60000)] = 200  # QoS 1 messages in flight at most
    stop_drain_s: Annotated[float, Field(ge=0)] = 2.0  # on a clean stop, deliver the backlog for at most this
    session_expiry_s: Annotated[int, Field(ge=0)] = 7 * 24 * 3600
    reconnect_min_s: Annotated[int, Field(ge=1)] = 1
    reconnect_max_s: Annotated[int, Field(ge=1)] = 30

    @field_validator("shed_broker", "cloud_broker")
    @classmethod
    def _url(cls, value: str) -> str:
        try:
            BrokerUrl.parse(value)
        except ProtocolError as exc:
            raise ValueError(str(exc)) from None
        return value


@dataclass(frozen=True)
class EdgeConfigFile:
    """A loaded shed TOML: agent settings and the shed config."""

    agent: EdgeSettings
    shed: ShedConfig


def parse_config(data: dict[str, Any]) -> EdgeConfigFile:
    """Validate a parsed TOML document, or raise ConfigError naming the field."""
    try:
        return _agent(parse_shed_document(data, where="config"))
    except ShedFileError as exc:
        raise ConfigError(str(exc).removeprefix("config: ")) from None


def load_config(path: str | Path) -> EdgeConfigFile:
    """Read and validate a shed TOML file (protocol.shedfile), or raise ConfigError naming the field."""
    try:
        return _agent(load_shed_file(path))
    except ShedFileError as exc:
        raise ConfigError(str(exc)) from None


def _agent(parsed: ShedFile) -> EdgeConfigFile:
    try:
        return EdgeConfigFile(EdgeSettings(**parsed.agent), parsed.shed)
    except ValidationError as exc:
        raise ConfigError(f"[agent]: {first_error(exc)}") from None
