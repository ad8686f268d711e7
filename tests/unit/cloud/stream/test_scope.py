"""Each role sees exactly the stream events the permission table lets it read, in its own communities."""

import pytest

from cloud.core.access.roles import Principal, Role
from cloud.stream.frames import EVENT_TYPES, EventType, Outgoing, encode
from cloud.stream.scope import Scope

ALL: tuple[EventType, ...] = EVENT_TYPES


def seen(principal: Principal | None, community: str = "c1", owner: str | None = "u1") -> set[EventType]:
    scope = Scope(principal)
    out = set()
    for t in ALL:
        event = encode(1, 1, Outgoing(t, community, {}, owner=owner if t == "session" else None))
        if scope.allows(event):
            out.add(t)
    return out


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (Role.ADMIN, set(ALL)),
        (Role.OPERATOR, set(ALL)),
        (Role.SECURITY, {"socket", "socket_stop", "availability", "alarm", "incident"}),  # no personal data
        (Role.INSTALLER, {"socket", "socket_stop", "availability", "alarm"}),  # never incidents' people or sessions
        (Role.RESIDENT, {"availability", "session"}),  # u1's own session
    ],
)
def test_each_role_in_its_community(role: Role, expected: set[EventType]) -> None:
    assert seen(Principal("u1", role, frozenset({"c1"}))) == expected


def test_anonymous_callers_get_availability_only() -> None:
    assert seen(None) == {"availability"}


def test_another_community_shows_only_public_availability() -> None:
    for role in Role:
        assert seen(Principal("u1", role, frozenset({"c2"}))) == {"availability"}


def test_a_resident_never_sees_another_residents_session() -> None:
    assert seen(Principal("u2", Role.RESIDENT, frozenset({"c1"}))) == {"availability"}


def test_an_everywhere_admin_sees_every_community() -> None:
    assert seen(Principal("root", Role.ADMIN, everywhere=True), community="c9") == set(ALL)
