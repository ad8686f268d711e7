"""`sim run --faults-on-request FILE`: complete JSON-object lines are requests, a half-written line waits, anything
else is counted and skipped; a held fault starts only on a request, at_s counted from it."""

from pathlib import Path

from simulators.requests import RequestFile, parse_requests
from simulators.scenario import Scenario


def test_complete_object_lines_are_requests() -> None:
    two = b'{"by": "admin"}\n{"by": "x"}\n'
    assert parse_requests(two) == (2, 0, len(two))
    assert parse_requests(b'{"by": "admin"}\n{"by": "ha') == (1, 0, 16)  # the rest is being written
    assert parse_requests(b"") == (0, 0, 0)


def test_other_lines_are_counted_as_bad() -> None:
    mixed = b'not json\n[1]\n\n{"ok": 1}\n'
    assert parse_requests(mixed) == (1, 2, len(mixed))


def test_the_file_is_read_where_the_last_poll_stopped(tmp_path: Path) -> None:
    path = tmp_path / "requests.jsonl"
    requests = RequestFile(path)
    assert requests.poll() == 0  # no file yet: no request
    path.write_bytes(b'{"by": "a"}\n{"by"')
    assert requests.poll() == 1
    with path.open("ab") as f:
        f.write(b': "b"}\ngarbage\n')
    assert requests.poll() == 1 and requests.bad == 1
    assert requests.poll() == 0 and requests.requests == 2


SCENARIO = {
    "sheds": [{"shed": "shed-a", "posts": [{"id": "post-1", "sockets": 4}], "sensors": ["env-1"]}],
    "faults": [{"at_s": 5, "type": "thermal_runaway", "device": "post-1", "socket": 3}],
}


def test_a_held_fault_starts_only_when_requested_and_counts_from_the_request() -> None:
    scenario = Scenario.model_validate(SCENARIO)
    (sim,) = scenario.build(0, hold_faults=True)
    sim.advance_to(60_000)
    assert sim.faults == []
    scenario.schedule_faults([sim], 60_000)
    sim.advance_to(64_000)
    assert sim.faults == []  # at_s = 5 after the request
    sim.advance_to(66_000)
    assert len(sim.faults) == 1


def test_without_holding_the_fault_runs_on_the_timeline() -> None:
    (sim,) = Scenario.model_validate(SCENARIO).build(0)
    sim.advance_to(6_000)
    assert len(sim.faults) == 1
