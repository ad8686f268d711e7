"""`shedwatch cloud alarm ...` as a real process over the state store the service wrote."""

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from cloud.alarms.config import AlarmConfig
from cloud.state import audit_rows, config_docs
from cloud.state.alarm_schema import alerts
from cloud.state.config_docs import DocKind
from cloud.state.store import StateStore
from protocol.uplink import AlarmClass, AlarmRaised
from shedwatch.cli import main
from tests.integration.alarms.edge_alarms import edge_alarm
from tests.integration.alarms.seeded import NOW, open_alarms, seeded_store, service_of
from tests.integration.cloud.conftest import REPO

pytestmark = pytest.mark.integration


def _process(data: Path, *args: str) -> tuple[int, object, str]:
    cmd = [sys.executable, "-m", "shedwatch", "cloud", "alarm", "--data-dir", str(data), *args]
    done = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=60)
    out = json.loads(done.stdout) if done.returncode == 0 else None
    return done.returncode, out, done.stderr


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, object, str]]:
    """The same command in this process (the parser, settings, store and exit codes are all real)."""

    def run(data: Path, *args: str) -> tuple[int, object, str]:
        capsys.readouterr()
        rc = main(["cloud", "alarm", "--data-dir", str(data), *args])
        captured = capsys.readouterr()
        return rc, json.loads(captured.out) if rc == 0 else None, captured.err

    return run


def _seeded(tmp_path: Path, raised: list[tuple[AlarmClass, str]], config: AlarmConfig | None = None) -> Path:
    """A data dir whose state store holds shed-a (extinguisher ext-1) and one incident of ``raised`` (class,
    type) alarms of env-1, applied by the alarm service as the running cloud would."""
    data = tmp_path / "cloud"
    data.mkdir()
    events = [
        AlarmRaised(src="shed-a", seq=seq, ts=NOW, alarm_id=kind, alarm_class=cls, alarm_type=kind, device="env-1")
        for seq, (cls, kind) in enumerate(raised, 1)
    ]
    store = seeded_store(data / "state.db", {"shed": "shed-a", "extinguishers": ["ext-1"]}, list(events))
    service_of(store, config).run_once(NOW)
    store.close()
    return data


def _audit_log(data: Path) -> list[tuple[str, str, str, str, str, str]]:
    """(actor, action, target, outcome, detail, address) of every audit_log row, oldest first."""
    store = StateStore(f"sqlite:///{data / 'state.db'}")
    try:
        with store.engine.connect() as conn:
            rows = audit_rows.newest(conn, communities=None, limit=100)
    finally:
        store.close()
    return [(r.actor, r.action, r.target, r.outcome, r.detail, r.address) for r in reversed(rows)]


def _alarm_states(data: Path) -> dict[str, str]:
    """Alarm key -> lifecycle state of every open alarm in ``data``'s store."""
    store = StateStore(f"sqlite:///{data / 'state.db'}")
    try:
        return {k: a.state.value for k, a in open_alarms(store).items()}
    finally:
        store.close()


def test_arriving_on_site_accepts_and_acknowledges_the_incidents_alarms(
    tmp_path: Path, cli: Callable[..., tuple[int, object, str]]
) -> None:
    data = _seeded(tmp_path, [(AlarmClass.FIRE, "smoke"), (AlarmClass.PRE_FIRE, "off_gas")])
    rc, incidents, _ = cli(data, "incidents")
    assert rc == 0 and isinstance(incidents, list)
    rc, out, _ = cli(data, "onsite", incidents[0]["id"], "--by", "guard-li")
    assert rc == 0 and isinstance(out, dict) and (out["acked_by"], out["onsite_by"]) == ("guard-li", "guard-li")
    assert _alarm_states(data) == {"shed-a/env-1/0/smoke": "acked", "shed-a/env-1/0/off_gas": "acked"}


def test_actions_use_the_configuration_in_force_and_the_clouds_address(
    tmp_path: Path, cli: Callable[..., tuple[int, object, str]]
) -> None:
    # The running cloud paged guard-li at opening (its TOML then); since, the API saved the community's documents:
    # a 60 s accept promise and guard-li's new target. The command line has no TOML: the documents are all.
    at_open = AlarmConfig.model_validate(
        {"person": [{"id": "guard-li", "targets": ["json://127.0.0.1:1/old"]}],
         "community": [{"name": "default", "shift": [{"role": "guard", "person": "guard-li"}]}]}
    )  # fmt: skip
    data = _seeded(tmp_path, [(AlarmClass.PRE_FIRE, "off_gas")], at_open)
    store = StateStore(f"sqlite:///{data / 'state.db'}")
    with store.engine.begin() as conn:
        config_docs.save(conn, "default", DocKind.COMMUNITY, {"ack_s": 60}, actor="admin", now_ms=NOW)
        body = {"person": [{"id": "guard-li", "name": "Li", "targets": ["json://127.0.0.1:2/new"]}]}
        config_docs.save(conn, "default", DocKind.CHANNELS, body, actor="admin", now_ms=NOW)
    store.close()
    clock = ["--clock", f"1,{NOW + 100_000},now"]  # acts 100 s after the opening
    rc, incidents, _ = cli(data, *clock, "incidents")
    assert rc == 0 and isinstance(incidents, list)
    inc = incidents[0]["id"]
    rc, acked, _ = cli(data, *clock, "ack", inc, "--by", "guard-li")
    assert rc == 0 and isinstance(acked, dict) and (acked["acked_by"], acked["acked_by_name"]) == ("guard-li", "Li")
    rc, _, err = cli(data, *clock, "ack", inc, "--by", "leader-wang")
    assert rc == 1 and err.strip() == "refused: already acknowledged by Li"  # the name people know, not an id
    rc, _, _ = cli(data, *clock, "--port", "9123", "resolve", inc, "--by", "guard-li", "--as", "false")
    assert rc == 0
    store = StateStore(f"sqlite:///{data / 'state.db'}")
    with store.engine.connect() as conn:
        sent = conn.execute(select(alerts.c.target, alerts.c.body).where(alerts.c.step == "resolved")).all()
    store.close()
    assert [t for t, _ in sent] == ["json://127.0.0.1:2/new"]  # the saved channels, not "no channel"
    assert "http://127.0.0.1:9123/api/v1/alarms/link/" in sent[0][1]  # the cloud's address from its settings
    rc, rows, _ = cli(data, *clock, "report", "--days", "100000")
    assert rc == 0 and isinstance(rows, list)
    ack_shed = next(r for r in rows if (r["by"], r["group"], r["clock"]) == ("shed", "shed-a", "ack"))
    assert (ack_shed["incidents"], ack_shed["kept"]) == (1, 0)  # 100 s broke the saved 60 s promise (TOML: 180)
    assert any((r["by"], r["group"]) == ("person", "Li") for r in rows)


def test_load_counts_damped_flaps_as_chattering_and_a_false_resolution(
    tmp_path: Path, cli: Callable[..., tuple[int, object, str]]
) -> None:
    data = tmp_path / "cloud"
    data.mkdir()
    flaps = [
        edge_alarm("shed-a", seq, NOW, alarm_type="smoke", alarm_class=AlarmClass.PRE_FIRE, device="env-1",
                   raised=seq % 2 == 1)
        for seq in range(1, 6)
    ]  # fmt: skip  # raise, clear, raise, clear, raise: the service's damping keeps one instance open
    store = seeded_store(data / "state.db", {"shed": "shed-a", "sensors": ["env-1"]}, list(flaps))
    service = service_of(store)
    service.run_once(NOW)
    store.close()
    assert service.stats.chattering == {"shed-a/env-1/0/smoke"}  # what /alarms/health lists
    clock = ["--clock", f"1,{NOW + 100_000},now"]
    rc, incidents, _ = cli(data, *clock, "incidents")
    assert rc == 0 and isinstance(incidents, list)
    assert cli(data, *clock, "resolve", incidents[0]["id"], "--by", "guard-li", "--as", "false")[0] == 0
    rc, figures, _ = cli(data, *clock, "load", "--days", "1")
    assert rc == 0 and isinstance(figures, dict)
    assert figures["chattering"] == ["shed-a/env-1/0/smoke"] and figures["alarms"] == 1
    assert figures["false_rate"] == {"env-1": [1, 1.0]}


def test_staff_actions_from_the_command_line(tmp_path: Path, cli: Callable[..., tuple[int, object, str]]) -> None:
    data = _seeded(tmp_path, [(AlarmClass.FIRE, "smoke"), (AlarmClass.SUPERVISORY, "low_pressure")])

    rc, incidents, _ = _process(data, "incidents")
    assert rc == 0 and isinstance(incidents, list) and len(incidents) == 1
    inc = incidents[0]["id"]
    rc, acked, _ = cli(data, "ack", inc, "--by", "guard-li")
    assert rc == 0 and isinstance(acked, dict) and acked["acked_by"] == "guard-li"
    rc, _, err = _process(data, "ack", inc, "--by", "guard-wang")
    assert rc == 1 and "already acknowledged by guard-li" in err
    rc, _, err = cli(data, "shelve", "shed-a/env-1/0/smoke", "--by", "leader", "--minutes", "30")
    assert rc == 1 and err.strip() == "refused: fire alarms can never be shelved"  # the API's 409 reason
    rc, out, _ = cli(data, "shelve", "shed-a/env-1/0/low_pressure", "--by", "leader", "--minutes", "30")
    assert rc == 0 and out == {"shelved": "shed-a/env-1/0/low_pressure", "minutes": 30.0}
    rc, _, err = cli(data, "shelve", "shed-a/env-1/0/nothing", "--by", "leader", "--minutes", "30")
    assert rc == 1 and err.strip() == "refused: no alarm shed-a/env-1/0/nothing"
    # Recorded in the audit log as the API records its own: the refusal with its reason, and the shelve.
    assert [line[:2] + line[3:] for line in _audit_log(data)] == [
        ("guard-li", "incident.respond", "ok", "acknowledge", "cli"),
        ("guard-wang", "incident.respond", "failed", "acknowledge: already acknowledged by guard-li", "cli"),
        ("leader", "alarm.shelve", "failed", "shelve 1800 s: : fire alarms can never be shelved", "cli"),
        ("leader", "alarm.shelve", "ok", "shelve 1800 s: ", "cli"),
    ]
    rc, _, err = cli(data, "suppress", "shed-a/env-1/0/smoke", "--by", "leader")
    assert rc == 1 and "fire alarms are never suppressed" in err
    rc, out, _ = cli(data, "suppress", "shed-a/env-1/0/low_pressure", "--by", "leader")
    assert rc == 0 and out == {"key": "shed-a/env-1/0/low_pressure", "suppressed": True, "out_of_service": False}
    rc, out, _ = cli(data, "out-of-service", "shed-a/env-1/0/low_pressure", "--by", "leader", "--reason", "swap")
    assert rc == 0 and isinstance(out, dict) and out["out_of_service"] is True
    rc, out, _ = cli(data, "suppress", "shed-a/env-1/0/low_pressure", "--by", "leader", "--off")
    assert rc == 0 and isinstance(out, dict) and out["suppressed"] is False and out["out_of_service"] is True
    rc, _, err = cli(data, "out-of-service", "shed-a/ext-1/0/low_pressure", "--by", "leader")
    assert rc == 1 and "has ever been raised" in err
    rc, out, _ = cli(data, "onsite", inc, "--by", "guard-li")
    assert rc == 0 and isinstance(out, dict) and out["onsite_by"] == "guard-li"
    rc, out, _ = cli(data, "resolve", inc, "--by", "guard-li", "--as", "test", "--note", "monthly drill")
    assert rc == 0 and isinstance(out, dict) and out["resolution"] == "test"
    rc, out, _ = cli(data, "inspect", "shed-a", "ext-1", "--by", "guard-li", "--note", "1.2 MPa")
    assert rc == 0
    rc, _, err = cli(data, "inspect", "shed-a", "ext-9", "--by", "guard-li")  # the API answers 404: same check
    assert rc == 1 and "shed shed-a has no extinguisher ext-9" in err
    rc, _, err = cli(data, "inspect", "shed-a", "env-1", "--by", "guard-li")  # a sensor, not an extinguisher
    assert rc == 1 and "no extinguisher env-1" in err
    assert [line[1:4] for line in _audit_log(data)][-5:] == [
        ("incident.respond", f"incident {inc}", "ok"),  # on site
        ("incident.respond", f"incident {inc}", "ok"),  # resolved
        ("inspection.record", "shed-a/ext-1", "ok"),
        ("inspection.record", "shed-a/ext-9", "failed"),
        ("inspection.record", "shed-a/env-1", "failed"),
    ]
    rc, timeline, _ = cli(data, "timeline", inc)
    assert rc == 0 and isinstance(timeline, list)
    kinds = [e["kind"] for e in timeline]
    assert kinds[0] == "first_signal" and {"acknowledged", "on_site", "resolved"} <= set(kinds)
    assert next(e for e in timeline if e["kind"] == "acknowledged")["device"] == "cli"
    rc, rows, _ = cli(data, "report", "--days", "100000")
    assert rc == 0 and isinstance(rows, list) and any(r["by"] == "person" and r["group"] == "guard-li" for r in rows)
    rc, rows, _ = cli(data, "report", "--days", "100000", "--community", "elsewhere")
    assert rc == 0 and rows == []
    rc, figures, _ = cli(data, "load", "--days", "100000")
    assert rc == 0 and isinstance(figures, dict) and figures["alarms"] == 2
    # both alarms joined the incident resolved as a test: classified, neither false
    assert figures["false_rate"] == {"env-1": [0, 0.0]}
    rc, _, _ = cli(data, "ack", "no-such-incident", "--by", "x")
    assert rc == 1


def test_bad_arguments_and_a_bad_alarm_file_exit_2_in_one_line(
    tmp_path: Path, cli: Callable[..., tuple[int, object, str]]
) -> None:
    data = _seeded(tmp_path, [(AlarmClass.SUPERVISORY, "low_pressure")])
    for args in (
        ("shelve", "not-a-key", "--by", "x", "--minutes", "5"),
        ("suppress", "shed-a/env-1/x/smoke", "--by", "x"),
        ("shelve", "shed-a/env-1/0/low_pressure", "--by", "x", "--minutes", "-5"),
        ("load", "--days", "-1"),
        ("load", "--operators", "0"),
        ("report", "--days", "nan"),
    ):
        with pytest.raises(SystemExit) as exited:
            cli(data, *args)
        assert exited.value.code == 2, args
    bad = tmp_path / "alarms.toml"
    bad.write_text('[[person]]\nid = "li"\ntargets = "not-a-list"\n')
    rc, _, err = cli(data, "--alarm-config", str(bad), "incidents")
    assert rc == 2 and err.count("\n") == 1 and f"alarm config {bad}: person.0.targets" in err
    # The cloud itself stops at once with that one line, before it serves (no traceback, not exit 3).
    cmd = [sys.executable, "-m", "shedwatch", "cloud", "--data-dir", str(data), "--port", "0"]
    cmd += ["--alarm-config", str(bad)]
    done = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines()[-1].endswith("person.0.targets: Input should be a valid list")
