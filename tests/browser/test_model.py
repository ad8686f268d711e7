"""The pages' pure decisions (dashboards/assets/model.js) and the Web Audio siren, run in the real browser."""

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page

from tests.browser.conftest import Site

pytestmark = [pytest.mark.integration, pytest.mark.browser]
NOW = 1_767_225_600_000


def _module(page: Page, site: Site, name: str, body: str, arg: Any = None) -> Any:
    """Import dashboards/assets/NAME.js in the page and run body (async, gets `m` and `arg`)."""
    page.goto(site.base + "/healthz")  # any page of the origin: the module is imported from the cloud
    return page.evaluate(
        f"async (arg) => {{ const m = await import('/pages/assets/{name}.js'); {body} }}",
        arg,
    )


def _alarm(cls: str, state: str, **kw: Any) -> dict[str, Any]:
    a = {"id": 1, "key": f"shed-a/post-1/3/{cls}", "shed": "shed-a", "device": "post-1", "socket": 3}
    return {**a, "type": "t", "alarm_class": cls, "state": state, "raised_ms": NOW, "silenced": False, **kw}


def test_annunciation_sounds_and_flashes_fire_until_acknowledged_silence_stops_only_sound(
    site: Site, new_page: Callable[..., Page]
) -> None:
    page = new_page()
    cases = {
        "fire_unack": [_alarm("fire", "unack")],
        "fire_silenced": [_alarm("fire", "unack", silenced=True)],
        "fire_acked": [_alarm("fire", "acked")],
        "trouble_unack": [_alarm("trouble", "unack")],
        "prefire_rtn_unack": [_alarm("pre_fire", "rtn_unack")],
        "shelved": [_alarm("supervisory", "unack", shelved_until_ms=NOW + 60_000)],
        "none": [],
    }
    got = _module(
        page,
        site,
        "model",
        "const out = {}; for (const [k, v] of Object.entries(arg.cases)) {"
        " const a = m.annunciation(v, new Set(), arg.now); out[k] = [a.show, a.flash, a.sound]; }"
        " const here = m.annunciation(arg.cases.fire_unack, new Set([m.alarmKey(arg.cases.fire_unack[0])]), arg.now);"
        " out.silenced_here = [here.show, here.flash, here.sound]; return out;",
        {"cases": cases, "now": NOW},
    )
    assert got == {
        "fire_unack": [True, True, True],
        "fire_silenced": [True, True, False],  # silence stops the sound, the flashing goes on
        "fire_acked": [True, False, False],
        "trouble_unack": [True, False, False],  # only fire and pre-fire sound
        "prefire_rtn_unack": [True, True, True],  # gone, but nobody acknowledged it yet
        "shelved": [False, False, False],
        "none": [False, False, False],
        "silenced_here": [True, True, False],
    }


def _where(alarm_type: str, device: str = "post-1", socket: int = 3, shed: str = "shed-a") -> dict[str, Any]:
    return {"key": f"{shed}/{device}/{socket}/{alarm_type}", "alarm_class": "x", "state": "unack"}


# (socket status, its flag, open alarms, edge online) -> what the cell shows. Tripped means the edge cut the socket
# for a safety trip (a latching trip type on it or on its shed), not "has an alarm".
SOCKET_CASES = [
    ("faulted", False, [], True, "faulted"),  # a post fault or the post offline: no trip
    ("faulted", False, [_where("thermal_runaway")], True, "tripped"),  # the runaway socket
    ("faulted", False, [_where("over_power")], True, "tripped"),
    ("faulted", False, [_where("smoke", device="-", socket=0)], True, "tripped"),  # a shed trip cuts every socket
    ("faulted", False, [_where("off_gas", device="env-1", socket=0)], True, "tripped"),
    ("faulted", False, [_where("bike_left")], True, "faulted"),  # service alarm: not a trip
    ("faulted", False, [_where("not_charging")], True, "faulted"),  # operational, no cut
    ("faulted", False, [_where("device_offline")], True, "faulted"),
    ("faulted", False, [_where("thermal_runaway", socket=4)], True, "faulted"),  # another socket's trip
    ("faulted", False, [_where("thermal_runaway", device="post-2")], True, "faulted"),  # another post's
    ("faulted", False, [_where("smoke", shed="shed-b", device="-", socket=0)], True, "faulted"),  # another shed's
    ("faulted", True, [], True, "tripped"),  # the flag says so
    ("plugged", False, [_where("not_charging")], True, "plugged"),
    ("full", False, [_where("bike_left")], True, "full"),
    ("charging", False, [_where("thermal_runaway")], True, "charging"),
    ("free", False, [], False, "offline"),
]


def test_socket_cells_tell_tripped_from_faulted_and_offline(site: Site, new_page: Callable[..., Page]) -> None:
    got = _module(
        new_page(),
        site,
        "model",
        "return arg.map(([status, tripped, alarms, online]) => m.socketState("
        "{shed: 'shed-a', device: 'post-1', socket: 3, status, tripped}, alarms, online));",
        [list(c[:4]) for c in SOCKET_CASES],
    )
    assert got == [c[4] for c in SOCKET_CASES]


def test_a_stopped_socket_is_its_own_state_only_a_safety_trip_outranks_it(
    site: Site, new_page: Callable[..., Page]
) -> None:
    trip = [_alarm("fire", "unack", key="shed-a/post-1/3/thermal_runaway")]
    cases = [
        # status, stopped, alarms, edge online -> state
        ["charging", True, [], True, "stopped"],  # the availability counts it stopped whatever its status
        ["free", True, [], True, "stopped"],
        ["faulted", True, [], True, "stopped"],
        ["faulted", True, trip, True, "tripped"],  # a trip needs someone on site: it shows first
        ["free", True, [], False, "offline"],
        ["free", False, [], True, "free"],
    ]
    got = _module(
        new_page(),
        site,
        "model",
        "return arg.map(([status, stopped, alarms, online]) => [m.socketState("
        "{shed: 'shed-a', device: 'post-1', socket: 3, status, stopped}, alarms, online),"
        " m.stopNote({stopped, stopped_by: 'op-li', stopped_ts: 5})]);",
        [c[:4] for c in cases],
    )
    assert [g[0] for g in got] == [c[4] for c in cases]
    assert [g[1] for g in got] == [{"by": "op-li", "ts": 5} if c[1] else None for c in cases]


def test_shed_outlook_tells_out_of_service_from_no_estimate(site: Site, new_page: Callable[..., Page]) -> None:
    base = {"free": 0, "faulted": 0, "total": 30}
    closed = {"kind": "out_of_service", "seconds": None}
    cases = [
        ({**base, "free": 2, "next_free_s": 0.0, "eta_ts": None}, NOW, {"kind": "free", "seconds": None}),
        ({**base, "faulted": 30, "next_free_s": None, "eta_ts": NOW}, NOW, {"kind": "out_of_service", "seconds": None}),
        ({**base, "faulted": 10, "stopped": 20, "next_free_s": None, "eta_ts": NOW}, NOW, closed),  # stopped too
        ({**base, "next_free_s": None, "eta_ts": None}, NOW, {"kind": "unknown", "seconds": None}),
        # counted from eta_ts on the cloud's clock: 600 s estimated 100 s ago
        ({**base, "next_free_s": 600.0, "eta_ts": NOW - 100_000}, NOW, {"kind": "eta", "seconds": 500}),
        ({**base, "next_free_s": 600.0, "eta_ts": NOW - 900_000}, NOW, {"kind": "eta", "seconds": 0}),
        ({**base, "next_free_s": 600.0, "eta_ts": NOW}, None, {"kind": "unknown", "seconds": None}),  # no cloud time
        ({**base, "faulted": 29, "next_free_s": 60.0, "eta_ts": NOW}, NOW, {"kind": "eta", "seconds": 60}),
    ]
    got = _module(
        new_page(),
        site,
        "model",
        "return arg.map(([s, now]) => m.shedOutlook(s, now));",
        [[c[0], c[1]] for c in cases],
    )
    assert got == [c[2] for c in cases]


def test_clock_left_waits_for_the_cloud_time(site: Site, new_page: Callable[..., Page]) -> None:
    got = _module(
        new_page(),
        site,
        "model",
        "return [m.clockLeft(null, arg + 180000, arg), m.clockLeft(null, arg + 180000, null),"
        " m.clockLeft(arg, arg + 180000, arg), m.clockLeft(null, null, arg), m.clockLeft(null, arg, arg + 5000)]"
        ".map((x) => Number.isNaN(x) ? 'NaN' : x);",
        NOW,
    )
    assert got == [180, "NaN", None, None, -5]


def test_kept_figures_count_stopped_and_overdue_clocks(site: Site, new_page: Callable[..., Page]) -> None:
    due = {"ack_due_ms": NOW + 180_000, "onsite_due_ms": NOW + 600_000}
    incidents = [
        # accepted in time, on site late
        {"opened_ms": NOW, "acked_ms": NOW + 60_000, "onsite_ms": NOW + 700_000, "clocks": due},
        # arriving on site accepts too: both kept
        {"opened_ms": NOW, "acked_ms": None, "onsite_ms": NOW + 100_000, "clocks": due},
        {"opened_ms": NOW, "acked_ms": None, "onsite_ms": None, "clocks": due},  # still running, ack overdue
        {"opened_ms": NOW - 8 * 86_400_000, "acked_ms": NOW, "onsite_ms": None, "clocks": due},  # last week: ignored
        # resolved (false) before either deadline without acceptance: neither kept nor broken, however late now is
        {
            "opened_ms": NOW,
            "acked_ms": None,
            "onsite_ms": None,
            "clocks": {**due, "ack_state": "resolved", "onsite_state": "resolved"},
        },
    ]
    got = _module(
        new_page(),
        site,
        "model",
        "return m.keptFigures(arg.incidents, arg.now, arg.since);",
        {"incidents": incidents, "now": NOW + 300_000, "since": NOW - 86_400_000},
    )
    assert got == {"ack": {"ended": 3, "kept": 2}, "onsite": {"ended": 2, "kept": 1}}


def test_siren_runs_an_oscillator_until_stopped(site: Site, new_page: Callable[..., Page]) -> None:
    got = _module(
        new_page(),
        site,
        "siren",
        "const s = new m.Siren(); const before = s.status(); s.start(); s.start();"
        " await new Promise(r => setTimeout(r, 300)); const on = s.status(); s.stop(); const off = s.status();"
        " return {before, on, off};",
    )
    assert got["before"] == {"sounding": False, "started": 0, "oscillator": False, "audio": "none"}
    assert got["on"] == {"sounding": True, "started": 1, "oscillator": True, "audio": "running"}
    assert got["off"] == {"sounding": False, "started": 1, "oscillator": False, "audio": "running"}


def test_the_wall_screen_shows_the_most_urgent_incident(site: Site, new_page: Callable[..., Page]) -> None:
    fire = {"id": "inc-fire", "alarm_class": "fire", "opened_ms": NOW}
    older_fire = {"id": "inc-old", "alarm_class": "fire", "opened_ms": NOW - 60_000}
    later_service = {"id": "inc-bike", "alarm_class": "service", "opened_ms": NOW + 60_000}
    got = _module(
        new_page(),
        site,
        "model",
        "return [m.mostUrgentIncident(arg[0]), m.mostUrgentIncident(arg[1]), m.mostUrgentIncident([])];",
        [[older_fire, later_service, fire], [later_service]],
    )
    assert got == ["inc-fire", "inc-bike", None]


def test_an_alarm_reads_as_its_label_and_a_reading_in_the_pages_language(
    site: Site, new_page: Callable[..., Page]
) -> None:
    page = new_page()
    labels = {
        "type.off_gas": "电池析出可燃气体",
        "type.smoke": "烟雾",
        "type.thermal_runaway": "电池热失控",
        "alarm.reading_limit": "{value}（限值 {limit}）",  # noqa: RUF001
    }
    got = _module(
        page,
        site,
        "model",
        "const tr = (k, f) => (k in arg.labels ? arg.labels[k] : f);"
        " return arg.alarms.map((a) => [m.alarmWords(a, tr), m.alarmTitle(a)]);",
        {
            "labels": labels,
            "alarms": [
                {
                    "type": "off_gas",
                    "value": 50.0612,
                    "threshold": 50,
                    "message": "voc 50.06 ppm over 50 ppm: a cell may be venting",
                },
                {"type": "thermal_runaway", "value": 1.4, "threshold": None, "message": "rising"},
                {"alarm_type": "smoke", "message": ""},
                {"type": "new_kind", "message": "something new"},
                {"type": "new_kind"},
            ],
        },
    )
    assert got == [
        ["电池析出可燃气体 · 50.06 ppm（限值 50 ppm）", "voc 50.06 ppm over 50 ppm: a cell may be venting"],  # noqa: RUF001
        ["电池热失控 · 1.4 °C/s", "rising"],
        ["烟雾", ""],
        ["new_kind: something new", "something new"],  # no label: the edge's words are all there is
        ["new_kind", ""],
    ]


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", [["accept within 2:05", False], ["overdue 2:38:07", True], ["0:00", False]]),
        ("zh-CN", [["请在 2:05 内确认", False], ["已超时 2:38:07", True], ["0:00", False]]),
    ],
)
def test_an_overdue_clock_reads_overdue_never_a_negative_countdown(
    site: Site, new_page: Callable[..., Page], lang: str, expected: list[list[Any]]
) -> None:
    page = new_page()
    page.goto(f"{site.base}/healthz?lang={lang}")
    got = page.evaluate(
        "async () => { const m = await import('/pages/assets/common.js'); await m.loadI18n();"
        " const c = [m.clockText(125, 'alarm.ack_left'), m.clockText(-9487, 'alarm.ack_left'), m.clockText(0)];"
        " const html = m.clockHtml(-9487); return [...c.map((x) => [x.text, x.overdue]), html]; }"
    )
    *texts, html = got
    assert texts == expected
    assert 'class="clock overdue"' in html and "-" not in html.split(">")[1]
