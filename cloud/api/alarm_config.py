"""The alarm configuration in force in this process: the TOML seed plus the newest API-edited documents.

The alarm runner takes it at start, and again whenever a document is saved (here at once, from another
process within ``inventory_refresh_s``), so a rota edited through the API pages the right people next pass.
"""

import asyncio
import logging

from cloud.alarms.config import AlarmConfig
from cloud.alarms.config_docs import ConfigConflict
from cloud.alarms.in_force import at_start, in_force
from cloud.api.deps import CloudState
from cloud.state import config_docs

log = logging.getLogger(__name__)


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
