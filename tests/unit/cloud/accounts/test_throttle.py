"""Login throttling: the pure decision, its limiter adapter, and a property over random attempt streams."""

from hypothesis import given
from hypothesis import strategies as st

from cloud.auth.limiter import LoginRateLimiter
from cloud.auth.throttle import ThrottlePolicy, ThrottleState, check, failed, is_idle

POLICY = ThrottlePolicy(max_failures=5, window_s=900.0)


def test_the_sixth_failure_in_the_window_is_refused_until_the_first_leaves_it() -> None:
    state = ThrottleState()
    for i in range(5):
        assert check(state, POLICY, i * 1000).allowed
        state = failed(state, POLICY, i * 1000)
    verdict = check(state, POLICY, 10_000)
    assert not verdict.allowed and verdict.retry_after_s == 890.0  # the failure at 0 s leaves at 900 s
    assert not check(state, POLICY, 899_999).allowed
    assert check(state, POLICY, 900_000).allowed
    assert not is_idle(state, POLICY, 903_999) and is_idle(state, POLICY, 904_001)


def test_state_keeps_at_most_max_failures() -> None:
    state = ThrottleState()
    for i in range(50):
        state = failed(state, POLICY, i)
    assert state.failures == (45, 46, 47, 48, 49)


@given(st.lists(st.tuples(st.integers(0, 120_000), st.booleans()), max_size=60))
def test_no_window_ever_holds_more_failed_attempts_than_the_policy(steps: list[tuple[int, bool]]) -> None:
    policy = ThrottlePolicy(max_failures=3, window_s=60.0)
    state, now, attempted = ThrottleState(), 0, []
    for gap, _ in steps:
        now += gap
        if check(state, policy, now).allowed:
            attempted.append(now)
            state = failed(state, policy, now)
    for i, t in enumerate(attempted):
        assert sum(1 for u in attempted[i:] if u < t + 60_000) <= 3


class FakeClock:
    def __init__(self) -> None:
        self.ms = 0

    def __call__(self) -> int:
        return self.ms


def _limiter(clock: FakeClock) -> LoginRateLimiter:
    return LoginRateLimiter(per_user=ThrottlePolicy(3, 60.0), per_address=ThrottlePolicy(5, 60.0), clock_ms=clock)


def test_a_user_is_throttled_whatever_the_address_and_case() -> None:
    clock = FakeClock()
    lim = _limiter(clock)
    for address in ("10.0.0.1", "10.0.0.2", "10.0.0.3"):
        assert lim.allow("Alice", address).allowed
        lim.record("Alice", address, ok=False)
    verdict = lim.allow("alice", "10.0.0.9")
    assert not verdict.allowed and verdict.retry_after_s == 60.0
    assert lim.refused == 1
    assert lim.allow("bob", "10.0.0.9").allowed  # other users are not affected
    clock.ms = 60_000
    assert lim.allow("alice", "10.0.0.9").allowed


def test_an_address_guessing_many_users_is_throttled_and_one_good_login_does_not_reset_it() -> None:
    clock = FakeClock()
    lim = _limiter(clock)
    for i in range(5):
        lim.record(f"user{i}", "10.6.6.6", ok=False)
    lim.record("mallory", "10.6.6.6", ok=True)
    assert not lim.allow("user9", "10.6.6.6").allowed
    assert lim.allow("user9", "10.0.0.1").allowed


def test_a_good_login_clears_the_users_failures() -> None:
    lim = _limiter(FakeClock())
    for _ in range(2):
        lim.record("alice", "10.0.0.1", ok=False)
    lim.record("alice", "10.0.0.1", ok=True)
    for _ in range(2):
        lim.record("alice", "10.0.0.2", ok=False)
    assert lim.allow("alice", "10.0.0.3").allowed  # 2 since the good login, not 4


def test_memory_is_bounded(monkeypatch) -> None:
    monkeypatch.setattr("cloud.auth.limiter.MAX_KEYS", 10)
    clock = FakeClock()
    lim = _limiter(clock)
    for i in range(8):
        lim.record(f"u{i}", "10.0.0.1", ok=False)
    clock.ms = 120_000  # all of those are idle now
    for i in range(8):
        lim.record(f"v{i}", "10.0.0.2", ok=False)
    assert len(lim) <= 10
    assert not any(k[1].startswith("u") for k in lim._states)  # the idle keys went first
