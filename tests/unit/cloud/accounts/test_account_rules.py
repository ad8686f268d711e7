"""Account rules: user names, display names, community ids, and which accounts can log in."""

import pytest

from cloud.auth.accounts import check_account, check_community_id, check_display_name, normalize_username
from cloud.auth.errors import AccountError
from cloud.core.access.roles import Role


@pytest.mark.parametrize(
    ("raw", "stored"),
    [(" Li.Wei ", "li.wei"), ("13800000001", "13800000001"), ("ops@example.org", "ops@example.org"), ("ABC", "abc")],
)
def test_user_names_are_stored_case_folded(raw: str, stored: str) -> None:
    assert normalize_username(raw) == stored


@pytest.mark.parametrize("raw", ["", "ab", "x" * 65, ".dot", "has space", "semi;colon", "李伟", "tab\tname"])
def test_bad_user_names_are_refused(raw: str) -> None:
    with pytest.raises(AccountError, match="3-64"):
        normalize_username(raw)


def test_display_names_and_community_ids() -> None:
    assert check_display_name("  Li Wei 李伟 ") == "Li Wei 李伟"
    for bad in ("x" * 201, "bell\x07", "new\nline"):
        with pytest.raises(AccountError):
            check_display_name(bad)
    assert check_community_id("jinsong-north_2") == "jinsong-north_2"
    for bad in ("", "Upper", "-lead", "a b", "x" * 101):
        with pytest.raises(AccountError):
            check_community_id(bad)


@pytest.mark.parametrize(
    ("role", "communities", "everywhere", "ok"),
    [
        (Role.ADMIN, frozenset(), True, True),
        (Role.RESIDENT, frozenset({"c1"}), False, True),
        (Role.OPERATOR, frozenset(), True, False),  # only an admin is deployment-wide
        (Role.SECURITY, frozenset(), False, False),  # no community: could act nowhere
        (Role.INSTALLER, frozenset({"Bad Id"}), False, False),
    ],
)
def test_which_accounts_can_exist(role: Role, communities: frozenset[str], everywhere: bool, ok: bool) -> None:
    if ok:
        check_account(role, communities, everywhere=everywhere)
    else:
        with pytest.raises(AccountError):
            check_account(role, communities, everywhere=everywhere)
