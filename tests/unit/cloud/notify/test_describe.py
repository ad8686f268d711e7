"""An alarm's line in an alert names the socket and the reading that raised it."""

import pytest

from cloud.core.alarms.model import Alarm, AlarmKey, Lifecycle
from cloud.core.notify.describe import describe
from protocol.uplink import AlarmClass


def alarm(device: str, socket: int, kind: str, cls: AlarmClass, **kw: object) -> Alarm:
    return Alarm(AlarmKey("shed-a", device, socket, kind), cls, Lifecycle.UNACK, 0, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("raised", "line"),
    [
        (alarm("a-post-1", 3, "thermal_runaway", AlarmClass.PRE_FIRE, value=1.4, threshold=1.0),
         "pre_fire: a-post-1 socket 3 thermal_runaway 1.4 °C/s (threshold 1 °C/s)"),
        (alarm("a-post-1", 2, "socket_overtemp", AlarmClass.PRE_FIRE, value=71.5, threshold=65.0),
         "pre_fire: a-post-1 socket 2 socket_overtemp 71.5 °C (threshold 65 °C)"),
        (alarm("env-1", 0, "heat_rate", AlarmClass.PRE_FIRE, value=12.0, threshold=9.0),
         "pre_fire: env-1 heat_rate 12 °C/min (threshold 9 °C/min)"),
        (alarm("env-1", 0, "smoke", AlarmClass.FIRE, value=9.5, threshold=8.0, message="detector alarm"),
         "fire: env-1 smoke 9.5 %/m (threshold 8 %/m): detector alarm"),
        (alarm("", 0, "edge_offline", AlarmClass.TROUBLE, message="edge offline"),
         "trouble: shed edge_offline: edge offline"),
        (alarm("post-1", 0, "device_silent", AlarmClass.TROUBLE, value=210.0), "trouble: post-1 device_silent 210"),
        (alarm("post-1", 0, "post_over_limit_long", AlarmClass.OPERATIONAL, value=9000.0, threshold=8700.0),
         "operational: post-1 post_over_limit_long 9000 W (threshold 8700 W)"),
    ],
)  # fmt: skip
def test_describe(raised: Alarm, line: str) -> None:
    assert describe(raised) == line
