"""A row the broker cannot take never stalls the outbox: thinned to fit, else parked and counted."""

from pathlib import Path

import orjson

from edge.outbox import KIND_EVENT, KIND_TELEMETRY, Outbox
from edge.telemetry import batch_payload
from edge.uplink import Uplink
from protocol.brokerurl import BrokerUrl

TOPIC = "sw/v1/edge/shed-a/telemetry"


def _uplink(box: Outbox) -> Uplink:
    return Uplink(
        url=BrokerUrl.parse("mqtt://127.0.0.1:1"),
        shed="shed-a",
        client_id="edge-shed-a",
        outbox=box,
        snapshot=lambda: (1_800_000_000_000, 0, []),
        on_message=lambda _t, _p: None,
        drain_rate_per_s=100,
        window=10,
        session_expiry_s=60,
    )


def test_oversized_telemetry_is_thinned_in_place_and_an_oversized_event_parked(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.sqlite")
    pts = [
        {"ts": 1_700_000_000_000 + i, "device": "post-1", "socket": 1, "fields": {"power_w": float(i)}}
        for i in range(400)
    ]
    box.stage(pts)
    box.batch_staged(KIND_TELEMETRY, TOPIC, lambda seq, p: batch_payload("shed-a", seq, 1_700_000_000_000, p))
    box.add(KIND_EVENT, "sw/v1/edge/shed-a/event", lambda seq: b"x" * 5000)
    up = _uplink(box)
    up.max_packet = 2_000  # as a CONNACK would say
    rows = box.pending(urgent_after=0, telemetry_after=0, limit=10)
    event, batch = rows[0], rows[1]
    assert up._fitting(event.seq, event.kind, event.topic, event.payload) is None
    fitted = up._fitting(batch.seq, batch.kind, batch.topic, batch.payload)
    assert fitted is not None and len(fitted) <= up.payload_limit(TOPIC)
    assert len(orjson.loads(fitted)["points"]) == 1, "thinned to one mean point, same seq"
    assert box.parked() == [
        (event.seq, KIND_EVENT, f"too_large: 5000 bytes > broker limit {up.payload_limit(event.topic)}")
    ]
    assert up.refused["too_large"] == 1
    assert [r.seq for r in box.pending(urgent_after=0, telemetry_after=0, limit=10)] == [batch.seq]
    assert ("too_large", "cloud_uplink", 1) in up._reject_counts()
