"""Encode and decode-and-validate a 100-socket telemetry batch.

python -m bench.protocol [--quick]
Keys: encode_ms, decode_ms (medians), plus p99s and the payload size.
"""

import platform
import statistics
import time

from bench.common import emit, parser, percentile
from protocol.codec import decode_message, encode
from protocol.examples import telemetry_batch
from protocol.topics import Kind, shed_topic


def main() -> None:
    """Run the benchmark and print its JSON."""
    args = parser(__doc__ or "").parse_args()
    rounds = 300 if args.quick else 5000
    batch = telemetry_batch(100)
    topic = shed_topic(Kind.EDGE_TELEMETRY, batch.src)
    payload = encode(batch)
    for _ in range(50):  # warm up
        decode_message(topic, encode(batch))
    enc: list[float] = []
    dec: list[float] = []
    for _ in range(rounds):
        t0 = time.perf_counter_ns()
        payload = encode(batch)
        t1 = time.perf_counter_ns()
        _t, back = decode_message(topic, payload)
        t2 = time.perf_counter_ns()
        enc.append((t1 - t0) / 1e6)
        dec.append((t2 - t1) / 1e6)
    assert back == batch
    emit(
        {
            "bench": "protocol",
            "points": len(batch.points),
            "payload_bytes": len(payload),
            "rounds": rounds,
            "encode_ms": round(statistics.median(enc), 4),
            "decode_ms": round(statistics.median(dec), 4),
            "encode_p99_ms": round(percentile(enc, 99), 4),
            "decode_p99_ms": round(percentile(dec, 99), 4),
            "python": platform.python_version(),
        }
    )


if __name__ == "__main__":
    main()
