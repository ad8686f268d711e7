"""The alarm configuration in force: the TOML seed with the API-edited documents of each community on top (pure).

Each community may have three documents (cloud/state/config_docs.py): ``community`` (zone, promise, inspection
rhythm), ``rota`` (chain and shifts) and ``channels`` (its people and their alert targets). A document replaces
that part of the community's entry in the seed; a community the seed does not name starts from the seed's
``default`` entry (what applied to it before), so editing only its promise keeps the rota it had. People of a
channels document are added to the seed's (replacing a seed person of the same id); two communities may not
define the same person id.
"""

from collections.abc import Mapping
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator

from cloud.alarms.config import AlarmConfig, Community, Person, ShiftConfig, problems
from cloud.core.alarms.rota import DEFAULT_CHAIN
from cloud.state.config_docs import DocKind

RoleName = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")]


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CommunitySettings(_Doc):
    """A community's zone (IANA), service promise (seconds to accept, to be on site) and inspection rhythm."""

    tz: str = "Asia/Shanghai"
    ack_s: Annotated[float, Field(gt=0, le=86_400)] = 180.0
    onsite_s: Annotated[float, Field(gt=0, le=86_400)] = 600.0
    crowded: bool = False

    @field_validator("tz")
    @classmethod
    def _zone(cls, tz: str) -> str:
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {tz!r}") from None
        return tz


class RotaDoc(_Doc):
    """The escalation chain (roles, first paged first) and the shifts that hold its roles."""

    chain: Annotated[list[RoleName], Field(min_length=1, max_length=10)] = list(DEFAULT_CHAIN)
    shift: Annotated[list[ShiftConfig], Field(max_length=500)] = []


class ChannelsDoc(_Doc):
    """The community's people and every alert target URL of each (all are used, for redundancy)."""

    person: Annotated[list[Person], Field(max_length=500)] = []

    @field_validator("person")
    @classmethod
    def _unique(cls, people: list[Person]) -> list[Person]:
        ids = [p.id for p in people]
        if len(set(ids)) != len(ids):
            raise ValueError("person ids must be unique")
        return people


class ConfigConflict(ValueError):
    """Documents that cannot work together (the message says why)."""


def community_entry(seed: AlarmConfig, community: str) -> Community:
    """The seed's entry for ``community``: its own, else the ``default`` one renamed, else built-in defaults."""
    by_name = {c.name: c for c in seed.community}
    own = by_name.get(community)
    if own is not None:
        return own
    fallback = by_name.get("default")
    return fallback.model_copy(update={"name": community}) if fallback else Community(name=community)


def merge(seed: AlarmConfig, docs: Mapping[tuple[str, DocKind], Mapping[str, object]]) -> AlarmConfig:
    """The configuration in force; raises ConfigConflict for a shared person id or a shift that cannot page."""
    entries = {c.name: c for c in seed.community}
    people = {p.id: p for p in seed.person}
    defined_by: dict[str, str] = {}
    for (community, kind), body in sorted(docs.items()):
        entry = entries.get(community) or community_entry(seed, community)
        if kind is DocKind.COMMUNITY:
            entry = entry.model_copy(update=CommunitySettings.model_validate(body).model_dump())
        elif kind is DocKind.ROTA:
            rota = RotaDoc.model_validate(body)
            entry = entry.model_copy(update={"chain": rota.chain, "shift": rota.shift})
        else:
            for person in ChannelsDoc.model_validate(body).person:
                other = defined_by.setdefault(person.id, community)
                if other != community:
                    raise ConfigConflict(f"person {person.id!r} is already defined by community {other!r}")
                people[person.id] = person
        entries[community] = entry
    merged = seed.model_copy(update={"community": list(entries.values()), "person": list(people.values())})
    found = problems(merged)
    if found:
        raise ConfigConflict(found[0][1])  # the API's document is not the TOML: its path would mislead
    return merged
