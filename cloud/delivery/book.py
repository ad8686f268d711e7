"""Every shed's stream, fed from committed ingest batches, read by the ack publisher and /healthz.

Thread-safe (the ingest writer feeds it, the network thread recovers retained acks, the API
reads it); no I/O: what to publish comes back as (shed, Ack) pairs for the caller to send.
"""

import threading
from collections.abc import Iterable

from cloud.core.batch import Batch
from cloud.delivery.ranges import Range, count
from cloud.delivery.tracker import Ack, DeliveryTimings, ShedStream
from protocol.uplink import StoredAck


class DeliveryBook:
    """Shed id -> ShedStream, plus the reject counts each edge last reported."""

    def __init__(self, timings: DeliveryTimings | None = None) -> None:
        self.timings = timings or DeliveryTimings()
        self._streams: dict[str, ShedStream] = {}
        self._edge_rejects: dict[str, dict[str, int]] = {}
        self._lock = threading.Lock()

    def _stream(self, shed: str) -> ShedStream:
        stream = self._streams.get(shed)
        if stream is None:
            stream = self._streams[shed] = ShedStream()
        return stream

    def committed(self, batch: Batch) -> set[str]:
        """Take what a committed batch holds: stored stream seqs and announced last seqs; returns the sheds."""
        seqs: dict[str, list[int]] = {}
        for msg, _rx in (*batch.telemetry, *batch.events, *batch.results):
            seqs.setdefault(msg.src, []).append(msg.seq)
        with self._lock:
            for shed, stored in seqs.items():
                self._stream(shed).stored(stored)
            for state, _rx in batch.states:
                if state.state == "birth":
                    self._stream(state.src).announce(state.seq, state.oldest_seq)
                self._stream(state.src).heard_session(state.session)
            for hb, _rx in batch.heartbeats:
                self._stream(hb.src).announce(hb.seq, hb.oldest_seq)
                self._stream(hb.src).heard_session(hb.session)
                self._edge_rejects[hb.src] = {f"{r.reason}/{r.topic}": r.count for r in hb.rejects}
        return set(seqs) | {s.src for s, _ in batch.states} | {h.src for h, _ in batch.heartbeats}

    def drop_held(self, batch: Batch) -> int:
        """Remove from ``batch`` every stream message whose (src, seq) is already stored, whatever its kind.

        The stores' keys catch a repeat of the same kind; a telemetry batch and an event with one
        (src, seq) would each pass their own table's key, though the contract says a seq is one message.
        Returns how many were removed (also added to ``batch.duplicates``).
        """
        with self._lock:
            streams = self._streams

            def fresh(src: str, seq: int) -> bool:
                stream = streams.get(src)
                return stream is None or not stream.holds(seq)

            before = len(batch.telemetry) + len(batch.events) + len(batch.results)
            batch.telemetry = [(m, rx) for m, rx in batch.telemetry if fresh(m.src, m.seq)]
            batch.events = [(m, rx) for m, rx in batch.events if fresh(m.src, m.seq)]
            batch.results = [(m, rx) for m, rx in batch.results if fresh(m.src, m.seq)]
            dropped = before - len(batch.telemetry) - len(batch.events) - len(batch.results)
        batch.duplicates += dropped
        return dropped

    def recover(self, ack: StoredAck) -> None:
        """Read back an acknowledgement published before this process started (retained on the broker)."""
        with self._lock:
            self._stream(ack.shed).recover(ack.stored_seq, [(r.first, r.last) for r in ack.lost], ack.edge_session)

    def due(self, now: int, sheds: Iterable[str] | None = None) -> list[tuple[str, Ack]]:
        """The acknowledgements to publish now (of ``sheds``, or of every shed)."""
        with self._lock:
            names = list(self._streams) if sheds is None else [s for s in sheds if s in self._streams]
            out = []
            for shed in names:
                ack = self._streams[shed].decide(now, self.timings)
                if ack is not None:
                    out.append((shed, ack))
            return out

    def snapshot(self) -> dict[str, object]:
        """JSON-ready view for /healthz: per shed the watermark, open and lost seqs, and the edge's rejects."""
        with self._lock:
            sheds: dict[str, object] = {}
            for shed, s in sorted(self._streams.items()):
                missing = s.missing()
                sheds[shed] = {
                    "stored_seq": s.stored_through,
                    "announced_seq": s.announced,
                    "missing": count(missing),
                    "missing_ranges": _ranges(missing[:20]),
                    "lost": s.lost_count(),
                    "lost_ranges": _ranges(s.lost[-20:]),
                    "edge_rejects": dict(self._edge_rejects.get(shed, {})),
                }
            return {
                "sheds": sheds,
                "missing": sum(int(v["missing"]) for v in sheds.values() if isinstance(v, dict)),
                "lost": sum(int(v["lost"]) for v in sheds.values() if isinstance(v, dict)),
            }


def _ranges(ranges: list[Range]) -> list[list[int]]:
    return [[a, b] for a, b in ranges]
