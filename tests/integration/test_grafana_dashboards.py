"""The Grafana dashboards run against the real stores: every panel's SQL, with Grafana's variables and the SQLite
plugin's one macro expanded as they would be, executes on a telemetry store and a state store written by the cloud's
own code, names only columns and JSON fields that exist (no NULL where a value is expected), and uses a provisioned
data source."""

import json
import re
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from cloud.alarms.repo import AlarmRepo
from cloud.core.alarms.incidents import Incident
from cloud.core.alarms.model import Alarm, AlarmKey, Lifecycle
from cloud.state.store import StateStore
from cloud.telemetry.sqlite import SqliteTelemetryStore
from protocol.uplink import AlarmClass

pytestmark = pytest.mark.integration
GRAFANA = Path(__file__).resolve().parents[2] / "dashboards" / "grafana"
T0 = 1_767_225_600_000  # 2026-01-01T00:00Z
HOUR = 3_600_000
GROUP = re.compile(r"\$__unixEpochGroupSeconds\(\s*([^,()]+?)\s*,\s*(\d+)\s*\)")


@dataclass
class Pt:
    ts: int
    device: str
    socket: int | None
    fields: dict[str, float] = field(default_factory=dict)


@dataclass
class Bt:
    src: str
    seq: int
    ts: int
    points: list[Pt]


def expand(sql: str, variables: dict[str, str], start_ms: int, end_ms: int) -> str:
    """As Grafana (global variables, dashboard variables) and frser-sqlite-datasource (its macro) would."""
    sql = GROUP.sub(lambda m: f"cast(({m.group(1)} / {m.group(2)}) as int) * {m.group(2)}", sql)
    sql = sql.replace("$__from", str(start_ms)).replace("$__to", str(end_ms))
    for name, value in variables.items():
        sql = sql.replace("${" + name + "}", value)
    assert "$" not in sql.replace("'$.", ""), sql  # every variable and macro known
    return sql


def _stores(tmp: Path) -> dict[str, Path]:
    telemetry = SqliteTelemetryStore(tmp / "telemetry.db")
    batches = []
    for h in range(3):  # three hours, one post of two sockets and an environment sensor
        ts = T0 + h * HOUR + 60_000
        points = [Pt(ts, "post-1", None, {"total_power_w": 300.0 + h})]
        points += [Pt(ts, "post-1", n, {"power_w": 150.0 * (n - 1), "temp_c": 25.0 + n}) for n in (1, 2)]
        points.append(Pt(ts, "env-1", None, {"temp_c": 21.0}))
        batches.append(Bt("shed-a", h + 1, ts, points))
    telemetry.write(batches)
    telemetry.maintain(T0 + 4 * HOUR)
    telemetry.close()

    state = StateStore(f"sqlite:///{tmp / 'state.db'}")
    state.migrate()
    with state.engine.begin() as conn:
        repo = AlarmRepo(conn, sqlite=True)
        key = AlarmKey("shed-a", "post-1", 2, "thermal_runaway")
        alarm = Alarm(key=key, alarm_class=AlarmClass.FIRE, state=Lifecycle.ACKED, raised_ms=T0 + HOUR)
        repo.save_alarm(alarm, "inc-1", T0 + HOUR)
        repo.save_incident(
            Incident(
                id="inc-1",
                shed="shed-a",
                alarm_class=AlarmClass.FIRE,
                opened_ms=T0 + HOUR,
                last_alarm_ms=T0 + HOUR,
                acked_ms=T0 + HOUR + 90_000,
                acked_by="guard-li",
                onsite_ms=T0 + HOUR + 700_000,
                onsite_by="guard-li",
            )
        )
    state.close()
    return {"shedwatch-telemetry": tmp / "telemetry.db", "shedwatch-state": tmp / "state.db"}


def _dashboards() -> list[dict[str, Any]]:
    return [json.loads(p.read_text()) for p in sorted((GRAFANA / "dashboards").glob("*.json"))]


def test_provisioning_names_the_data_sources_and_the_dashboards_folder() -> None:
    ds = yaml.safe_load((GRAFANA / "provisioning" / "datasources" / "shedwatch.yaml").read_text())
    uids = {d["uid"]: d for d in ds["datasources"]}
    assert set(uids) == {"shedwatch-telemetry", "shedwatch-state"}
    assert {d["type"] for d in uids.values()} == {"frser-sqlite-datasource"}
    assert uids["shedwatch-telemetry"]["jsonData"]["path"].endswith("/telemetry.db")
    assert uids["shedwatch-state"]["jsonData"]["path"].endswith("/state.db")
    providers = yaml.safe_load((GRAFANA / "provisioning" / "dashboards" / "shedwatch.yaml").read_text())
    assert providers["providers"][0]["type"] == "file"


def test_every_panel_query_runs_on_the_real_stores_and_returns_values(tmp_path: Path) -> None:
    files = _stores(tmp_path)
    (dash,) = _dashboards()
    variables = {v["name"]: v["current"]["value"] for v in dash["templating"]["list"]}
    titles = set()
    for panel in dash["panels"]:
        titles.add(panel["title"])
        for target in panel["targets"]:
            uid = target["datasource"]["uid"]
            assert uid in files, (panel["title"], uid)
            assert target["queryText"] == target["rawQueryText"]
            sql = expand(target["queryText"], variables, T0, T0 + 24 * HOUR)
            with sqlite3.connect(f"file:{files[uid]}?mode=ro", uri=True) as db:
                cur = db.execute(sql)
                names = [d[0] for d in cur.description]
                rows = cur.fetchall()
            assert rows, (panel["title"], sql)
            assert all(v is not None for row in rows for v in row), (panel["title"], names, rows)
            for col in target["timeColumns"]:
                assert col in names, (panel["title"], col, names)
                assert all(T0 / 1000 <= row[names.index(col)] < (T0 + 24 * HOUR) / 1000 for row in rows)
    wanted = ("Energy", "Utilisation", "Hottest", "Alarms", "Service clocks", "Promises")
    assert all(any(t.startswith(w) for t in titles) for w in wanted), titles


def test_the_figures_are_the_ones_the_data_implies(tmp_path: Path) -> None:
    files = _stores(tmp_path)
    (dash,) = _dashboards()
    variables = {v["name"]: v["current"]["value"] for v in dash["templating"]["list"]}
    by_id = {p["id"]: p["targets"][0]["queryText"] for p in dash["panels"]}

    def run(pid: int, uid: str) -> list[tuple[Any, ...]]:
        with sqlite3.connect(f"file:{files[uid]}?mode=ro", uri=True) as db:
            return db.execute(expand(by_id[pid], variables, T0, T0 + 24 * HOUR)).fetchall()

    energy = run(1, "shedwatch-telemetry")
    assert [round(r[2], 3) for r in energy] == [0.3, 0.301, 0.302]  # one reading an hour: its mean x 1 h
    assert all(r[1] == "shed-a" for r in energy)
    use = run(2, "shedwatch-telemetry")
    assert {r[1] for r in use} == {50.0}  # socket 2 drew 150 W, socket 1 nothing
    temps = run(3, "shedwatch-telemetry")
    assert {r[2] for r in temps} == {27.0}
    assert run(4, "shedwatch-state") == [((T0 + HOUR) // 1000 // 86400 * 86400, "fire", 1)]
    assert run(5, "shedwatch-state") == [((T0 + HOUR) // 1000, 90.0, 700.0)]
    assert run(6, "shedwatch-state") == [(100.0, 0.0, 1)]  # accepted in 90 s (<= 180), on site in 700 s (> 600)
