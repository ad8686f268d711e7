"""Keep open streams authorised: every ``STREAM_RECHECK_S`` one task re-reads the accounts behind them.

One timer for all clients (never a check per event per client): each tick reads every distinct account with an
open stream in one query (off the event loop), and ends the streams whose account is disabled, removed or no
longer what it was when the stream opened (cloud.stream.standing). A failed read ends nothing (counted, logged):
the next tick tries again, and a credential's own expiry ends its stream regardless (a timer per client, in the
route).
"""

import asyncio
import logging
from collections.abc import Callable, Collection, Mapping

from sqlalchemy import Engine

from cloud.auth.errors import AccountError
from cloud.core.access.roles import Principal
from cloud.state import account_rows
from cloud.stream.hub import Hub
from cloud.stream.standing import standing

log = logging.getLogger(__name__)

# Reads the current principal of each user id asked for; a user missing from the answer is disabled or gone.
Lookup = Callable[[Collection[str]], Mapping[str, Principal]]


def store_lookup(engine: Engine) -> Lookup:
    """Lookup over the state store's accounts (blocking: run it in a thread)."""

    def lookup(user_ids: Collection[str]) -> dict[str, Principal]:
        with engine.connect() as conn:
            found = account_rows.by_ids(conn, user_ids)
        current: dict[str, Principal] = {}
        for user_id, user in found.items():
            if user.disabled:
                continue
            try:
                current[user_id] = user.principal()
            except AccountError:  # left without a community: cannot log in, so cannot keep reading
                continue
        return current

    return lookup


class Recheck:
    """The recheck of one hub's clients; ``errors`` counts failed reads."""

    def __init__(self, hub: Hub, lookup: Lookup) -> None:
        self.hub = hub
        self.lookup = lookup
        self.errors = 0

    async def once(self) -> None:
        """Read the accounts of every logged-in client once and end the streams that no longer stand."""
        clients = [c for c in tuple(self.hub.clients) if c.scope.principal is not None]
        if not clients:
            return
        ids = {c.scope.principal.user_id for c in clients if c.scope.principal is not None}
        try:
            current = await asyncio.to_thread(self.lookup, ids)
        except Exception:
            self.errors += 1
            log.exception("stream: reading the accounts of open streams failed; trying again next tick")
            return
        for client in clients:
            opened = client.scope.principal
            assert opened is not None
            reason = standing(opened, current.get(opened.user_id))
            if reason is not None:
                self.hub.end(client, reason)  # a client gone meanwhile is left alone (idempotent)

    async def run(self, interval_s: float) -> None:
        """Recheck every ``interval_s`` seconds until cancelled."""
        while True:
            await asyncio.sleep(interval_s)
            await self.once()
