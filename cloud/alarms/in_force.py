"""The alarm configuration in force and the links' base address: one assembly for the running cloud and for
the command line, so both page the same people through the same targets and sign links to the same address.

The configuration is the TOML seed with the newest API-saved documents of each community on top
(cloud.alarms.config_docs); links point at the TOML's ``[links] base_url``, else at ``http://HOST:PORT`` of the
cloud's settings.
"""

import logging

from cloud.alarms.config import AlarmConfig, own_base_url
from cloud.alarms.config_docs import ConfigConflict, merge
from cloud.settings import CloudSettings
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


def default_base_url(settings: CloudSettings) -> str:
    """Where links point when the alarm TOML names no ``[links] base_url``: this cloud's own HOST:PORT."""
    return own_base_url(settings.host, settings.port)
