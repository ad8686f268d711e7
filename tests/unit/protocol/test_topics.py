"""Topic builders, filters and the strict parser."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from protocol.errors import TopicError
from protocol.ids import is_valid_id
from protocol.topics import DEVICE_KINDS, Kind, Topic, device_filter, device_topic, parse_topic, shed_filter, shed_topic

ids = st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9_.-]{0,20}\Z")


@given(kind=st.sampled_from(sorted(DEVICE_KINDS)), shed=ids, device=ids)
def test_device_topics_round_trip(kind: Kind, shed: str, device: str) -> None:
    assert parse_topic(device_topic(kind, shed, device)) == Topic(kind, shed, device)


@given(kind=st.sampled_from(sorted(set(Kind) - DEVICE_KINDS)), shed=ids)
def test_shed_topics_round_trip(kind: Kind, shed: str) -> None:
    assert parse_topic(shed_topic(kind, shed)) == Topic(kind, shed)


def test_known_topic_strings() -> None:
    assert device_topic(Kind.RELAY_SET, "shed-a", "post-1") == "sw/v1/shed/shed-a/dev/post-1/relay/set"
    assert shed_topic(Kind.EDGE_EVENT, "shed-a") == "sw/v1/edge/shed-a/event"
    assert shed_topic(Kind.CLOUD_CONFIG, "shed-a") == "sw/v1/cloud/shed-a/config"
    assert device_filter("shed-a") == "sw/v1/shed/shed-a/dev/+/#"
    assert device_filter("shed-a", Kind.POST_TELEMETRY) == "sw/v1/shed/shed-a/dev/+/telemetry"
    assert shed_filter(Kind.EDGE_TELEMETRY) == "sw/v1/edge/+/telemetry"


@pytest.mark.parametrize(
    ("topic", "why"),
    [
        ("sw/v2/edge/shed-a/event", "not under sw/v1"),
        ("foo", "not under sw/v1"),
        ("sw/v1/edge/shed-a/bogus", "unknown kind"),
        ("sw/v1/edge/shed-a/event/extra", "expected"),
        ("sw/v1/shed/shed-a/post-1/telemetry", "expected"),
        ("sw/v1/shed/shed-a/dev/post-1/relay", "unknown device message kind"),
        ("sw/v1/shed/shed-a/dev/+/telemetry", "invalid device id"),
        ("sw/v1/edge/#/event", "invalid shed id"),
        ("sw/v1/edge//event", "invalid shed id"),
    ],
)
def test_bad_topics_say_why(topic: str, why: str) -> None:
    with pytest.raises(TopicError, match=why):
        parse_topic(topic)


def test_topic_checks_itself() -> None:
    with pytest.raises(TopicError):
        Topic(Kind.EDGE_EVENT, "shed-a", "post-1")
    with pytest.raises(TopicError):
        Topic(Kind.POST_TELEMETRY, "shed-a")


@given(st.text(max_size=70))
def test_id_rule_never_admits_topic_syntax(value: str) -> None:
    if is_valid_id(value):
        assert not set(value) & set("/+# \n\t")
