"""Judging a device message's (src, seq): new, a replay of one already taken, a device restart, or late.

Devices number every message they send with one per-device ``seq`` (contiguous from 0 at
power-up). The shed broker replays unacknowledged QoS 1 messages to a persistent session,
and a device that missed a PUBACK publishes the same message again: both arrive as the
same (seq, ts) already taken, and must be dropped, not forwarded or judged twice. A device
that restarts numbers from 0 again: its seq goes back but its messages are new (a
different ts for a seq already seen, or a seq below everything remembered), so they are
taken and the track restarts from them. A seq below the newest but not yet seen is a late
message (delivered out of order after a reconnect): taken, and counted.

Pure: no clock, no I/O. Memory is bounded: ``window`` seqs per device.
"""

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Literal

Verdict = Literal["new", "replay", "restart", "late"]
WINDOW = 512  # seqs remembered per device: more than a post sends in the seconds a reconnect takes


@dataclass(slots=True)
class SeqTrack:
    """What one device sent lately: seq -> ts of the newest ``window`` messages taken."""

    last: int = -1
    newest_ts: int = 0
    seen: OrderedDict[int, int] = field(default_factory=OrderedDict)


def judge(track: SeqTrack, seq: int, ts: int, *, window: int = WINDOW) -> Verdict:
    """Classify one message and update ``track`` (a replay leaves it unchanged).

    ``seq`` is the device's sequence number, ``ts`` its source time (epoch ms).
    """
    known_ts = track.seen.get(seq)
    if known_ts is not None:
        if known_ts == ts:
            return "replay"
        verdict: Verdict = "restart"  # the same seq with another time: the device numbers afresh
    elif seq > track.last:
        verdict = "new"
    elif track.seen and (seq > min(track.seen) or ts < track.newest_ts):
        verdict = "late"  # older than the newest, by seq or by time: delivered out of order
    else:
        verdict = "restart"  # below everything remembered and not older: a device that started again from 0
    if verdict == "restart":
        track.seen.clear()
        track.last = -1
        track.newest_ts = 0
    track.seen[seq] = ts
    track.newest_ts = max(track.newest_ts, ts)
    track.last = max(track.last, seq)
    while len(track.seen) > window:
        track.seen.popitem(last=False)
    return verdict
