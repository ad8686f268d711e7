"""Who a person is, for people to read: the display name of a staff account, else the alarm configuration's
name of a rota person, else the id itself. Incidents keep the id (``acked_by``) and this name beside it."""

from collections.abc import Sequence
from dataclasses import replace

from sqlalchemy import Connection

from cloud.alarms.config import AlarmConfig
from cloud.alarms.repo import TimelineEntry
from cloud.state import account_rows


def display_name(conn: Connection, config: AlarmConfig, who: str) -> str:
    """The name people know ``who`` (a user id from the API, a rota person id from a link or the command line) by."""
    user = account_rows.by_id(conn, who) if who else None
    if user is not None and user.display_name:
        return str(user.display_name)
    person = config.people().get(who)
    if person is not None and person.name:
        return person.name
    return who


def named(conn: Connection, config: AlarmConfig, lines: Sequence[TimelineEntry]) -> list[TimelineEntry]:
    """``lines`` with each actor's display name beside its id (``actor_name``; None where nobody acted)."""
    names: dict[str, str] = {}
    out = []
    for e in lines:
        if e.actor and e.actor not in names:
            names[e.actor] = display_name(conn, config, e.actor)
        out.append(replace(e, actor_name=names[e.actor]) if e.actor else e)
    return out
