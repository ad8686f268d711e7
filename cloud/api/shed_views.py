"""Built shed views (GET /api/v1/sheds/{shed}) kept while fresh, so a control room polling every shed costs a
dict lookup per request instead of four store queries in a worker thread.

A kept view answers while the shed's live state has not changed since it was built (``LiveView.shed_version``: a
socket status or the edge's link shows at once; a request after a change waits for a new build). The rest comes
from the stores (the inventory, inspections and the newest readings) and ages: under ``max_age_s`` (setting
SHEDWATCH_CLOUD_SHED_VIEW_MAX_AGE_S, default ``MAX_AGE_S``) the view answers as it is; up to twice that it still
answers while a rebuild starts behind it, so a busy route never waits for the stores; older, the request waits
for the rebuild. So that part is at most ``2 * max_age_s`` old, and an inspection recorded through this process
drops the shed's view at once. Requests that need a build share it (one thread hop, not one each). Only sheds of
the inventory are kept, so the map is as large as the inventory. Authorisation is not cached: the route decides
it on every request from the view's community.
"""

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)
MAX_AGE_S = 1.0
FRESH, STALE, BUILD = "fresh", "stale", "build"


@dataclass(frozen=True, slots=True)
class ShedView:
    """One shed's encoded answer: ``community`` and ``body`` None when the inventory does not know the shed."""

    community: str | None
    body: bytes | None
    live_version: int  # the shed's live version read before the build started
    built_at: float  # monotonic s at the start of the build (the stores were read after it)


def decide(view: ShedView | None, live_version: int, now: float, max_age_s: float) -> str:
    """What a request for the shed gets: ``FRESH`` the kept view; ``STALE`` the kept view while a rebuild starts
    behind it; ``BUILD`` a new view, waiting for it (none kept, the shed's live state moved, or too old)."""
    if view is None or view.live_version != live_version:
        return BUILD
    age = now - view.built_at
    return FRESH if age < max_age_s else STALE if age < 2 * max_age_s else BUILD


class ShedViews:
    """The kept views of one process and the builds in flight."""

    def __init__(
        self,
        build: Callable[[str], tuple[str, bytes] | None],
        live_version: Callable[[str], int],
        *,
        max_age_s: float = MAX_AGE_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._build = build  # blocking: runs in a worker thread
        self._live_version = live_version
        self._max_age_s = max_age_s
        self._clock = clock
        self._kept: dict[str, ShedView] = {}
        # shed -> ((live version, forgets) the build started at, the build)
        self._building: dict[str, tuple[tuple[int, int], asyncio.Future[ShedView]]] = {}
        self._forgets = 0
        self.builds = 0  # how many times the stores were read (tests, metrics)

    async def get(self, shed: str) -> ShedView:
        """The shed's view: the kept one (refreshed behind it when aging), else a build shared with the requests
        waiting for it."""
        version = self._live_version(shed)
        kept = self._kept.get(shed)
        what = decide(kept, version, self._clock(), self._max_age_s)
        if kept is not None and what != BUILD:
            if what == STALE:
                self._start(shed, version)
            return kept
        # shield: one caller going away (a closed connection) must not cancel the build the others wait for.
        return await asyncio.shield(self._start(shed, version))

    async def settled(self, shed: str) -> None:
        """Wait for the shed's build in flight, if any (a refresh started behind an answer)."""
        pending = self._building.get(shed)
        if pending is not None:
            await asyncio.shield(pending[1])

    def _start(self, shed: str, version: int) -> "asyncio.Future[ShedView]":
        key = (version, self._forgets)
        pending = self._building.get(shed)
        if pending is None or pending[0] != key:  # a build of an older state does not answer this request
            pending = (key, asyncio.ensure_future(self._built(shed, key)))
            pending[1].add_done_callback(_log_failure)
            self._building[shed] = pending
        return pending[1]

    async def _built(self, shed: str, key: tuple[int, int]) -> ShedView:
        started = self._clock()
        try:
            self.builds += 1
            found = await asyncio.to_thread(self._build, shed)
        finally:
            pending = self._building.get(shed)
            if pending is not None and pending[0] == key:
                del self._building[shed]
        if found is None:  # not (or no longer) in the inventory: nothing to keep, and nothing kept to answer
            self._kept.pop(shed, None)
            return ShedView(None, None, key[0], started)
        view = ShedView(*found, key[0], started)
        kept = self._kept.get(shed)
        # Keep it unless something was forgotten meanwhile (it may show that) or a newer build is kept already.
        if key[1] == self._forgets and (kept is None or kept.live_version <= key[0]):
            self._kept[shed] = view
        return view

    def forget(self, shed: str) -> None:
        """Drop the shed's kept view (this process changed something it shows); builds in flight are not kept."""
        self._forgets += 1
        self._kept.pop(shed, None)


def _log_failure(build: "asyncio.Future[ShedView]") -> None:
    # A refresh nobody waits for would fail unseen (the next request tries again, and gets the error if it waits).
    if not build.cancelled() and build.exception() is not None:
        log.warning("building a shed view failed: %s", build.exception())
