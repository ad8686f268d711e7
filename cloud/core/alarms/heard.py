"""What the cloud has heard of each device lately, for `device_silent` and `post_over_limit_long` (pure).

Healthy devices speak only in telemetry (readings, not events), and the telemetry history is far too large to
scan every tick. So ingest keeps, per shed, one small record per device (when a reading of it was last stored)
and per post (its newest total power and since when it has been above its limit), updated batch by batch; the
leader reads it on its timer tick. Times here are the caller's monotonic ms (the cloud's receipt, never a
device's or the edge's clock): durations are judged only on a clock that never steps. ``seen_ms`` and
``over_since_ms`` turn them into the epoch-ms facts ``cloud.core.alarms.rules`` judges, as "now minus the
monotonic age", so a wall clock that steps moves nothing.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from cloud.core.rows import PointLike

TOTAL_FIELD = "total_power_w"  # a post's own total (the post-level point, socket None)
SOCKET_FIELD = "power_w"  # one socket's power (socket points)


@dataclass(slots=True)
class PostRun:
    """One post's newest total power, the device time of that reading, and since when (monotonic ms) every
    reading taken has been above the limit (None: the newest was not)."""

    watts: float
    newest_ts: int
    over_since: int | None = None


@dataclass(slots=True)
class ShedHeard:
    """One shed: device -> monotonic ms its newest reading was stored; post -> its power run."""

    devices: dict[str, int] = field(default_factory=dict)
    posts: dict[str, PostRun] = field(default_factory=dict)


def post_totals(points: Sequence[PointLike]) -> dict[str, list[tuple[int, float]]]:
    """Each post's total per reading, oldest first: the larger of its own total and the sum of its sockets
    (as the edge judges its hard limit, edge/post_rules.py), keyed by the reading's device time."""
    own: dict[tuple[str, int], float] = {}
    summed: dict[tuple[str, int], float] = {}
    for p in points:
        if p.socket is None:
            total = p.fields.get(TOTAL_FIELD)
            if total is not None:
                own[(p.device, p.ts)] = total
        else:
            watts = p.fields.get(SOCKET_FIELD)
            if watts is not None:
                key = (p.device, p.ts)
                summed[key] = summed.get(key, 0.0) + watts
    out: dict[str, list[tuple[int, float]]] = {}
    for key in own.keys() | summed.keys():
        out.setdefault(key[0], []).append((key[1], max(own.get(key, 0.0), summed.get(key, 0.0))))
    for readings in out.values():
        readings.sort()
    return out


def observe(heard: ShedHeard, points: Sequence[PointLike], at: int, limit_w: float) -> None:
    """Take one stored telemetry batch of the shed, stored at monotonic ``at``.

    Every device in it was heard at ``at``. A post's run above ``limit_w`` continues while each newer reading
    is above it and restarts at ``at`` after one that is not; a reading older than the newest taken (a late or
    redelivered batch) changes no run.
    """
    last = ""
    devices = heard.devices
    for p in points:
        if p.device != last:  # a post's socket points come together: one dict write per device, mostly
            devices[p.device] = at
            last = p.device
    for post, readings in post_totals(points).items():
        run = heard.posts.get(post)
        for ts, watts in readings:
            if run is None:
                run = PostRun(watts, ts, at if watts > limit_w else None)
                heard.posts[post] = run
                continue
            if ts < run.newest_ts:
                continue
            run.watts, run.newest_ts = watts, ts
            if watts <= limit_w:
                run.over_since = None
            elif run.over_since is None:
                run.over_since = at


def seen_ms(heard: ShedHeard, devices: Iterable[str], now_ms: int, mono: int, since_mono: int) -> dict[str, int]:
    """``device_seen_ms`` for the rules: each device's last hearing as epoch ms, counted from ``since_mono`` at
    the earliest (the process's start or the edge's return: a device is not silent because the cloud or its
    edge was away; it gets the rule's whole window from then)."""
    return {d: now_ms - (mono - max(heard.devices.get(d, since_mono), since_mono)) for d in devices}


def over_since_ms(heard: ShedHeard, now_ms: int, mono: int, fresh_ms: int) -> dict[str, int]:
    """``post_over_since_ms`` for the rules: posts above their limit since when, as epoch ms. Only posts heard
    within ``fresh_ms``: a silent post's last reading says nothing of now (``device_silent`` speaks for it)."""
    return {
        post: now_ms - (mono - run.over_since)
        for post, run in heard.posts.items()
        if run.over_since is not None and mono - heard.devices.get(post, run.over_since) < fresh_ms
    }


def over_watts(heard: ShedHeard, posts: Iterable[str]) -> dict[str, float]:
    """The newest total power (W) of each of ``posts`` heard (for the alarm's value and message)."""
    return {p: heard.posts[p].watts for p in posts if p in heard.posts}


def prune(heard: ShedHeard, keep: set[str]) -> int:
    """Forget every device and post outside ``keep`` (the shed's inventory); how many were forgotten.

    Ingest may take readings of devices the inventory does not name (a lax registry): the rules never ask for
    them, and an edge inventing ids must not grow the record without bound.
    """
    gone = [d for d in heard.devices if d not in keep]
    for device in gone:
        del heard.devices[device]
        heard.posts.pop(device, None)
    for post in [p for p in heard.posts if p not in keep]:
        del heard.posts[post]
    return len(gone)
