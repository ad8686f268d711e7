"""The hub: one producer fans out to many clients; resume without loss; a slow client is dropped, not waited for."""

import asyncio

from cloud.core.access.roles import Principal, Role
from cloud.stream.frames import Outgoing
from cloud.stream.hub import Hub

OPERATOR = Principal("op", Role.OPERATOR, frozenset({"c1"}))


def socket_event(i: int, community: str = "c1") -> Outgoing:
    return Outgoing("socket", community, {"i": i})


def drain(queue: asyncio.Queue) -> list:  # type: ignore[type-arg]
    out = []
    while not queue.empty():
        out.append(queue.get_nowait())
    return out


async def test_a_slow_client_is_dropped_and_the_others_get_everything() -> None:
    hub = Hub(epoch=5, ring_size=100, queue_size=10)
    slow, _ = hub.connect(OPERATOR, None)
    fast = [hub.connect(OPERATOR, None)[0] for _ in range(3)]
    got: list[list[int]] = [[] for _ in fast]
    for i in range(25):
        hub.publish([socket_event(i)])
        for k, client in enumerate(fast):  # these read as events come
            got[k] += [e.n for e in drain(client.queue)]
    assert got == [list(range(1, 26))] * 3
    assert slow.dropped and hub.dropped_slow == 1 and slow not in hub.clients
    assert drain(slow.queue) == [None]  # its stream ends at once


async def test_reconnect_resumes_what_was_missed_in_scope_or_resets() -> None:
    hub = Hub(epoch=5, ring_size=4, queue_size=10)
    hub.publish([socket_event(0), socket_event(1, community="c2"), socket_event(2)])  # n = 1, 2, 3
    client, first = hub.connect(OPERATOR, "5-1")
    assert [f.split(b"\n")[0] for f in first] == [b"id: 5-3"]  # 5-2 belongs to c2: not this caller's
    assert client.last_n == 3
    anon, first = hub.connect(None, "5-1")
    assert first == []  # sockets are staff-only
    hub.publish([socket_event(i) for i in range(3, 8)])  # n = 4..8; the ring holds 5..8
    _, first = hub.connect(OPERATOR, "5-3")
    assert len(first) == 1 and first[0].startswith(b"id: 5-8\nevent: reset\n") and b"no longer held" in first[0]
    _, first = hub.connect(OPERATOR, "4-3")  # another process's id
    assert b"event: reset" in first[0] and b"unknown id" in first[0]
    _, first = hub.connect(OPERATOR, "5-99")  # ahead of the head: never sent by this stream
    assert b"event: reset" in first[0] and b"unknown id" in first[0]
    assert hub.resets == 3
    assert hub.ping(client, 1234) == b"id: 5-3\nevent: ping\ndata: 1234\n\n"
    hub.ping_all(99)
    assert drain(client.queue)[-1] == 99  # after the events it was sent; the route makes it this client's ping
    hub.disconnect(anon)
    assert anon not in hub.clients


async def test_a_thousand_clients_each_get_one_copy_encoded_once() -> None:
    hub = Hub(epoch=5, queue_size=10)
    clients = [hub.connect(OPERATOR, None)[0] for _ in range(1000)]
    hub.publish([Outgoing("availability", "c1", {"shed": "shed-a"})])
    frames = {id(c.queue.get_nowait()) for c in clients}
    assert len(frames) == 1 and hub.published == 1


async def test_a_ping_to_a_full_queue_drops_the_client() -> None:
    hub = Hub(epoch=5, queue_size=2)
    client, _ = hub.connect(None, None)
    hub.ping_all(1)
    hub.ping_all(2)
    assert client in hub.clients and not client.dropped
    hub.ping_all(3)
    assert client.dropped and hub.dropped_slow == 1 and drain(client.queue) == [None]
