"""Configuration through the API: community settings, rota, alert channels, shed inventory and thresholds.

Community documents (``config.community``, ``config.rota``, ``config.channels``) are saved as new versions in
``config_docs`` (migration 0006) and take effect in the alarm service at once in this process, within
``inventory_refresh_s`` in others; the alarm TOML stays the seed they override (cloud.alarms.config_docs).
A save that would leave a shift naming an unknown person or a role outside its chain is refused (422).
Inventory imports go through the same validation as ``shedwatch cloud inventory import``.
"""

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Request
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError

from cloud.alarms.config import AlarmConfig
from cloud.alarms.config_docs import ChannelsDoc, CommunitySettings, ConfigConflict, RotaDoc, merge
from cloud.api.alarm_config import current, take
from cloud.api.deps import CloudDep, CloudState
from cloud.api.models_config import (
    ChannelsOut,
    CommunityIn,
    CommunityOut,
    InventoryIn,
    InventoryOut,
    RotaOut,
    ShedConfigOut,
    ThresholdsOut,
)
from cloud.api.principal import PrincipalDep
from cloud.api.responses import STAFF_ERRORS
from cloud.api.scope import audited, in_community, in_shed
from cloud.core.access.permissions import Action
from cloud.core.access.roles import Principal
from cloud.errors import StoreError
from cloud.state import config_docs
from cloud.state.config_docs import DocKind
from cloud.state.dialect import upsert_insert
from cloud.state.schema import communities
from cloud.state.staff_rows import shed_community
from protocol.config import Thresholds
from protocol.ids import ID_PATTERN
from protocol.shedfile import ShedFileError, parse_shed_document

router = APIRouter(tags=["staff: configuration"], responses=STAFF_ERRORS)
CommunityId = Annotated[str, Path(min_length=1, max_length=100)]
ShedId = Annotated[str, Path(pattern=ID_PATTERN)]


def _version(cloud: CloudState, community: str, kind: DocKind) -> int:
    with cloud.stores.state.engine.connect() as conn:
        doc = config_docs.newest(conn, community).get((community, kind))
    return doc.version if doc else 0


def _save(
    cloud: CloudState, user: Principal, community: str, kind: DocKind, doc: BaseModel, extra: dict[str, str] | None
) -> AlarmConfig:
    """Check the document against everything else in force, save it as the next version, apply it here."""
    body = doc.model_dump(mode="json")
    try:
        merged = _save_checked(cloud, user, community, kind, body, extra)
    except IntegrityError:  # another save of the same document took this version number first
        raise HTTPException(409, f"the {kind.value} document of {community} was saved concurrently; retry") from None
    take(cloud, merged)
    return merged


def _save_checked(
    cloud: CloudState,
    user: Principal,
    community: str,
    kind: DocKind,
    body: dict[str, object],
    extra: dict[str, str] | None,
) -> AlarmConfig:
    """In one transaction: the configuration in force with ``body``, checked (422 on a conflict), then stored."""
    with cloud.stores.state.engine.begin() as conn:
        docs = {key: d.body for key, d in config_docs.newest(conn).items()}
        docs[(community, kind)] = body
        try:
            merged = merge(cloud.alarm_seed, docs)
        except ConfigConflict as exc:
            raise HTTPException(422, str(exc)) from None
        config_docs.save(conn, community, kind, body, actor=user.user_id, now_ms=cloud.clock.now_ms())
        if extra is not None:  # the display name lives with the community's inventory row
            conn.execute(
                upsert_insert(conn)(communities)
                .values(community=community, **extra)
                .on_conflict_do_update(index_elements=["community"], set_=extra)
            )
    return merged


def _community_name(cloud: CloudState, community: str) -> str:
    with cloud.stores.state.engine.connect() as conn:
        name = conn.execute(communities.select().where(communities.c.community == community)).first()
    return str(name.name) if name else ""


def _community_out(cloud: CloudState, community: str, config: AlarmConfig) -> CommunityOut:
    entry = config.community_of(community)
    settings = CommunitySettings(tz=entry.tz, ack_s=entry.ack_s, onsite_s=entry.onsite_s, crowded=entry.crowded)
    return CommunityOut(
        community=community,
        name=_community_name(cloud, community),
        version=_version(cloud, community, DocKind.COMMUNITY),
        **settings.model_dump(),
    )


@router.get("/api/v1/config/communities/{community}")
def get_community(cloud: CloudDep, principal: PrincipalDep, community: CommunityId) -> CommunityOut:
    """The community's settings in force (``inventory.read``)."""
    in_community(cloud, principal, Action.INVENTORY_READ, community, community)
    return _community_out(cloud, community, current(cloud))


@router.put("/api/v1/config/communities/{community}")
def put_community(
    cloud: CloudDep, principal: PrincipalDep, request: Request, community: CommunityId, body: CommunityIn
) -> CommunityOut:
    """Set the display name, zone, promise and inspection rhythm (``config.community``)."""
    user = in_community(cloud, principal, Action.CONFIG_COMMUNITY, community, community)
    settings = CommunitySettings.model_validate(body.model_dump(exclude={"name"}))
    merged = audited(
        cloud,
        user,
        Action.CONFIG_COMMUNITY,
        community,
        body.model_dump_json(),
        lambda: _save(cloud, user, community, DocKind.COMMUNITY, settings, {"name": body.name}),
        community=community,
        request=request,
    )
    return _community_out(cloud, community, merged)


def _rota_out(cloud: CloudState, community: str, config: AlarmConfig) -> RotaOut:
    entry = config.community_of(community)
    version = _version(cloud, community, DocKind.ROTA)
    return RotaOut(community=community, version=version, chain=list(entry.chain), shift=list(entry.shift))


@router.get("/api/v1/config/communities/{community}/rota")
def get_rota(cloud: CloudDep, principal: PrincipalDep, community: CommunityId) -> RotaOut:
    """The escalation chain and shifts in force (``config.rota``)."""
    in_community(cloud, principal, Action.CONFIG_ROTA, community, community)
    return _rota_out(cloud, community, current(cloud))


@router.put("/api/v1/config/communities/{community}/rota")
def put_rota(
    cloud: CloudDep, principal: PrincipalDep, request: Request, community: CommunityId, body: RotaDoc
) -> RotaOut:
    """Replace the chain and shifts (``config.rota``); every shift must name a known person and a chain role."""
    user = in_community(cloud, principal, Action.CONFIG_ROTA, community, community)
    merged = audited(
        cloud,
        user,
        Action.CONFIG_ROTA,
        community,
        f"rota: {len(body.shift)} shifts, chain {body.chain}",
        lambda: _save(cloud, user, community, DocKind.ROTA, body, None),
        community=community,
        request=request,
    )
    return _rota_out(cloud, community, merged)


def _channels_out(cloud: CloudState, community: str, config: AlarmConfig) -> ChannelsOut:
    version = _version(cloud, community, DocKind.CHANNELS)
    if version:
        with cloud.stores.state.engine.connect() as conn:
            doc = config_docs.newest(conn, community)[(community, DocKind.CHANNELS)]
        people = ChannelsDoc.model_validate(doc.body).person
    else:  # from the file: the people its shifts name
        named = {s.person for s in config.community_of(community).shift}
        people = [p for p in config.person if p.id in named]
    return ChannelsOut(community=community, version=version, person=list(people))


@router.get("/api/v1/config/communities/{community}/channels")
def get_channels(cloud: CloudDep, principal: PrincipalDep, community: CommunityId) -> ChannelsOut:
    """The community's people and their alert targets (``config.channels``)."""
    in_community(cloud, principal, Action.CONFIG_CHANNELS, community, community)
    return _channels_out(cloud, community, current(cloud))


@router.put("/api/v1/config/communities/{community}/channels")
def put_channels(
    cloud: CloudDep, principal: PrincipalDep, request: Request, community: CommunityId, body: ChannelsDoc
) -> ChannelsOut:
    """Replace the community's people and targets (``config.channels``); a person id another community's document
    defines, or dropping a person a shift still names, is refused (422)."""
    user = in_community(cloud, principal, Action.CONFIG_CHANNELS, community, community)
    ids = ", ".join(p.id for p in body.person)
    merged = audited(
        cloud,
        user,
        Action.CONFIG_CHANNELS,
        community,
        f"people: {ids}",  # the targets carry secrets: never in the audit
        lambda: _save(cloud, user, community, DocKind.CHANNELS, body, None),
        community=community,
        request=request,
    )
    return _channels_out(cloud, community, merged)


@router.post("/api/v1/config/inventory")
def import_inventory(cloud: CloudDep, principal: PrincipalDep, request: Request, body: InventoryIn) -> InventoryOut:
    """Import a shed (``config.inventory`` in its community, and in its current one when it moves)."""
    try:
        parsed = parse_shed_document(body.model_dump(), where="inventory")
    except ShedFileError as exc:
        raise HTTPException(422, str(exc)) from None
    config = parsed.shed
    target = f"{config.shed} v{config.version}"
    user = in_community(cloud, principal, Action.CONFIG_INVENTORY, config.community, target)
    with cloud.stores.state.engine.connect() as conn:
        before = shed_community(conn, config.shed)
    if before is not None and before != config.community:
        in_community(cloud, principal, Action.CONFIG_INVENTORY, before, target)

    def store() -> int:
        try:
            return cloud.stores.state.import_inventory(
                config, actor=user.user_id, now_ms=cloud.clock.now_ms(), cameras=parsed.cameras
            )
        except StoreError as exc:
            raise HTTPException(503, str(exc)) from None

    detail = f"community {config.community}"
    version = audited(
        cloud, user, Action.CONFIG_INVENTORY, target, detail, store, community=config.community, request=request
    )
    return InventoryOut(shed=config.shed, community=config.community, version=version, cameras=len(parsed.cameras))


@router.get("/api/v1/config/sheds/{shed}")
def get_shed_config(cloud: CloudDep, principal: PrincipalDep, shed: ShedId) -> ShedConfigOut:
    """The newest config held for the shed (``inventory.read``); 404 when none was imported."""
    in_shed(cloud, principal, Action.INVENTORY_READ, shed)
    store = cloud.stores.state
    held = store.newest_config(shed)
    if held is None:
        raise HTTPException(404, f"no config held for {shed}")
    return ShedConfigOut(
        config=held, cameras=store.cameras(shed), reported_config_version=store.reported_config_version(shed)
    )


@router.put("/api/v1/config/sheds/{shed}/thresholds")
def put_thresholds(
    cloud: CloudDep, principal: PrincipalDep, request: Request, shed: ShedId, body: Thresholds
) -> ThresholdsOut:
    """Replace the shed's thresholds (``config.thresholds``): a new config version, not yet pushed; push it with
    a ``push_config`` command. Every field is validated as protocol/config.py Thresholds (422 otherwise)."""
    user, community = in_shed(cloud, principal, Action.CONFIG_THRESHOLDS, shed)
    store = cloud.stores.state

    def save() -> int:
        held = store.newest_config(shed)
        if held is None:
            raise HTTPException(404, f"no config held for {shed}: import its inventory first")
        return store.import_inventory(
            held.model_copy(update={"thresholds": body}), actor=user.user_id, now_ms=cloud.clock.now_ms()
        )

    detail = body.model_dump_json(exclude_defaults=True)
    version = audited(cloud, user, Action.CONFIG_THRESHOLDS, shed, detail, save, community=community, request=request)
    return ThresholdsOut(shed=shed, version=version, thresholds=body)
