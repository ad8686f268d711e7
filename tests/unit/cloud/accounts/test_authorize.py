"""Every role x action boundary of the permission table, and the issue's named boundaries."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cloud.core.access.audit import AuditRecord, audit_record
from cloud.core.access.authorize import Resource, authorize
from cloud.core.access.permissions import PERMISSIONS, STATE_CHANGING, Action, Grant, grant
from cloud.core.access.roles import AccessError, Principal, Role

# The expected table, written out by hand (P public, C own community, O own resources, - refused).
# Columns: admin operator security installer resident. docs/accounts.md shows the same table.
EXPECTED = """
availability.read    P P P P P
tariff.read          P P P P P
inventory.read       C C C C -
history.read         C C C C -
alarm.read           C C C C -
alarm.respond        C C C - -
alarm.assign         C C - - -
alarm.shelve         C C - - -
incident.read        C C C - -
incident.respond     C C C - -
inspection.read      C C C C -
inspection.record    C - C C -
command.stop_socket  C C C - -
command.start_socket C C - - -
command.reset_trip   C C - C -
command.push_config  C - - C -
config.community     C - - - -
config.inventory     C - - C -
config.thresholds    C - - C -
config.rota          C C - - -
config.channels      C C - - -
config.tariff        C - - - -
resident.read        C C - - O
resident.write       C C - - O
user.manage          C - - - -
session.read         C C - - O
session.start        - - - - O
session.stop         C C C - O
wallet.read          C C - - O
wallet.credit        C C - - -
notification.manage  - - - - O
audit.read           C - - - -
stream.read          C C C C O
demo.drill           C - - - -
"""
ROLES = [Role.ADMIN, Role.OPERATOR, Role.SECURITY, Role.INSTALLER, Role.RESIDENT]
CODES = {"P": Grant.PUBLIC, "C": Grant.COMMUNITY, "O": Grant.OWN, "-": None}
CELLS = [
    (Action(line.split()[0]), role, CODES[code])
    for line in EXPECTED.strip().splitlines()
    for role, code in zip(ROLES, line.split()[1:], strict=True)
]


def test_the_expected_table_names_every_action_once() -> None:
    names = [line.split()[0] for line in EXPECTED.strip().splitlines()]
    assert sorted(names) == sorted(a.value for a in Action)
    assert set(PERMISSIONS) == set(Action)


def _user(role: Role, user: str = "u1", community: str = "c1") -> Principal:
    return Principal(user, role, frozenset({community}))


@pytest.mark.parametrize(("action", "role", "expected"), CELLS, ids=[f"{a.value}-{r.value}" for a, r, _ in CELLS])
def test_every_cell_of_the_table(action: Action, role: Role, expected: Grant | None) -> None:
    assert grant(role, action) is expected
    me = _user(role)
    own_here = authorize(me, action, Resource("c1", owner="u1"))
    someone_elses_here = authorize(me, action, Resource("c1", owner="u2"))
    other_community = authorize(me, action, Resource("c2", owner="u1"))
    if expected is None:
        assert not own_here and not someone_elses_here and not other_community
        assert own_here.reason == f"role {role.value} may not {action.value}"
    elif expected is Grant.PUBLIC:
        assert own_here and someone_elses_here and other_community
    elif expected is Grant.COMMUNITY:
        assert own_here and someone_elses_here
        assert not other_community and other_community.reason == "outside the user's communities"
    else:
        assert own_here
        assert not someone_elses_here and someone_elses_here.reason == "not the user's own"
        assert not other_community


def test_anonymous_reads_availability_and_tariffs_only() -> None:
    for action in Action:
        decision = authorize(None, action, Resource("c1"))
        assert decision.allowed is (action in {Action.AVAILABILITY_READ, Action.TARIFF_READ}), action
        if not decision:
            assert decision.reason == "login required"


def test_a_resident_never_reads_another_residents_sessions_or_wallet() -> None:
    alice = _user(Role.RESIDENT, "alice")
    for action in (Action.SESSION_READ, Action.SESSION_STOP, Action.WALLET_READ, Action.RESIDENT_READ):
        assert authorize(alice, action, Resource("c1", owner="alice"))
        assert not authorize(alice, action, Resource("c1", owner="bob"))
        assert not authorize(alice, action, Resource("c1", owner=None))  # an unowned list: staff only


def test_security_staff_cannot_change_configuration() -> None:
    guard = _user(Role.SECURITY)
    for action in [a for a in Action if a.value.startswith("config.")] + [Action.COMMAND_PUSH_CONFIG]:
        assert not authorize(guard, action, Resource("c1")), action
    assert authorize(guard, Action.COMMAND_STOP_SOCKET, Resource("c1"))  # cutting power stays theirs


def test_an_installer_cannot_see_residents() -> None:
    fitter = _user(Role.INSTALLER)
    for action in (Action.RESIDENT_READ, Action.SESSION_READ, Action.WALLET_READ, Action.AUDIT_READ):
        assert not authorize(fitter, action, Resource("c1", owner="alice")), action


def test_cross_community_access_is_refused_for_every_non_public_action() -> None:
    for role in Role:
        me = _user(role)
        for action in Action:
            if grant(role, action) not in (None, Grant.PUBLIC):
                assert not authorize(me, action, Resource("c2", owner="u1")), (role, action)


def test_a_deployment_wide_admin_reaches_every_community_and_deployment_wide_resources() -> None:
    root = Principal("root", Role.ADMIN, everywhere=True)
    local = _user(Role.ADMIN)
    assert authorize(root, Action.CONFIG_COMMUNITY, Resource(None))
    assert authorize(root, Action.AUDIT_READ, Resource("c9"))
    assert not authorize(local, Action.CONFIG_COMMUNITY, Resource(None))
    assert not authorize(root, Action.SESSION_START, Resource("c1", owner="root"))  # admins do not charge bikes


def test_a_user_of_several_communities_sees_each_of_them() -> None:
    op = Principal("op", Role.OPERATOR, frozenset({"c1", "c2"}))
    assert authorize(op, Action.ALARM_READ, Resource("c1")) and authorize(op, Action.ALARM_READ, Resource("c2"))
    assert not authorize(op, Action.ALARM_READ, Resource("c3"))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"user_id": "", "role": Role.ADMIN, "everywhere": True}, "needs a user id"),
        ({"user_id": "x", "role": Role.OPERATOR, "everywhere": True}, "only an admin"),
        ({"user_id": "x", "role": Role.RESIDENT}, "belongs to no community"),
    ],
)
def test_impossible_principals_are_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(AccessError, match=message):
        Principal(**kwargs)  # type: ignore[arg-type]


def test_reads_are_not_audited_and_every_change_is() -> None:
    assert Action.SESSION_START in STATE_CHANGING and Action.WALLET_CREDIT in STATE_CHANGING
    assert Action.ALARM_SHELVE in STATE_CHANGING and Action.COMMAND_STOP_SOCKET in STATE_CHANGING
    assert Action.SESSION_READ not in STATE_CHANGING and Action.STREAM_READ not in STATE_CHANGING


ids = st.sampled_from(["u1", "u2", "u3"])
communities = st.sampled_from(["c1", "c2", "c3"])


@given(
    role=st.sampled_from(list(Role)),
    user=ids,
    mine=st.frozensets(communities, min_size=1),
    action=st.sampled_from(list(Action)),
    community=st.none() | communities,
    owner=st.none() | ids,
)
def test_nothing_outside_the_users_communities_or_ownership_is_ever_allowed(
    role: Role, user: str, mine: frozenset[str], action: Action, community: str | None, owner: str | None
) -> None:
    decision = authorize(Principal(user, role, mine), action, Resource(community, owner))
    g = grant(role, action)
    if decision and g is not Grant.PUBLIC:
        assert community in mine
        if g is Grant.OWN:
            assert owner == user


def test_every_state_changing_decision_leaves_an_audit_record_even_a_refusal() -> None:
    guard = _user(Role.SECURITY, "g1")
    resource = Resource("c1")
    refused = authorize(guard, Action.CONFIG_TARIFF, resource)
    record = audit_record(guard, Action.CONFIG_TARIFF, resource, refused, at_ms=1000, detail="peak 2.0")
    assert record == AuditRecord(
        1000,
        "g1",
        "security",
        Action.CONFIG_TARIFF,
        "c1",
        None,
        False,
        "role security may not config.tariff",
        "peak 2.0",
    )
    anonymous = audit_record(
        None, Action.SESSION_START, resource, authorize(None, Action.SESSION_START, resource), at_ms=5
    )
    assert anonymous is not None and anonymous.actor == "" and anonymous.reason == "login required"
    assert (
        audit_record(guard, Action.ALARM_READ, resource, authorize(guard, Action.ALARM_READ, resource), at_ms=1) is None
    )
