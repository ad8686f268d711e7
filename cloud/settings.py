"""CloudSettings: the one settings object of a cloud process (env prefix SHEDWATCH_CLOUD_).

The accounts and token fields (environment, secret key, token lifetime, cookies, login throttling, Argon2 costs)
come from cloud.auth.settings.AuthSettings, with its rule: outside development a missing or placeholder secret
refuses to start (docs/accounts.md, "Settings").
"""

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from cloud.auth.settings import AuthSettings
from cloud.core.alarms.rules import RulePolicy


class CloudSettings(AuthSettings):
    """Everything a cloud process (API and/or ingest worker) is configured by."""

    model_config = SettingsConfigDict(env_prefix="SHEDWATCH_CLOUD_", extra="ignore")

    broker: str = "mqtt://127.0.0.1:1883"
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    data_dir: Path = Path("./data/cloud")
    clock: str = "real"
    # PEM bundle of a private CA for an mqtts:// broker (default: the system CAs).
    tls_ca_file: str | None = None

    # Ingest inside the API process; turn off when standalone `shedwatch cloud ingest` workers run elsewhere.
    ingest: bool = True
    # MQTT 5 shared-subscription group; every worker of one group gets a share of the stream.
    share_group: str = "shedwatch-ingest"
    # Stable per worker: the broker keeps unacknowledged messages in this session across a crash.
    client_id: str = ""
    session_expiry_s: int = Field(default=3600, ge=0)
    batch_max: int = Field(default=2000, ge=1, le=60_000)
    batch_delay_s: float = Field(default=0.05, gt=0, le=10)
    # Publish end-to-end acknowledgements (sw/v1/cloud/{shed}/ack). A worker follows only the seqs it stores
    # itself, so with several workers sharing the subscription turn this off (and run edges with ack = "broker").
    delivery_acks: bool = True

    # State store (SQLAlchemy URL); empty means SQLite in data_dir.
    state_url: str = ""
    # Telemetry store backend.
    telemetry: Literal["sqlite", "influxdb"] = "sqlite"
    influx_url: str = ""
    influx_token: str = ""
    influx_org: str = ""
    influx_bucket: str = "shedwatch"

    # Shed TOML files (the same ones the edge uses): they register sheds, devices and communities.
    shed_configs: list[Path] = []
    # Reject messages from sheds that no shed config registers.
    strict_registry: bool = False

    # How often a running cloud re-reads the inventory (sheds, devices, communities) another process imported.
    inventory_refresh_s: float = Field(default=5.0, gt=0)
    # How often the API polls the state store's event feed when ingest runs in other processes.
    live_poll_s: float = Field(default=0.2, gt=0)
    # GET /api/v1/sheds/{shed} answers from a kept view (its live status always current); past this age it is
    # rebuilt behind the answer, past twice this age before it: the inventory, inspections and newest readings
    # may be up to twice this old (cloud/api/shed_views.py). 0: built for every request.
    shed_view_max_age_s: float = Field(default=1.0, ge=0, le=60)
    # uvicorn's line per request on stderr. Off: it cost about a fifth of a cached public read, and a reverse
    # proxy in front logs the same; turn on to watch requests while debugging.
    access_log: bool = False

    # The live stream (GET /api/v1/stream): events kept for Last-Event-ID resumes, events a client may fall
    # behind before it is dropped, seconds between ping frames.
    stream_ring_size: int = Field(default=10_000, ge=1, le=1_000_000)
    stream_queue_size: int = Field(default=1_000, ge=1, le=100_000)
    stream_ping_s: float = Field(default=5.0, gt=0, le=60)
    # Seconds between polls of the alarm tables for the stream's cloud alarm and incident events.
    stream_alarm_poll_s: float = Field(default=1.0, gt=0, le=60)
    # Seconds between re-reads of the accounts behind open streams: a disabled, removed or changed account's
    # stream ends within this (docs/api.md, "Live stream").
    stream_recheck_s: float = Field(default=30.0, gt=0, le=300)

    # Seconds between re-estimates of the free-socket ETA of full sheds (also at once when a shed fills up).
    eta_refresh_s: float = Field(default=30.0, gt=0, le=3600)

    # A command sender (remote commands through the API) in this API process: on, off, or unset = when ingest is
    # on (its broker is then this process's too).
    commands: bool | None = None

    # The alarm service and notifier (they run in whichever API process holds the leader lock).
    alarms: bool = True
    # TOML file of people, their alert targets, each community's rota and promise (docs/alarms.md).
    alarm_config: Path | None = None

    # Only `shedwatch demo` sets this: the file its simulator watches for drill requests. Unset (every real
    # deployment), POST /api/v1/demo/drill does not exist (404) and the control room shows no drill button.
    demo_drill_file: Path | None = None
    # HMAC key of the signed ack / on-site links; empty: a random key kept in data_dir/link-secret. Set it
    # explicitly when API processes on several hosts serve the links.
    link_secret: str = ""
    alarm_tick_s: float = Field(default=1.0, gt=0, le=60)
    # The cloud rules fed by this process's ingest (docs/alarms.md, "Cloud-side rules"): a device with nothing
    # heard for the first two together is device_silent (unless its edge reported it offline); a post above its
    # limit for the third is post_over_limit_long.
    alarm_device_silent_s: float = Field(default=180.0, gt=0, le=86_400)
    alarm_device_report_grace_s: float = Field(default=30.0, ge=0, le=3600)
    alarm_post_over_s: float = Field(default=600.0, gt=0, le=86_400)

    # Charging sessions on authorised sheds (docs/api.md, "Charging"): the session service runs in every API
    # process; its notices go out through the alarm service's notifier (``alarms``).
    charging: bool = True
    charging_tick_s: float = Field(default=1.0, gt=0, le=60)
    charging_command_timeout_s: float = Field(default=10.0, gt=0, le=120)  # real seconds a start/stop waits
    charging_confirm_timeout_s: float = Field(default=60.0, gt=0, le=3600)  # the edge's start, then ended
    charging_edge_grace_s: float = Field(default=300.0, ge=0, le=86_400)  # past a time limit, before the cloud ends
    charging_max_session_s: float = Field(default=43_200.0, gt=0, le=86_400)
    charging_min_balance_fen: int = Field(default=100, ge=0)
    charging_reminders: int = Field(default=3, ge=0, le=10)  # "please move your bike" reminders after full
    charging_reminder_s: float = Field(default=900.0, gt=0)
    charging_free_notice_s: float = Field(default=900.0, ge=0)  # per resident and shed, at most one per this

    # Retention per resolution, in days.
    raw_retention_days: float = Field(default=7, gt=0)
    minute_retention_days: float = Field(default=90, gt=0)
    hour_retention_days: float = Field(default=3650, gt=0)

    def state_store_url(self) -> str:
        """The SQLAlchemy URL of the state store."""
        return self.state_url or f"sqlite:///{self.data_dir / 'state.db'}"

    def telemetry_path(self) -> Path:
        """The SQLite telemetry database file."""
        return self.data_dir / "telemetry.db"

    def alarm_rules(self) -> RulePolicy:
        """The cloud rules' thresholds these settings change (the rest keep RulePolicy's defaults)."""
        return RulePolicy(
            device_silent_s=self.alarm_device_silent_s,
            device_report_grace_s=self.alarm_device_report_grace_s,
            post_over_hold_s=self.alarm_post_over_s,
        )
