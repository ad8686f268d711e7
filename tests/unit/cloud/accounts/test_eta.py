"""The next-free-socket ETA: time to full from the power curve, dwell from history, the shed's first free socket."""

import math
from collections.abc import Sequence

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cloud.core.eta.estimate import SocketObservation, _median_of_first, estimate, time_to_full
from cloud.core.eta.history import DEFAULT_CHARGE_HOURS, MAX_SAMPLES, EtaHistory
from protocol.uplink import SocketStatus
from simulators.battery import Battery, BatterySpec, Chemistry

T0 = 1_772_445_600_000
S = 1000


def charging(samples: list[tuple[int, float]], energy_wh: float = 0.0, key: str = "p1/1") -> SocketObservation:
    return SocketObservation(key, SocketStatus.CHARGING, samples[0][0] if samples else T0, tuple(samples), energy_wh)


def history(charges: Sequence[float] = (), dwells: Sequence[float] = (), ratio: float = 0.35) -> EtaHistory:
    h = EtaHistory()
    for c in charges:
        h = h.with_charge(energy_wh=c * 200.0, peak_w=200.0, end_w=ratio * 200.0)
    for d in dwells:
        h = h.with_dwell(d)
    return h


def test_in_the_taper_the_exponential_fit_gives_the_time_to_the_end_ratio() -> None:
    tau = 3600.0
    cc = [(T0 + i * 60 * S, 200.0) for i in range(120)]
    taper = [(T0 + (120 * 60 + i * 60) * S, 200.0 * math.exp(-i * 60 / tau)) for i in range(1, 31)]
    full_s, method = time_to_full(charging(cc + taper), history([4] * 5, ratio=0.35))
    now_w = taper[-1][1]
    assert method == "taper"
    assert full_s == pytest.approx(tau * math.log(now_w / (0.35 * 200.0)), rel=1e-6)


def test_before_the_taper_the_shed_history_of_charges_decides() -> None:
    samples = [(T0 + i * 60 * S, 200.0) for i in range(120)]
    full_s, method = time_to_full(charging(samples, energy_wh=2 * 200.0), history([4, 4, 4, 5, 5, 1, 1.5]))
    assert method == "history" and full_s == pytest.approx(2 * 3600)  # median of 2, 2, 2, 3, 3 hours left
    full_s, _ = time_to_full(charging(samples, energy_wh=9 * 200.0), history([4, 4, 4, 5, 5]))
    assert full_s == pytest.approx(0.25 * 3600)  # longer than every charge seen: soon


def test_without_decay_or_enough_taper_points_the_fit_is_not_trusted() -> None:
    flat_low = [(T0, 200.0)] + [(T0 + i * 60 * S, 150.0) for i in range(1, 20)]  # a drop with no decay
    assert time_to_full(charging(flat_low, 200.0), history([4] * 5))[1] == "history"
    two_points = [(T0, 200.0), (T0 + 600 * S, 150.0), (T0 + 1200 * S, 120.0)]
    assert time_to_full(charging(two_points, 100.0), history([4] * 5))[1] == "history"
    assert time_to_full(charging([]), EtaHistory()) == (3.75 * 3600, "history")  # median of the defaults
    assert sorted(DEFAULT_CHARGE_HOURS)[3:5] == [3.5, 4.0]


def test_a_simulated_pack_is_predicted_within_minutes_once_it_tapers() -> None:
    # Learn the end ratio from charges of this kind of pack, then predict another from its taper.
    spec = BatterySpec(Chemistry.LITHIUM, 48, 20.0, 200.0)
    learned = EtaHistory()

    def curve(soc: float) -> tuple[list[tuple[int, float]], int, float]:
        battery, t, energy, samples = Battery(spec, soc), 0, 0.0, []
        while not battery.full:
            samples.append((T0 + t * S, battery.ac_power()))
            energy += battery.charge(10.0)
            t += 10
        return samples, t, energy

    for soc in (0.2, 0.3, 0.4, 0.5, 0.6):
        samples, _, energy = curve(soc)
        learned = learned.with_charge(energy_wh=energy, peak_w=max(p for _, p in samples), end_w=samples[-1][1])
    samples, end_s, _ = curve(0.25)
    peak = max(p for _, p in samples)
    peak_at = max(samples, key=lambda s: s[1])[0]
    taper_from = next(t for t, p in samples if t > peak_at and p < 0.9 * peak)
    errors = []
    for cut in range(len(samples) // 2, len(samples), 30):  # every 5 minutes
        seen = samples[: cut + 1]
        if seen[-1][0] - taper_from >= 600 * S:  # ten minutes into the taper: the fit is trusted
            full_s, method = time_to_full(charging(seen), learned)
            assert method == "taper"
            errors.append(abs(cut * 10 + full_s - end_s))
    assert errors and max(errors) < 10 * 60


def test_a_free_socket_answers_zero_and_an_all_faulted_shed_none() -> None:
    free = SocketObservation("a", SocketStatus.FREE, T0)
    full = SocketObservation("b", SocketStatus.FULL, T0)
    assert estimate([full, free], EtaHistory(), T0).next_free_s == 0.0
    faulted = SocketObservation("c", SocketStatus.FAULTED, T0)
    eta = estimate([faulted], EtaHistory(), T0)
    assert eta.next_free_s is None and eta.sockets[0].to_free_s is None


def test_a_full_bike_has_the_rest_of_its_dwell_given_how_long_it_stayed() -> None:
    dwells = [600.0, 1200.0, 1800.0, 3600.0, 7200.0]
    h = history(dwells=dwells)
    fresh = estimate([SocketObservation("b", SocketStatus.FULL, T0)], h, T0)
    assert fresh.sockets[0].to_free_s == 1800.0 and fresh.next_free_s == 1800.0
    stayed = estimate([SocketObservation("b", SocketStatus.FULL, T0)], h, T0 + 2000 * S)
    assert stayed.sockets[0].to_free_s == 3400.0  # of 3600 and 7200 s, 1600 and 5200 are left: median 3400
    outstayed = estimate([SocketObservation("b", SocketStatus.FULL, T0)], h, T0 + 9000 * S)
    assert outstayed.sockets[0].to_free_s == 1800.0  # longer than any bike before: the whole history again


def test_the_shed_answer_is_the_median_of_the_first_free_time() -> None:
    # A frees at 10 or 20 s, B at 15 or 25 s, each equally likely: P(none free by 10) = 1/2.
    assert _median_of_first([(0.0, [10.0, 20.0]), (0.0, [15.0, 25.0])]) == 10.0
    # A frees at 10, 20, 30 or 40; B only at 100: P(none by 10) = 3/4, by 20 = 1/2.
    assert _median_of_first([(0.0, [10.0, 20.0, 30.0, 40.0]), (0.0, [100.0])]) == 20.0
    assert _median_of_first([(50.0, [10.0])]) == 60.0  # a charging socket: full first, then its dwell
    assert _median_of_first([]) is None


def test_a_charging_socket_frees_after_full_plus_the_median_dwell() -> None:
    samples = [(T0 + i * 60 * S, 200.0) for i in range(60)]
    eta = estimate([charging(samples, 200.0)], history([3] * 5, dwells=[600.0] * 5), T0)
    (s,) = eta.sockets
    assert s.to_full_s == pytest.approx(2 * 3600) and s.to_free_s == pytest.approx(2 * 3600 + 600)
    assert eta.next_free_s == pytest.approx(2 * 3600 + 600)


def test_history_is_bounded_and_ignores_what_is_not_a_charge() -> None:
    h = EtaHistory()
    for i in range(MAX_SAMPLES + 20):
        h = h.with_dwell(float(i)).with_charge(energy_wh=100.0, peak_w=200.0, end_w=70.0)
    assert len(h.dwell_s) == MAX_SAMPLES and h.dwell_s[0] == 20.0 and len(h.charge_hours) == MAX_SAMPLES
    assert h.with_charge(energy_wh=10.0, peak_w=20.0, end_w=5.0) == h  # 20 W is no charge
    assert h.with_dwell(-5.0) == h  # a clock error
    assert EtaHistory().dwells() != () and EtaHistory().with_dwell(1.0).dwells() != (1.0,)  # defaults until 5


occupied = st.tuples(
    st.sampled_from([SocketStatus.FULL, SocketStatus.PLUGGED, SocketStatus.FAULTED]),
    st.integers(0, 36_000),
)


@given(st.lists(occupied, min_size=1, max_size=12), occupied, st.lists(st.floats(0, 40_000), min_size=5, max_size=40))
def test_one_more_occupied_socket_never_makes_the_first_free_later(
    base: list[tuple[SocketStatus, int]], extra: tuple[SocketStatus, int], dwells: list[float]
) -> None:
    h = history(dwells=dwells)
    now = T0 + 40_000 * S
    socks = [SocketObservation(f"s{i}", st_, now - ago * S) for i, (st_, ago) in enumerate(base)]
    before = estimate(socks, h, now).next_free_s
    after = estimate([*socks, SocketObservation("x", extra[0], now - extra[1] * S)], h, now).next_free_s
    if before is None:
        return
    assert after is not None and after <= before
    assert before >= 0
