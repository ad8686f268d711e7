"""Who gets alerted, when, and how: people and their channels, each community's rota, promise and zone.

Loaded from one TOML file (``CloudSettings.alarm_config``)::

    [links]
    base_url = "https://shedwatch.example.org"   # where the signed links point (this cloud's API)
    ttl_s = 7200

    [[person]]
    id = "guard-li"                                # [A-Za-z0-9_-], used in links
    name = "Li (night guard)"
    targets = ["dingtalk://SECRET@TOKEN", "mailto://user:pass@example.org?to=li@example.org"]

    [[community]]
    name = "default"                               # a shed's community from its shed config
    tz = "Asia/Shanghai"
    ack_s = 180                                    # accepted within 3 minutes
    onsite_s = 600                                 # staff on site within 10
    crowded = false                                # inspections half-monthly when true
    chain = ["guard", "shift_leader", "property_manager"]
      [[community.shift]]
      role = "guard"
      person = "guard-li"
      start = "20:00"
      end = "08:00"
      days = [0, 1, 2, 3, 4, 5, 6]                 # 0 = Monday; an overnight shift belongs to its start day

    [shed.shed-a]
    cameras = ["rtsp://cam-1.local/stream"]        # links shown in the incident and its alerts

    [rate_limits]
    json = 600                                     # messages a minute per target of this kind
"""

import socket
import tomllib
from datetime import time
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_serializer

from cloud.core.alarms.clocks import Promise
from cloud.core.alarms.rota import DEFAULT_CHAIN, Rota, Shift
from cloud.errors import SettingsError
from protocol.shedfile import first_error

PersonId = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Person(_Model):
    """Someone who can be alerted, and every target URL they are alerted on (all of them, for redundancy)."""

    id: PersonId
    name: str = ""
    targets: list[str] = []


class ShiftConfig(_Model):
    """One rota line."""

    role: str
    person: PersonId
    start: time = time(0, 0)
    end: time = time(0, 0)
    days: list[Annotated[int, Field(ge=0, le=6)]] = list(range(7))

    @field_serializer("start", "end", when_used="json")
    def _hh_mm(self, value: time) -> str:
        # Local HH:MM, as the TOML and docs/api.md write it (pydantic's own form is HH:MM:SS).
        return value.strftime("%H:%M") if value.second == 0 and value.microsecond == 0 else value.isoformat()


class Community(_Model):
    """One community's zone, promise, inspection rhythm and rota."""

    name: str = "default"
    tz: str = "Asia/Shanghai"
    ack_s: Annotated[float, Field(gt=0)] = 180.0
    onsite_s: Annotated[float, Field(gt=0)] = 600.0
    crowded: bool = False
    chain: list[str] = list(DEFAULT_CHAIN)
    shift: list[ShiftConfig] = []

    def rota(self) -> Rota:
        """The pure core's rota."""
        shifts = tuple(Shift(s.role, s.person, s.start, s.end, frozenset(s.days)) for s in self.shift)
        return Rota(shifts=shifts, tz=self.tz, chain=tuple(self.chain))

    def promise(self) -> Promise:
        """The service promise."""
        return Promise(ack_s=self.ack_s, onsite_s=self.onsite_s)


class Links(_Model):
    """Where signed links point and how long they live."""

    # None: the cloud's own address (own_base_url of its HOST and PORT); a value here wins.
    base_url: str | None = None
    ttl_s: Annotated[float, Field(gt=0, le=7 * 86400)] = 7200.0


class ShedExtras(_Model):
    """Per-shed additions until the inventory carries them."""

    cameras: list[str] = []


class AlarmConfig(_Model):
    """The whole alarm configuration of one cloud."""

    links: Links = Links()
    person: list[Person] = []
    community: list[Community] = []
    shed: dict[str, ShedExtras] = {}
    # Messages a minute per channel kind (URL scheme without '+transport'), replacing the built-in limits.
    rate_limits: dict[str, Annotated[int, Field(ge=1)]] = {}

    def people(self) -> dict[str, Person]:
        """People by id."""
        return {p.id: p for p in self.person}

    def community_of(self, name: str) -> Community:
        """The named community, else the one named 'default', else built-in defaults."""
        by_name = {c.name: c for c in self.community}
        return by_name.get(name) or by_name.get("default") or Community(name=name)


def own_base_url(host: str, port: int) -> str:
    """``http://HOST:PORT`` of this cloud, the default link base: a wildcard host (``0.0.0.0``, ``::``, empty)
    is not an address a phone can use, so the machine's host name stands in for it; IPv6 literals bracketed."""
    if host in ("", "0.0.0.0", "::"):
        host = socket.gethostname()
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def problems(config: AlarmConfig) -> list[tuple[str, str]]:
    """What makes ``config`` unusable, each as (field path in the TOML, e.g. ``community.0.shift.1.person``, the
    problem): shifts naming unknown people or roles outside their chain (empty: fine)."""
    people = config.people()
    found = []
    for c, community in enumerate(config.community):
        for s, shift in enumerate(community.shift):
            if shift.person not in people:
                found.append((f"community.{c}.shift.{s}.person", f"shift names unknown person {shift.person!r}"))
            if shift.role not in community.chain:
                found.append(
                    (f"community.{c}.shift.{s}.role", f"role {shift.role!r} is not in the chain {community.chain}")
                )
    return found


def load_alarm_config(path: Path | None) -> AlarmConfig:
    """Read and check the file (None: defaults, nobody to alert); raises SettingsError naming the problem."""
    if path is None:
        return AlarmConfig()
    try:
        config = AlarmConfig.model_validate(tomllib.loads(path.read_text()))
    except ValidationError as exc:  # one line, naming the field: what an operator needs at start
        raise SettingsError(f"alarm config {path}: {first_error(exc)}") from exc
    except (OSError, tomllib.TOMLDecodeError, ValueError) as exc:
        raise SettingsError(f"alarm config {path}: {exc}") from exc
    found = problems(config)
    if found:
        field, problem = found[0]  # the field path, as first_error names a malformed one
        raise SettingsError(f"alarm config {path}: {field}: {problem}")
    return config
