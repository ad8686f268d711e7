"""The notifier's pure policy: rate limits per channel, backoff, signed links, alert text."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cloud.core.notify.links import LinkClaim, LinkError, sign, verify
from cloud.core.notify.message import compose
from cloud.core.notify.policy import Backoff, RateLimit, channel_kind, rate_limit, retry_at, wait_for_rate
from protocol.uplink import AlarmClass

T0 = 1_767_225_600_000
SECRET = b"0123456789abcdef-secret"


@pytest.mark.parametrize(
    ("url", "kind", "per_minute"),
    [
        ("dingtalk://token/", "dingtalk", 20),
        ("dingtalk+http://127.0.0.1:9/robot/send?access_token=x", "dingtalk", 20),
        ("wecombot://key", "wecombot", 20),
        ("feishu://t", "feishu", 100),
        ("json://127.0.0.1:8/hook", "json", 60),
        ("mailto://a@b", "mailto", 60),
    ],
)
def test_channel_kinds_and_limits(url: str, kind: str, per_minute: int) -> None:
    assert channel_kind(url) == kind
    assert rate_limit(url).per_minute == per_minute


def test_the_21st_dingtalk_message_waits_for_the_first_to_leave_the_minute() -> None:
    sent = [T0 + i * 1000 for i in range(20)]
    assert wait_for_rate(sent[:19], T0 + 19_000, RateLimit(20)) == 0
    assert wait_for_rate(sent, T0 + 20_000, RateLimit(20)) == 40_000


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 5000), min_size=1, max_size=200), st.integers(1, 30))
def test_following_wait_for_rate_never_exceeds_the_limit(gaps: list[int], per_minute: int) -> None:
    limit = RateLimit(per_minute)
    now = T0
    sent: list[int] = []
    for gap in gaps:
        now += gap
        now += wait_for_rate(sent, now, limit)
        sent.append(now)
        window = [t for t in sent if now - 60_000 < t <= now]
        assert len(window) <= per_minute


def test_backoff_doubles_to_a_cap_and_never_gives_up_by_default() -> None:
    assert [retry_at(n, 0) for n in (1, 2, 3)] == [2000, 4000, 8000]
    assert retry_at(50, 0) == 300_000
    assert retry_at(3, 0, Backoff(max_attempts=3)) is None
    with pytest.raises(ValueError):
        retry_at(0, 0)


def test_link_round_trip_and_expiry() -> None:
    claim = LinkClaim("ack", "inc-1", "guard-li", T0 + 60_000)
    token = sign(claim, SECRET)
    assert verify(token, SECRET, T0) == claim
    with pytest.raises(LinkError, match="expired"):
        verify(token, SECRET, T0 + 60_000)
    with pytest.raises(LinkError, match="bad signature"):
        verify(token, b"another-secret-of-16", T0)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 200), st.characters(codec="ascii"))
def test_any_tampered_token_is_refused(pos: int, char: str) -> None:
    token = sign(LinkClaim("onsite", "inc-1", "guard-li", T0 + 60_000), SECRET)
    pos %= len(token)
    tampered = token[:pos] + char + token[pos + 1 :]
    if tampered == token:
        return
    with pytest.raises(LinkError):
        verify(tampered, SECRET, T0)


def test_sign_refuses_fields_that_could_split_and_short_secrets() -> None:
    with pytest.raises(LinkError):
        sign(LinkClaim("ack", "inc.1", "p", T0), SECRET)
    with pytest.raises(LinkError):
        sign(LinkClaim("delete", "inc-1", "p", T0), SECRET)
    with pytest.raises(LinkError):
        sign(LinkClaim("ack", "inc-1", "p", T0), b"short")


def test_alert_text_names_shed_class_step_links_and_cameras() -> None:
    text = compose(
        incident="inc-1",
        shed="shed-a",
        alarm_class=AlarmClass.FIRE,
        step="ack_overdue_1",
        summary="smoke at env-1",
        links={"ack": "http://x/a", "onsite": "http://x/o"},
        cameras=("rtsp://cam-1",),
    )
    assert text.title == "[FIRE] shed-a: ESCALATED: not accepted within the promise"
    assert "Accept: http://x/a" in text.body and "I am on site: http://x/o" in text.body
    assert "Camera: rtsp://cam-1" in text.body


def test_a_resolved_alert_carries_only_the_incident_page_link() -> None:
    links = {"ack": "http://x/a", "onsite": "http://x/o", "view": "http://x/v"}
    text = compose(
        incident="inc-1", shed="shed-a", alarm_class=AlarmClass.FIRE, step="resolved", summary="s", links=links
    )
    assert "Incident page: http://x/v" in text.body
    assert "http://x/a" not in text.body and "http://x/o" not in text.body


def test_rate_limits_can_be_replaced_per_kind() -> None:
    assert rate_limit("json://h/p", {"json": 600}).per_minute == 600
    assert rate_limit("dingtalk://t", {"json": 600}).per_minute == 20


def test_a_residents_notice_is_retried_a_bounded_number_of_times_within_its_age() -> None:
    from cloud.core.notify.policy import NOTICE_MAX_AGE_MS, NOTICE_MAX_ATTEMPTS, notice_retry_at

    assert notice_retry_at(1, 0, 0) == 2000  # the same backoff as an alert
    assert notice_retry_at(NOTICE_MAX_ATTEMPTS - 1, 0, 0) is not None
    assert notice_retry_at(NOTICE_MAX_ATTEMPTS, 0, 0) is None
    assert notice_retry_at(1, 0, NOTICE_MAX_AGE_MS) is None  # too old to be news
    assert retry_at(NOTICE_MAX_ATTEMPTS * 10, 0) is not None  # an incident's alert is never given up by default
