"""The alarm configuration in force in this process: the TOML seed plus the newest API-edited documents.

The alarm runner takes it at start, and again whenever a document is saved (here at once, from another
process within ``inventory_refresh_s``), so a rota edited through the API pages the right people next pass.
"""

import asyncio
import logging

from cloud.alarms.config import AlarmConfig
from cloud.alarms.config_docs import ConfigConflict, merge
from cloud.api.deps import CloudState
from cloud.state import config_docs
from cloud.state.store import StateStore

log = logging.getLogger(__name__)


def in_force(store: StateStore, seed: AlarmConfig) -> AlarmConfig:
    """The seed with every community's newest documents; raises ConfigConflict when they cannot work together."""
    with store.engine.connect() as conn:
        docs = config_docs.newest(conn)
    return merge(seed, {key: doc.body for key, doc in docs.items()})


def at_start(store: StateStore, seed: AlarmConfig) -> AlarmConfig:
    """What a starting process uses: in force, or the seed alone (logged) when the stored documents conflict."""
    try:
        return in_force(store, seed)
    except ConfigConflict as exc:
        log.error("stored alarm configuration documents conflict (%s): using the file alone", exc)
        return seed


def current(cloud: CloudState) -> AlarmConfig:
    """The configuration this process pages by (read from the store when no alarm runner runs here)."""
    if cloud.alarms is not None:
        return cloud.alarms.service.config
    return at_start(cloud.stores.state, cloud.alarm_seed)


def take(cloud: CloudState, config: AlarmConfig) -> None:
    """Hand a new configuration to this process's alarm service (the notifier keeps its rate limits)."""
    if cloud.alarms is not None:
        cloud.alarms.service.config = config
        cloud.alarms.wake()


async def follow(cloud: CloudState) -> None:
    """Take documents another process saved; a conflicting set is logged and the last good one kept."""
    with cloud.stores.state.engine.connect() as conn:
        seen = config_docs.generation(conn)  # what this process started with
    while True:
        await asyncio.sleep(cloud.settings.inventory_refresh_s)
        try:
            with cloud.stores.state.engine.connect() as conn:
                now = config_docs.generation(conn)
            if now != seen:
                take(cloud, await asyncio.to_thread(in_force, cloud.stores.state, cloud.alarm_seed))
                seen = now
        except ConfigConflict as exc:
            log.error("alarm configuration documents conflict (%s); keeping the last good one", exc)
            seen = now
        except Exception:
            log.exception("alarm configuration refresh failed; keeping the last one")
