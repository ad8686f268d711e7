"""The kept shed views: kept while the shed's live state is unchanged, refreshed behind the answer once older than
the limit and waited for past twice it; one build for requests that need it together; nothing kept that a forget
may have outdated; unknown sheds never kept."""

import asyncio
import threading

from cloud.api.shed_views import BUILD, FRESH, MAX_AGE_S, STALE, ShedView, ShedViews, decide


def test_decide_by_live_version_then_age() -> None:
    view = ShedView("c1", b"{}", live_version=3, built_at=10.0)
    assert decide(view, 3, 10.0 + MAX_AGE_S - 0.001, MAX_AGE_S) == FRESH
    assert decide(view, 3, 10.0 + MAX_AGE_S, MAX_AGE_S) == STALE
    assert decide(view, 3, 10.0 + 2 * MAX_AGE_S, MAX_AGE_S) == BUILD
    assert decide(view, 4, 10.0, MAX_AGE_S) == BUILD
    assert decide(None, 3, 10.0, MAX_AGE_S) == BUILD
    assert decide(view, 3, 10.0, 0.0) == BUILD  # max age 0: built for every request


class _Inventory:
    """A build that counts its calls and can be held (a slow store), returning the shed's community and a body
    naming the call."""

    def __init__(self) -> None:
        self.calls = 0
        self.removed: set[str] = set()
        self.gate = threading.Event()
        self.gate.set()

    def build(self, shed: str) -> tuple[str, bytes] | None:
        self.gate.wait(5)
        self.calls += 1
        return None if shed == "nowhere" or shed in self.removed else ("c1", f"{shed}#{self.calls}".encode())


def _views(inv: _Inventory, versions: dict[str, int], now: list[float]) -> ShedViews:
    return ShedViews(inv.build, lambda shed: versions.get(shed, 0), clock=lambda: now[0])


async def test_kept_until_the_shed_changes_and_refreshed_behind_the_answer_as_it_ages() -> None:
    inv, versions, now = _Inventory(), {"a": 1}, [100.0]
    views = _views(inv, versions, now)
    assert (await views.get("a")).body == b"a#1"
    assert (await views.get("a")).body == b"a#1"  # kept
    versions["b"] = 7  # another shed moving does not outdate this one
    assert (await views.get("a")).body == b"a#1"
    versions["a"] = 2
    assert (await views.get("a")).body == b"a#2"  # its live state changed: waited for
    now[0] += MAX_AGE_S
    assert (await views.get("a")).body == b"a#2"  # aging: answered at once ...
    await views.settled("a")
    assert (await views.get("a")).body == b"a#3"  # ... and rebuilt behind the answer
    now[0] += 2 * MAX_AGE_S
    assert (await views.get("a")).body == b"a#4"  # too old to answer: waited for
    assert inv.calls == 4


async def test_requests_that_miss_together_share_one_build() -> None:
    inv, now = _Inventory(), [0.0]
    views = _views(inv, {}, now)
    inv.gate.clear()
    waiting = [asyncio.ensure_future(views.get("a")) for _ in range(20)]
    await asyncio.sleep(0.05)  # every request is waiting on the build in its thread
    inv.gate.set()
    assert {v.body for v in await asyncio.gather(*waiting)} == {b"a#1"}
    assert inv.calls == views.builds == 1


async def test_a_build_started_before_a_forget_answers_but_is_not_kept() -> None:
    inv, now = _Inventory(), [0.0]
    views = _views(inv, {}, now)
    inv.gate.clear()
    early = asyncio.ensure_future(views.get("a"))
    await asyncio.sleep(0.05)
    views.forget("a")  # e.g. an inspection recorded while the store was being read
    inv.gate.set()
    assert (await early).body == b"a#1"
    assert (await views.get("a")).body == b"a#2"  # built again, with the change


async def test_an_unknown_shed_is_built_each_time_and_never_kept() -> None:
    inv, now = _Inventory(), [0.0]
    views = _views(inv, {}, now)
    for _ in range(3):
        view = await views.get("nowhere")
        assert (view.community, view.body) == (None, None)
    assert inv.calls == 3


async def test_a_shed_gone_from_the_inventory_is_no_longer_answered_once_rebuilt() -> None:
    inv, now = _Inventory(), [0.0]
    views = _views(inv, {}, now)
    assert (await views.get("a")).body == b"a#1"
    inv.removed.add("a")
    now[0] += MAX_AGE_S
    assert (await views.get("a")).body == b"a#1"  # aging: answered while rebuilt behind
    await views.settled("a")
    assert (await views.get("a")).body is None  # the rebuild found it gone: the kept view went with it
