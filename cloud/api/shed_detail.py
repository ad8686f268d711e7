"""Building GET /api/v1/sheds/{shed}'s answer: the inventory and inspections (state store), the live state (this
process) and each socket's newest readings (telemetry store). Blocking I/O: call it off the event loop."""

import orjson

from cloud.api.deps import CloudState
from cloud.api.models_inventory import DeviceOut, PostOut, ShedDetail, ShedSummary, SocketOut
from cloud.core.live import ShedLive
from cloud.state import staff_rows
from cloud.telemetry.base import Resolution, SeriesKey

READING_WINDOW_MS = 120_000  # a socket's power / temperature: its newest reading this recent, else null

Readings = dict[tuple[str, int | None], tuple[int, dict[str, float]]]


def summary(row: staff_rows.ShedRow, live: ShedLive | None) -> ShedSummary:
    """One shed as the staff list shows it."""
    return ShedSummary(
        shed=row.shed,
        community=row.community,
        name=row.name,
        registered=row.registered,
        edge_online=live.online if live else False,
        last_seen_ms=live.last_seen_ms if live else 0,
        updated_ts=live.updated_ts if live else 0,
        sockets=len(live.sockets) if live else 0,
        config_version=row.config_version,
        reported_config_version=row.reported_config_version,
    )


def _readings(cloud: CloudState, shed: str, sockets: dict[str, set[int]], now: int) -> Readings:
    """The newest reading of each socket within the window: one statement where the store offers it (SQLite),
    else one query per field and socket."""
    since = now - READING_WINDOW_MS
    latest = getattr(cloud.stores.telemetry, "latest", None)
    if latest is not None:
        found: Readings = latest(shed, since)
        return found
    out: Readings = {}
    for post, numbers in sockets.items():
        for n in numbers:
            for field in ("power_w", "temp_c"):
                samples = cloud.stores.telemetry.query(SeriesKey(shed, post, field, n), since, now + 1, Resolution.RAW)
                if samples:
                    ts, fields = out.get((post, n), (0, {}))
                    out[(post, n)] = (max(ts, samples[-1].ts), {**fields, field: samples[-1].mean})
    return out


def _socket(post: str, n: int, live: ShedLive | None, readings: Readings) -> SocketOut:
    state = live.sockets.get((post, n)) if live else None
    heard = state if state is not None and state.seq >= 0 else None  # seq -1: only a stop heard yet
    stop = state.stop if state else None
    ts, fields = readings.get((post, n), (None, {}))
    return SocketOut(
        socket=n,
        status=heard.status if heard else None,
        seq=heard.seq if heard else None,
        ts=heard.ts if heard else None,
        power_w=fields.get("power_w"),
        temp_c=fields.get("temp_c"),
        reading_ts=ts,
        stopped=stop is not None,
        stopped_by=stop.actor if stop else None,
        stopped_ts=stop.ts if stop else None,
    )


def build_shed_detail(cloud: CloudState, shed: str) -> tuple[str, bytes] | None:
    """The shed's community and its encoded ShedDetail; None when the inventory does not know the shed."""
    with cloud.stores.state.engine.connect() as conn:
        inv = staff_rows.shed_inventory(conn, shed)
        inspected = staff_rows.last_inspections(conn, shed) if inv is not None else {}
    if inv is None:
        return None
    live = cloud.live.shed(shed)
    # Posts of the inventory, plus any socket the edge reports that the inventory does not list.
    sockets = {post: set(range(1, n + 1)) for post, n in inv.posts}
    for device, n in live.sockets if live else ():
        sockets.setdefault(device, set()).add(n)
    readings = _readings(cloud, shed, sockets, cloud.clock.now_ms())
    posts = [
        PostOut(post=post, sockets=[_socket(post, n, live, readings) for n in sorted(numbers)])
        for post, numbers in sorted(sockets.items())
    ]
    devices = [
        DeviceOut(device=d, kind=k, last_inspection_ms=inspected.get(d) if k == "extinguisher" else None)
        for d, k in inv.devices
        if k != "post"
    ]
    detail = ShedDetail(**summary(inv.shed, live).model_dump(), posts=posts, devices=devices)
    return inv.shed.community, orjson.dumps(detail.model_dump(mode="json"))
