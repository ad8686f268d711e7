"""Who a person is, for people to read: the display name of a staff account, else the alarm configuration's
name of a rota person, else the id itself. Incidents keep the id (``acked_by``) and this name beside it."""

from sqlalchemy import Connection

from cloud.alarms.config import AlarmConfig
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
