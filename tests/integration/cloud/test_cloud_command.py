"""`shedwatch cloud` as a real process on a real mosquitto: edge messages in, availability out."""

import signal
from collections.abc import Callable

import httpx
import pytest

from protocol.uplink import SocketStatus as S
from shedwatch.mosquitto import Mosquitto
from tests.apiauth import bearer
from tests.integration.cloud.conftest import CloudProcess
from tests.integration.cloud.helpers import Publisher, birth, status, telemetry, wait_for

pytestmark = pytest.mark.integration


def _shed(cloud: CloudProcess, shed: str) -> dict[str, object] | None:
    sheds = cloud.get("/api/v1/availability")["sheds"]  # type: ignore[index]
    return next((s for s in sheds if s["shed"] == shed), None)


def test_events_published_are_answered_by_availability(
    mosquitto: Mosquitto, cloud_factory: Callable[..., CloudProcess], shed_config: Callable[[str], object]
) -> None:
    cloud = cloud_factory(["--broker", mosquitto.url, "--shed-config", str(shed_config("shed-a"))]).start()
    pub = Publisher(mosquitto.port)
    snapshot = {("post-1", n): S.FREE for n in range(1, 5)}
    pub.send([birth("shed-a", 10, snapshot)])
    # seq 13 arrives before 12 (two workers, or a replay): 12 must not overwrite socket 1.
    pub.send(
        [
            status("shed-a", 11, "post-1", 1, S.CHARGING),
            status("shed-a", 13, "post-1", 1, S.FULL),
            status("shed-a", 12, "post-1", 1, S.CHARGING),
            status("shed-a", 14, "post-1", 2, S.FAULTED),
            status("shed-a", 9, "post-1", 3, S.CHARGING),  # older than the birth: already counted in it
            status("shed-a", 14, "post-1", 4, S.CHARGING),  # replay of seq 14 with other content: a duplicate
            telemetry("shed-a", 15, points=3),
        ]
    )
    expected = {"free": 2, "charging": 0, "plugged": 0, "full": 1, "faulted": 1, "total": 4}
    got = wait_for(
        lambda: (s := _shed(cloud, "shed-a")) and all(s[k] == v for k, v in expected.items()) and s,
        what="availability of shed-a",
    )
    assert got["community"] == "jinsong-north"  # type: ignore[index]
    assert got["updated_ts"] == 1_767_225_600_000 + 14_000  # type: ignore[index]
    assert "<html" in __import__("httpx").get(cloud.base + "/").text
    pub.raw("sw/v1/edge/shed-a/event", b"\xff not json")
    with pytest.raises(httpx.HTTPStatusError, match="401"):
        cloud.get("/api/v1/dead-letters")  # a rejected payload is for a deployment-wide admin only
    admin = bearer(cloud.auth, "admin", everywhere=True)
    letters = wait_for(lambda: cloud.get("/api/v1/dead-letters", admin), what="a dead letter")
    assert letters[0]["reason"] == "malformed_json" and letters[0]["topic"] == "sw/v1/edge/shed-a/event"  # type: ignore[index]
    assert cloud.stop(signal.SIGINT) == 0

    # Restarted, the cloud answers from its store before any edge speaks again.
    cloud2 = cloud_factory(["--broker", mosquitto.url, "--shed-config", str(shed_config("shed-a"))]).start()
    restored = _shed(cloud2, "shed-a")
    assert restored is not None and all(restored[k] == v for k, v in expected.items())
    pub.close()
    assert cloud2.stop(signal.SIGTERM) == 0


def test_mqtt_311_broker_with_a_plain_subscription(
    mosquitto: Mosquitto, cloud_factory: Callable[..., CloudProcess]
) -> None:
    cloud = cloud_factory(["--broker", f"{mosquitto.url}?protocol=311"]).start()
    pub = Publisher(mosquitto.port)
    pub.send([birth("shed-b", 0, {("post-1", 1): S.FREE}), status("shed-b", 1, "post-1", 1, S.PLUGGED)])
    wait_for(lambda: (s := _shed(cloud, "shed-b")) and s["plugged"] == 1, what="shed-b plugged")
    pub.close()
    assert cloud.stop() == 0
