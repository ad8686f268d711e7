"""`shedwatch cloud alarm ...` as a real process over the state store the service wrote."""

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from cloud.alarms.config import AlarmConfig
from cloud.alarms.service import AlarmService
from cloud.ingest.batch import Batch
from cloud.state.store import StateStore
from protocol.config import ShedConfig
from protocol.uplink import AlarmClass, AlarmRaised, EdgeState
from shedwatch.cli import main
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


def test_staff_actions_from_the_command_line(tmp_path: Path, cli: Callable[..., tuple[int, object, str]]) -> None:
    data = tmp_path / "cloud"
    data.mkdir()
    store = StateStore(f"sqlite:///{data / 'state.db'}")
    store.migrate()
    store.register_shed(ShedConfig.model_validate({"shed": "shed-a", "extinguishers": ["ext-1"]}))
    now = 1_767_225_600_000
    batch = Batch()
    batch.states.append((EdgeState(src="shed-a", seq=0, ts=now, state="birth", session=1), now))
    for seq, (cls, kind) in enumerate([(AlarmClass.FIRE, "smoke"), (AlarmClass.SUPERVISORY, "low_pressure")], 1):
        ev = AlarmRaised(src="shed-a", seq=seq, ts=now, alarm_id=kind, alarm_class=cls, alarm_type=kind, device="env-1")
        batch.events.append((ev, now))
    store.write(batch)
    service = AlarmService(store.engine, sqlite=True, config=AlarmConfig(), link_secret=b"x" * 32)
    service.run_once(now)
    store.close()

    rc, incidents, _ = _process(data, "incidents")
    assert rc == 0 and isinstance(incidents, list) and len(incidents) == 1
    inc = incidents[0]["id"]
    rc, acked, _ = cli(data, "ack", inc, "--by", "guard-li")
    assert rc == 0 and isinstance(acked, dict) and acked["acked_by"] == "guard-li"
    rc, _, err = _process(data, "ack", inc, "--by", "guard-wang")
    assert rc == 1 and "already acknowledged by guard-li" in err
    rc, _, err = cli(data, "shelve", "shed-a/env-1/0/smoke", "--by", "leader", "--minutes", "30")
    assert rc == 1 and "refused" in err
    rc, out, _ = cli(data, "shelve", "shed-a/env-1/0/low_pressure", "--by", "leader", "--minutes", "30")
    assert rc == 0 and out == {"shelved": "shed-a/env-1/0/low_pressure", "minutes": 30.0}
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
