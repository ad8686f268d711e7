"""Every reject counted by reason and topic kind; the log keeps the first few, then periodic totals."""

import logging

import pytest

from edge.rejects import RejectLog, topic_kind


def test_counts_by_reason_and_topic(caplog: pytest.LogCaptureFixture) -> None:
    rl = RejectLog(first_logged=2, totals_every_s=60)
    caplog.set_level(logging.WARNING, "shedwatch.edge.rejects")
    for i in range(10):
        rl.reject("malformed_json", "sw/v1/shed/shed-a/dev/post-1/telemetry", "bad", float(i))
    rl.reject("foreign_shed", "sw/v1/cloud/shed-b/command", "not ours", 10.0)
    rl.reject("bad_topic", "nonsense", "x", 11.0)
    assert rl.totals() == [
        ("bad_topic", "unparsed", 1),
        ("foreign_shed", "cloud/command", 1),
        ("malformed_json", "telemetry", 10),
    ]
    full = [r for r in caplog.records if "rejected message on" in r.getMessage()]
    assert [r.getMessage().split("(")[1].split(",")[0] for r in full] == [
        "malformed_json",
        "malformed_json",
        "foreign_shed",
        "bad_topic",
    ]
    rl.periodic_totals(61.0)
    totals = [r.getMessage() for r in caplog.records if "in the last" in r.getMessage()]
    assert totals[-1].endswith("bad_topic=1, foreign_shed=1, malformed_json=9"), totals


def test_topic_kind() -> None:
    assert topic_kind("sw/v1/shed/s/dev/d/environment") == "environment"
    assert topic_kind("sw/v1/edge/s/x") == "unparsed"
