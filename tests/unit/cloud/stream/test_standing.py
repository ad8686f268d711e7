"""An open stream's standing (pure) and its end in the hub: final mark, counted, idempotent."""

from cloud.core.access.roles import Principal, Role
from cloud.stream.frames import Outgoing
from cloud.stream.hub import Hub
from cloud.stream.standing import Ended, standing

OPERATOR = Principal("op", Role.OPERATOR, frozenset({"c1"}))


def test_an_unchanged_account_stands_any_change_ends_the_stream() -> None:
    assert standing(OPERATOR, Principal("op", Role.OPERATOR, frozenset({"c1"}))) is None
    assert standing(OPERATOR, None) == "disabled"
    assert standing(OPERATOR, Principal("op", Role.SECURITY, frozenset({"c1"}))) == "changed"  # narrower
    assert standing(OPERATOR, Principal("op", Role.OPERATOR, frozenset({"c1", "c2"}))) == "changed"  # wider
    assert standing(OPERATOR, Principal("op", Role.ADMIN, everywhere=True)) == "changed"


async def test_an_ended_client_gets_only_the_end_mark_once() -> None:
    hub = Hub(epoch=5, ring_size=10, queue_size=10)
    client, _ = hub.connect(OPERATOR, None)
    other, _ = hub.connect(OPERATOR, None)
    hub.publish([Outgoing("socket", "c1", {"i": 1})])
    hub.end(client, "disabled")
    hub.end(client, "expired")  # already ended: not counted twice, no second mark
    hub.publish([Outgoing("socket", "c1", {"i": 2})])
    assert [client.queue.get_nowait()] == [Ended("disabled")] and client.queue.empty()
    assert client not in hub.clients and other in hub.clients and other.queue.qsize() == 2
    assert hub.ended == {"expired": 0, "disabled": 1, "changed": 0}
