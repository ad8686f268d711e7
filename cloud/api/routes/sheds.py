"""GET /api/v1/sheds and /api/v1/sheds/{shed}: the staff's live inventory (``inventory.read``)."""

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path

from cloud.api.deps import CloudDep, CloudState
from cloud.api.models_inventory import DeviceOut, PostOut, ShedDetail, ShedList, ShedSummary, SocketOut
from cloud.api.principal import PrincipalDep
from cloud.api.scope import in_shed, visible
from cloud.core.access.permissions import Action
from cloud.core.live import ShedLive
from cloud.state import staff_rows
from cloud.telemetry.base import Resolution, SeriesKey
from protocol.ids import ID_PATTERN

router = APIRouter(tags=["staff: inventory"])
READING_WINDOW_MS = 120_000  # a socket's power / temperature: its newest reading this recent, else null


def _summary(row: staff_rows.ShedRow, live: ShedLive | None) -> ShedSummary:
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


@router.get("/api/v1/sheds")
def list_sheds(cloud: CloudDep, principal: PrincipalDep) -> ShedList:
    """The sheds of the caller's communities with their edge's link and config versions."""
    communities = visible(principal, Action.INVENTORY_READ)
    with cloud.stores.state.engine.connect() as conn:
        rows = staff_rows.shed_list(conn, communities)
    return ShedList(sheds=[_summary(r, cloud.live.shed(r.shed)) for r in rows])


def _latest(cloud: CloudState, key: SeriesKey, now: int) -> tuple[float, int] | None:
    samples = cloud.stores.telemetry.query(key, now - READING_WINDOW_MS, now + 1, Resolution.RAW)
    return (samples[-1].mean, samples[-1].ts) if samples else None


def _socket(cloud: CloudState, shed: str, post: str, n: int, live: ShedLive | None, now: int) -> SocketOut:
    state = live.sockets.get((post, n)) if live else None
    power = _latest(cloud, SeriesKey(shed, post, "power_w", n), now)
    temp = _latest(cloud, SeriesKey(shed, post, "temp_c", n), now)
    stamps = [x[1] for x in (power, temp) if x is not None]
    return SocketOut(
        socket=n,
        status=state.status if state else None,
        seq=state.seq if state else None,
        ts=state.ts if state else None,
        power_w=power[0] if power else None,
        temp_c=temp[0] if temp else None,
        reading_ts=max(stamps) if stamps else None,
    )


@router.get("/api/v1/sheds/{shed}")
def shed_detail(cloud: CloudDep, principal: PrincipalDep, shed: Annotated[str, Path(pattern=ID_PATTERN)]) -> ShedDetail:
    """One shed: posts with every socket's live status and newest readings, and its other devices."""
    in_shed(cloud, principal, Action.INVENTORY_READ, shed)
    with cloud.stores.state.engine.connect() as conn:
        inv = staff_rows.shed_inventory(conn, shed)
    if inv is None:
        raise HTTPException(404, f"no shed {shed}")
    live = cloud.live.shed(shed)
    # Posts of the inventory, plus any socket the edge reports that the inventory does not list.
    sockets = {post: set(range(1, n + 1)) for post, n in inv.posts}
    for device, n in live.sockets if live else ():
        sockets.setdefault(device, set()).add(n)
    now = cloud.clock.now_ms()
    posts = [
        PostOut(post=post, sockets=[_socket(cloud, shed, post, n, live, now) for n in sorted(numbers)])
        for post, numbers in sorted(sockets.items())
    ]
    devices = [DeviceOut(device=d, kind=k) for d, k in inv.devices if k != "post"]
    return ShedDetail(**_summary(inv.shed, live).model_dump(), posts=posts, devices=devices)
