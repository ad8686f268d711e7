"""The edge agent's settings: the ``[agent]`` table of the shed TOML, plus the ``[shed]`` config.

One TOML file describes one shed for both the edge agent and the shed simulator. The
``[agent]`` values win; environment variables ``SHEDWATCH_EDGE_*`` fill what the file
leaves out (so a Pi can keep broker credentials in a root-only env file for systemd).
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

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
    # "cloud": a row leaves the outbox when the cloud's acknowledgement says it is stored (end to end);
    # "broker": when the cloud broker's PUBACK comes (for a cloud that publishes no acknowledgements)
    ack: Literal["cloud", "broker"] = "cloud"
    fresh_wait_s: Annotated[float, Field(ge=0)] = 2.0  # a new outbox waits this long for the cloud's ack
    stop_drain_s: Annotated[float, Field(ge=0)] = 2.0  # on a clean stop, deliver the backlog for at most this
    session_expiry_s: Annotated[int, Field(ge=0)] = 7 * 24 * 3600
    shed_session_expiry_s: Annotated[int, Field(ge=0)] = 3600  # the shed broker keeps our readings this long
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


def check_client_id(client_id: str | None, shed: str) -> None:
    """Refuse a cloud client id that does not name this shed: ``edge-<shed>`` or ``edge-<shed>-<suffix>``.

    A config copied from another shed keeps that shed's client id; the two agents then take the
    broker session from each other in a loop, and one of them receives the other's commands.
    ``edge-<shed>-io`` is the shed broker's client id and is refused too. Raises ConfigError.
    """
    if client_id is None:
        return
    own = f"edge-{shed}"
    if client_id == f"{own}-io" or not (client_id == own or client_id.startswith(f"{own}-")):
        raise ConfigError(
            f"[agent]: client_id: {client_id!r} does not name shed {shed!r} "
            f"(use {own!r} or {own + '-<suffix>'!r}, not {own + '-io'!r})"
        )


def load_config(path: str | Path) -> EdgeConfigFile:
    """Read and validate a shed TOML file (protocol.shedfile), or raise ConfigError naming the field."""
    try:
        return _agent(load_shed_file(path))
    except ShedFileError as exc:
        raise ConfigError(str(exc)) from None


def _agent(parsed: ShedFile) -> EdgeConfigFile:
    try:
        agent = EdgeSettings(**parsed.agent)
    except ValidationError as exc:
        raise ConfigError(f"[agent]: {first_error(exc)}") from None
    check_client_id(agent.client_id, parsed.shed.shed)
    return EdgeConfigFile(agent, parsed.shed)
