"""Account rows (on a connection): users, their community memberships, and communities (docs/accounts.md).

Uniqueness is the database's: a taken user name or community id raises AccountConflict from the unique index,
so two admins racing on one name cannot both win.
"""

from collections.abc import Collection

from sqlalchemy import Connection, delete, select, update
from sqlalchemy.exc import IntegrityError

from cloud.auth.accounts import User
from cloud.auth.errors import AccountConflict
from cloud.core.access.roles import Role
from cloud.state.accounts_schema import memberships, users
from cloud.state.schema import communities


def _memberships(conn: Connection, ids: Collection[str]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {i: set() for i in ids}
    if ids:
        q = select(memberships.c.user_id, memberships.c.community).where(memberships.c.user_id.in_(sorted(ids)))
        for user_id, community in conn.execute(q):
            found[user_id].add(community)
    return found


def _users(conn: Connection, where: object | None = None) -> list[User]:
    q = select(users).order_by(users.c.username)
    if where is not None:
        q = q.where(where)  # type: ignore[arg-type]
    rows = list(conn.execute(q))
    member = _memberships(conn, [r.id for r in rows])
    return [
        User(
            r.id,
            r.username,
            r.display_name,
            Role(r.role),
            frozenset(member[r.id]),
            bool(r.everywhere),
            bool(r.disabled),
            int(r.created_ms),
            r.password_hash,
        )
        for r in rows
    ]


def insert(conn: Connection, user: User) -> None:
    """Store a new user and its memberships; raises AccountConflict when the user name is taken."""
    try:
        with conn.begin_nested():
            conn.execute(
                users.insert().values(
                    id=user.id,
                    username=user.username,
                    display_name=user.display_name,
                    role=user.role.value,
                    password_hash=user.password_hash,
                    everywhere=user.everywhere,
                    disabled=user.disabled,
                    created_ms=user.created_ms,
                )
            )
    except IntegrityError:
        raise AccountConflict(f"user name {user.username!r} is taken") from None
    set_communities(conn, user.id, user.communities)


def by_username(conn: Connection, username: str) -> User | None:
    """The user with this (case-folded) name."""
    found = _users(conn, users.c.username == username)
    return found[0] if found else None


def by_id(conn: Connection, user_id: str) -> User | None:
    """The user with this id."""
    found = _users(conn, users.c.id == user_id)
    return found[0] if found else None


def by_ids(conn: Connection, user_ids: Collection[str]) -> dict[str, User]:
    """The users with these ids, by id (ids of no user are left out); one query however many."""
    return {u.id: u for u in _users(conn, users.c.id.in_(sorted(user_ids)))} if user_ids else {}


def listed(conn: Connection, *, communities: Collection[str] | None) -> list[User]:
    """Users by name; ``communities=None`` every user, else those with a membership in one of them."""
    if communities is None:
        return _users(conn)
    ids = select(memberships.c.user_id).where(memberships.c.community.in_(sorted(communities)))
    return _users(conn, users.c.id.in_(ids))


def count_admins_everywhere(conn: Connection) -> int:
    """Enabled deployment-wide admins (the CLI's create-admin refuses a second one only when asked to)."""
    q = select(users.c.id).where(users.c.everywhere.is_(True), users.c.disabled.is_(False))
    return len(list(conn.execute(q)))


def update_user(conn: Connection, user_id: str, **values: object) -> None:
    """Set columns of one user (display_name, role, password_hash, disabled)."""
    conn.execute(update(users).where(users.c.id == user_id).values(**values))


def set_communities(conn: Connection, user_id: str, wanted: Collection[str]) -> None:
    """Replace a user's memberships."""
    conn.execute(delete(memberships).where(memberships.c.user_id == user_id))
    if wanted:
        conn.execute(memberships.insert(), [{"user_id": user_id, "community": c} for c in sorted(set(wanted))])


def community_names(conn: Connection, only: Collection[str] | None = None) -> dict[str, str]:
    """Community id -> display name; ``only`` limits to those ids."""
    q = select(communities.c.community, communities.c.name).order_by(communities.c.community)
    if only is not None:
        q = q.where(communities.c.community.in_(sorted(only)))
    return {c: n for c, n in conn.execute(q)}


def insert_community(conn: Connection, community: str, name: str) -> None:
    """Create a community; raises AccountConflict when the id exists."""
    try:
        with conn.begin_nested():
            conn.execute(communities.insert().values(community=community, name=name))
    except IntegrityError:
        raise AccountConflict(f"community {community!r} exists") from None
