"""Drill through real processes: mosquitto, `shedwatch cloud` with its alarm service, real receivers.

Edge alarm events published like an edge would reach the person on duty on a webhook, a DingTalk-like bot and
e-mail; then the receivers fail (the webhook refuses connections, the bot answers 200 with an error code) while
a second shed alarms, the cloud is SIGKILLed mid-retry and restarted, the receivers recover: every alert is
delivered exactly once. The signed links accept the incident from a "phone" (GET shows, POST acts).
"""

import re
import signal
import sqlite3
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from protocol.uplink import AlarmClass, AlarmCleared, AlarmRaised, EdgeHeartbeat, EdgeState
from shedwatch.mosquitto import Mosquitto
from tests.integration.alarms.conftest import write_alarm_toml
from tests.integration.alarms.edge_alarms import edge_alarm
from tests.integration.alarms.receivers import HttpReceiver, SmtpReceiver
from tests.integration.cloud.conftest import CloudProcess
from tests.integration.cloud.helpers import Publisher, wait_for

pytestmark = pytest.mark.integration
REF = re.compile(r"Ref: (\S+)")


def _fire(shed: str, seq: int, now_ms: int) -> AlarmRaised | AlarmCleared:
    return edge_alarm(
        shed,
        seq,
        now_ms,
        alarm_type="smoke",
        alarm_class=AlarmClass.FIRE,
        device="env-1",
        message="smoke detector in alarm",
    )


def _statuses(db: Path) -> dict[str, int]:
    with sqlite3.connect(db, timeout=30) as conn:
        return dict(conn.execute("SELECT status, count(*) FROM alerts GROUP BY status").fetchall())


def _refs(texts: list[str]) -> Counter[str]:
    return Counter(m.group(1) for t in texts for m in [REF.search(t)] if m)


def test_alerts_survive_receiver_outage_and_cloud_sigkill_exactly_once(
    tmp_path: Path,
    mosquitto: Mosquitto,
    cloud_factory: Callable[..., CloudProcess],
    shed_config: Callable[[str], Path],
    webhook: HttpReceiver,
    dingtalk: HttpReceiver,
    smtp: SmtpReceiver,
) -> None:
    import time

    data = tmp_path / "cloud"
    args = ["--broker", mosquitto.url, "--shed-config", str(shed_config("shed-a"))]
    args += ["--shed-config", str(shed_config("shed-b"))]
    cloud = cloud_factory([*args, "--alarm-config", str(tmp_path / "alarms.toml")], data_dir=data)
    write_alarm_toml(tmp_path / "alarms.toml", webhook, dingtalk, smtp, cloud.base)
    cloud.start()
    pub = Publisher(mosquitto.port)
    now = time.time_ns() // 1_000_000
    for shed in ("shed-a", "shed-b"):
        pub.send([EdgeState(src=shed, seq=0, ts=now, state="birth", session=1)])
    pub.send([_fire("shed-a", 1, now)])
    # A fire pages the guard (3 channels) and the shift leader at once.
    wait_for(lambda: len(webhook.texts()) == 2 and dingtalk.texts() and smtp.messages, timeout=30, what="alerts")
    guard = next(t for t in webhook.texts() if "guard-li" in t)

    # The links: a GET (a chat app's preview) shows a button and changes nothing; the POST accepts.
    ack_url = next(line.split(": ", 1)[1] for line in guard.splitlines() if line.startswith("Accept: "))
    page = httpx.get(ack_url, timeout=10)
    assert page.status_code == 200 and "<form method=post>" in page.text
    assert httpx.post(ack_url, timeout=10).status_code == 200
    assert httpx.post(ack_url, timeout=10).status_code == 409  # already accepted
    forged = ack_url[:-3] + ("AAA" if not ack_url.endswith("AAA") else "BBB")
    assert httpx.post(forged, timeout=10).status_code == 403

    # Outage: the webhook refuses connections, the bot says "send too fast" in a 200 answer.
    webhook.down()
    dingtalk.errcode = 130101
    pub.send([_fire("shed-b", 1, now)])
    db = data / "state.db"
    wait_for(lambda: dingtalk.refused >= 1 and _statuses(db).get("pending", 0) >= 3, timeout=30, what="retrying")
    assert cloud.proc is not None
    cloud.proc.send_signal(signal.SIGKILL)
    cloud.proc.wait(10)
    cloud.proc = None

    webhook.up()
    dingtalk.errcode = 0
    cloud.start()
    pub.send(
        [EdgeHeartbeat(src=s, seq=1, ts=now, session=1, uptime_s=60, outbox_depth=0) for s in ("shed-a", "shed-b")]
    )
    wait_for(lambda: set(_statuses(db)) == {"delivered"}, timeout=60, what="every alert delivered")
    statuses = _statuses(db)
    # shed-a: guard x3 + leader; shed-b: the same; nothing else was due.
    assert statuses == {"delivered": 8}
    counts = _refs(webhook.texts()) + _refs(dingtalk.texts()) + _refs(smtp.messages)
    assert all(n == 1 or ref.endswith("guard-li") for ref, n in counts.items()), counts
    # Each guard alert arrived once on each of the guard's three channels, each leader alert once.
    per_channel = [_refs(webhook.texts()), _refs(dingtalk.texts()), _refs(smtp.messages)]
    assert all(max(c.values()) == 1 for c in per_channel), per_channel
    assert sum(sum(c.values()) for c in per_channel) == 8
    assert cloud.stop() == 0
    pub.close()
