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


def test_socket_cells_tell_tripped_from_faulted_and_offline(site: Site, new_page: Callable[..., Page]) -> None:
    sock = {"shed": "shed-a", "device": "post-1", "socket": 3}
    got = _module(
        new_page(),
        site,
        "model",
        "const s = arg.sock; const alarm = [{shed: 'shed-a', device: 'post-1', socket: 3, alarm_class: 'fire'}];"
        " return [m.socketState({...s, status: 'faulted'}, [], true),"
        " m.socketState({...s, status: 'faulted'}, alarm, true),"
        " m.socketState({...s, status: 'faulted', tripped: true}, [], true),"
        " m.socketState({...s, status: 'charging'}, alarm, true),"
        " m.socketState({...s, status: 'free'}, [], false),"
        " m.socketState({...s, status: 'full'}, [], true)];",
        {"sock": sock},
    )
    assert got == ["faulted", "tripped", "tripped", "charging", "offline", "full"]


def test_kept_figures_count_stopped_and_overdue_clocks(site: Site, new_page: Callable[..., Page]) -> None:
    due = {"ack_due_ms": NOW + 180_000, "onsite_due_ms": NOW + 600_000}
    incidents = [
        # accepted in time, on site late
        {"opened_ms": NOW, "acked_ms": NOW + 60_000, "onsite_ms": NOW + 700_000, "clocks": due},
        # arriving on site accepts too: both kept
        {"opened_ms": NOW, "acked_ms": None, "onsite_ms": NOW + 100_000, "clocks": due},
        {"opened_ms": NOW, "acked_ms": None, "onsite_ms": None, "clocks": due},  # still running, ack overdue
        {"opened_ms": NOW - 8 * 86_400_000, "acked_ms": NOW, "onsite_ms": None, "clocks": due},  # last week: ignored
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
