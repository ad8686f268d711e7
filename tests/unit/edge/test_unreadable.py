"""Which refused command can still be answered: any payload, and only a readable id is answered under."""

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from edge.unreadable import Unreadable, answerable
from protocol.topics import Kind

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=80),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)


@given(body=json_values, kind=st.sampled_from([Kind.CLOUD_COMMAND, Kind.CLOUD_CONFIG]), running=st.integers(0, 9))
@settings(max_examples=300, deadline=None)
def test_any_payload_yields_a_valid_id_or_none(body: object, kind: Kind, running: int) -> None:
    who = answerable(kind, json.dumps(body).encode(), running)
    assert who is None or 1 <= len(who.request_id) <= 64


def test_a_command_is_answered_under_its_own_id_and_a_config_under_its_version() -> None:
    cmd = {"request_id": "c9", "actor": "ops", "action": "push_config", "config": {"version": "x"}}
    assert answerable(Kind.CLOUD_COMMAND, json.dumps(cmd), 1) == Unreadable("c9", "ops", "push_config")
    assert answerable(Kind.CLOUD_COMMAND, json.dumps(cmd | {"request_id": "x" * 65}), 1) is None
    push = {"actor": "ops", "config": {"version": 6}}
    assert answerable(Kind.CLOUD_CONFIG, json.dumps(push), 5) == Unreadable("config-6", "ops", "push_config")
    assert answerable(Kind.CLOUD_CONFIG, json.dumps(push), 6) is None  # the retained copy of an old config
    assert answerable(Kind.CLOUD_COMMAND, b"{not json", 1) is None
