"""Every enum value a page shows has a label in zh-CN and in English (dashboards/i18n), and the Chinese one is
Chinese: a newcomer must not meet `thermal_runaway` or `cut socket` on a zh-CN page.

The values are walked from the models themselves (protocol, cloud), so a value added there without a label fails
here; the timeline kinds are also checked against every kind the cloud's code writes."""

import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import get_args

import pytest

from cloud.core.access.roles import Role
from cloud.core.alarms import rules
from cloud.core.alarms.incidents import Resolution
from cloud.core.alarms.model import Lifecycle
from cloud.core.alarms.timeline import STEP_PREFIX, STEPS, TIMELINE_KINDS
from cloud.core.charging.model import EndReason, SessionStatus
from protocol.device import SocketState
from protocol.docgen import ALARM_TYPES, INTERLOCK_REASONS
from protocol.uplink import AlarmClass, InterlockAction, SessionEndReason, SocketStatus

ROOT = Path(__file__).resolve().parents[3]
I18N = ROOT / "dashboards" / "i18n"
CJK = re.compile(r"[\u4e00-\u9fff]")
CLOUD_ALARM_TYPES = [v for k, v in vars(rules).items() if k.isupper() and isinstance(v, str) and v.islower()]


def _values(values: Iterable[object]) -> list[str]:
    return [str(v) for v in values]


# (i18n key prefix, every value the models allow)
ENUMS: list[tuple[str, list[str]]] = [
    ("class", _values(AlarmClass)),
    # the socket grid's states: the protocol's, plus the screen's own tripped / stopped (an operator's stop) /
    # offline / unknown; `stopped` is also the availability's count of them
    ("state", [*_values(SocketStatus), "tripped", "stopped", "offline", "unknown"]),
    ("device_state", _values(SocketState)),
    ("lifecycle", _values(Lifecycle)),
    ("resolution", _values(Resolution)),
    ("role", _values(Role)),
    ("session", _values(SessionStatus)),
    ("end", [*_values(SessionEndReason), *_values(EndReason)]),
    ("act", list(get_args(InterlockAction.model_fields["action"].annotation))),
    ("scope", list(get_args(InterlockAction.model_fields["scope"].annotation))),
    ("type", [*ALARM_TYPES, *CLOUD_ALARM_TYPES]),
    ("kind", list(TIMELINE_KINDS)),
]


def _dict(lang: str) -> dict[str, str]:
    loaded: dict[str, str] = json.loads((I18N / f"{lang}.json").read_text(encoding="utf-8"))
    return loaded


def _keys() -> list[str]:
    keys = [f"{prefix}.{v}" for prefix, values in ENUMS for v in values]
    # An interlock reason is an alarm type (its label) or one of the edge's own reasons.
    keys += [f"reason.{r}" for r in INTERLOCK_REASONS]
    return keys


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_every_enum_value_shown_has_a_label(lang: str) -> None:
    words = _dict(lang)
    missing = [k for k in _keys() if not words.get(k, "").strip()]
    assert missing == [], f"{lang}: no label for {missing}"


def test_the_chinese_labels_are_chinese() -> None:
    zh = _dict("zh-CN")
    english = [k for k in _keys() if k in zh and not CJK.search(zh[k])]
    assert english == [], english


def test_the_walk_sees_the_values_it_should() -> None:
    # The walk must not be vacuous: a broken import or an emptied list would pass the tests above.
    assert {"thermal_runaway", "edge_offline", "delivery_gap"} <= {v for p, vs in ENUMS if p == "type" for v in vs}
    assert len(CLOUD_ALARM_TYPES) >= 7
    assert {"cut", "refuse", "restore"} == {v for p, vs in ENUMS if p == "act" for v in vs}


def test_every_timeline_kind_the_cloud_writes_is_listed() -> None:
    written: set[str] = set()
    for path in (ROOT / "cloud").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        written |= set(re.findall(r"\.note\(\s*[\w.]+,\s*\"([a-z_]+)\"", text))
        written |= {
            f"alarm_{m}" for m in re.findall(r"audit\.action in \(([^)]*)\)", text) for m in re.findall(r'"(\w+)"', m)
        }
        # kind = "alert_failed" if ... else "alert_retrying"
        written |= set(re.findall(r"kind = \"([a-z_]+)\"", text)) | set(re.findall(r"else \"(alert_[a-z_]+)\"", text))
    assert {"first_signal", "acknowledged", "alert_delivered", "alert_failed", "alert_retrying"} <= written
    assert written - set(TIMELINE_KINDS) == set(), written - set(TIMELINE_KINDS)
    assert all(STEP_PREFIX + s in TIMELINE_KINDS for s in STEPS)


def test_the_paging_steps_are_the_ones_the_clocks_take() -> None:
    from cloud.core.alarms.clocks import due_steps
    from cloud.core.alarms.incidents import Incident

    fire = Incident("inc-1", "shed-a", AlarmClass.FIRE, opened_ms=0, last_alarm_ms=0)
    assert {s.name for s in due_steps(fire, 10**9)} == set(STEPS)
