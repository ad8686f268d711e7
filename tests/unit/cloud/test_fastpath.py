"""The telemetry fast path never accepts what the contract rejects, and gives the contract's values."""

from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cloud.ingest.fastpath import fast_telemetry
from protocol.codec import decode
from protocol.errors import PayloadError
from protocol.topics import Kind

T0 = 1_767_225_600_000

valid_point = st.fixed_dictionaries(
    {
        "ts": st.integers(T0, T0 + 10**9),
        "device": st.sampled_from(["post-1", "env-1", "P.2_x"]),
        "fields": st.dictionaries(
            st.sampled_from(["power_w", "temp_c", "current_a", "v"]),
            st.floats(-1e9, 1e9, allow_nan=False),
            min_size=1,
            max_size=4,
        ),
    },
    optional={"socket": st.one_of(st.none(), st.integers(1, 64))},
)
valid_batch = st.fixed_dictionaries(
    {
        "v": st.just(1),
        "src": st.just("shed-a"),
        "seq": st.integers(0, 2**63 - 1),
        "ts": st.integers(T0, T0 + 10**9),
        "points": st.lists(valid_point, min_size=1, max_size=5),
    },
)
# Values that break one rule or another (or look alike but are fine for the contract only).
odd = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**64), 2**64),
    st.floats(),
    st.text(max_size=5),
    st.just("post-1\n"),
    st.just("Power"),
    st.just(0),
    st.just(65),
    st.just(10**13),
    st.just([]),
    st.just({}),
)


@st.composite
def mutated(draw: st.DrawFn) -> dict[str, Any]:
    d = draw(valid_batch)
    where = draw(st.sampled_from(["batch", "point", "fields", "none"]))
    if where == "batch":
        key = draw(st.sampled_from(["v", "src", "seq", "ts", "points", "extra"]))
        if draw(st.booleans()):
            d.pop(key, None)  # a missing field (v too: required on the wire)
        else:
            d[key] = draw(odd)
    elif where == "point":
        d["points"][0][draw(st.sampled_from(["ts", "device", "socket", "fields", "extra"]))] = draw(odd)
    elif where == "fields":
        d["points"][0]["fields"][draw(st.sampled_from(["power_w", "Bad", "x" * 33, "ok_1"]))] = draw(odd)
    return d


def values(b: Any) -> tuple[object, ...]:
    return (b.v, b.src, b.seq, b.ts, [(p.ts, p.device, p.socket, dict(p.fields)) for p in b.points])


def contract(payload: bytes) -> Any:
    try:
        return values(decode(Kind.EDGE_TELEMETRY, payload))
    except PayloadError:
        return None


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(valid_batch, mutated()))
def test_fast_path_is_sound_against_the_contract(doc: dict[str, Any]) -> None:
    try:
        payload = orjson.dumps(doc)
    except (TypeError, orjson.JSONEncodeError):
        return  # not JSON at all (ints beyond 64 bits): nothing to compare
    fast = fast_telemetry(payload, "shed-a")
    if fast is not None:
        assert contract(payload) == values(fast)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_batch)
def test_fast_path_takes_ordinary_batches(doc: dict[str, Any]) -> None:
    assert fast_telemetry(orjson.dumps(doc), "shed-a") is not None


@pytest.mark.parametrize(
    "payload",
    [b"{", b"[]", b'{"src":"shed-b","seq":1,"ts":1767225600000,"points":[]}', b"\xff\xfe", b"x" * 2_000_000],
)
def test_anything_doubtful_goes_to_the_contract(payload: bytes) -> None:
    assert fast_telemetry(payload, "shed-a") is None
