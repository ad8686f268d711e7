"""The state store on SQLite and on PostgreSQL: migrations, registry, idempotent writes, seq order."""

import random
import threading
from pathlib import Path

import pytest
from sqlalchemy import inspect

from cloud.core.batch import Batch, Reject
from cloud.core.live import SocketStop
from cloud.state.store import StateStore
from protocol.config import PostSpec, ShedConfig
from protocol.uplink import CommandResult, EdgeHeartbeat, EdgeState
from protocol.uplink import SocketStatus as S
from tests.integration.cloud.helpers import T0, birth, operator, status

pytestmark = pytest.mark.integration


def events_batch(*messages: object) -> Batch:
    b = Batch()
    for m in messages:
        if isinstance(m, EdgeState):
            b.states.append((m, T0))
        else:
            b.events.append((m, T0))  # type: ignore[arg-type]
    return b


def test_migrations_create_every_table_and_run_again_as_a_no_op(store: StateStore) -> None:
    store.migrate()
    names = set(inspect(store.engine).get_table_names())
    assert {"sheds", "posts", "devices", "sockets", "events", "results", "edge_states", "dead_letters"} <= names
    assert "alembic_version" in names


def test_registered_sheds_give_registry_and_communities(store: StateStore) -> None:
    config = ShedConfig(shed="shed-a", community="jinsong-north", posts=[PostSpec(id="post-1")], sensors=["env-1"])
    store.register_shed(config)
    store.register_shed(config)  # idempotent
    registry = store.registry()
    assert registry.devices == {"shed-a": frozenset({"post-1", "env-1"})}
    assert store.communities() == {"shed-a": "jinsong-north"}


def test_writes_are_idempotent_and_keep_every_kind(store: StateStore) -> None:
    b = events_batch(birth("shed-a", 1, {("post-1", 1): S.FREE}), status("shed-a", 2, "post-1", 1, S.CHARGING))
    b.results.append((CommandResult(src="shed-a", seq=3, ts=T0, request_id="r-1", status="applied"), T0))
    b.heartbeats.append((EdgeHeartbeat(src="shed-a", seq=3, ts=T0, session=1, uptime_s=5, outbox_depth=2), T0 + 5))
    b.rejects.append(Reject("sw/v1/edge/shed-a/event", "malformed_json", "field <root>: bad", b"{x", T0))
    assert store.write(b).new == 2
    b.rejects.clear()
    assert store.write(b).new == 0  # a redelivered batch adds nothing
    assert [store.count(t) for t in ("events", "results", "edge_states", "dead_letters")] == [1, 1, 1, 1]
    letter = store.dead_letters()[0]
    assert (letter.reason, letter.payload, letter.topic) == ("malformed_json", b"{x", "sw/v1/edge/shed-a/event")
    live = store.load_live().sheds["shed-a"]
    assert live.sockets[("post-1", 1)].status is S.CHARGING


def test_concurrent_writers_in_any_order_end_in_seq_order(store: StateStore) -> None:
    rnd = random.Random(7)
    messages: list[object] = [birth("shed-a", 0, {("post-1", n): S.FREE for n in range(1, 4)})]
    for seq in range(1, 61):
        messages.append(status("shed-a", seq, "post-1", rnd.randint(1, 3), rnd.choice(list(S))))
    # A birth at seq 30 with no sockets: it replaces everything up to 30, never what came after.
    messages.append(birth("shed-a", 30, {}, session=2))
    ref = {}
    for m in messages[31:61]:
        ref[m.socket] = m.status  # type: ignore[attr-defined]
    rnd.shuffle(messages)
    chunks = [messages[i::4] for i in range(4)]
    errors: list[BaseException] = []

    def run(chunk: list[object]) -> None:
        try:
            for i in range(0, len(chunk), 5):
                store.write(events_batch(*chunk[i : i + 5]))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(c,)) for c in chunks]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    got = {n: s.status for (_d, n), s in store.load_live().sheds["shed-a"].sockets.items()}
    assert got == ref


def test_private_postgres_cluster_fallback_migrates() -> None:
    # The path taken when no PostgreSQL answers and the machine's cluster cannot be started.
    from tests.integration.cloud.postgres import private_cluster

    s = StateStore(private_cluster())
    s.migrate()
    assert "sheds" in inspect(s.engine).get_table_names()
    s.close()


def test_inventory_import_versions_configs_and_keeps_camera_links(store: StateStore) -> None:
    from protocol.shedfile import CameraLink

    config = ShedConfig(shed="shed-a", community="north", name="Block 3", posts=[PostSpec(id="post-1")])
    cam = CameraLink(id="cam-1", url="https://cams.example/3", posts=["post-1"])
    assert store.import_inventory(config, actor="ops", now_ms=T0, cameras=[cam]) == 1
    assert store.import_inventory(config, actor="ops", now_ms=T0) == 1  # unchanged: no new version
    changed = config.model_copy(update={"sensors": ["env-1"]})
    assert store.import_inventory(changed, actor="ops", now_ms=T0 + 1) == 2  # same file version, newer content
    newest = store.newest_config("shed-a")
    assert newest is not None and newest.version == 2 and newest.sensors == ["env-1"]
    assert store.registry().devices == {"shed-a": frozenset({"post-1", "env-1"})}
    assert store.communities() == {"shed-a": "north"}
    assert store.cameras("shed-a") == [cam]  # kept when an import names none
    store.import_inventory(changed, actor="ops", now_ms=T0 + 2, cameras=[])
    assert store.cameras("shed-a") == []
    assert store.count("shed_configs") == 2


def _store_at(tmp_path: Path, revision: str) -> StateStore:
    """A SQLite state store migrated only up to ``revision``, as an older cloud left it."""
    from alembic import command
    from alembic.config import Config

    from cloud.state.store import _MIGRATIONS

    s = StateStore(f"sqlite:///{tmp_path / 'old.db'}")
    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    with s.engine.connect() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
        conn.commit()
    return s


def test_migrating_a_0001_store_keeps_an_offline_edge_offline(tmp_path: Path) -> None:
    from sqlalchemy import insert

    from cloud.state.schema import sheds, sockets

    s = _store_at(tmp_path, "0001")
    with s.engine.begin() as conn:
        conn.execute(
            insert(sheds).values(shed="gone", birth_seq=4, session=3, online=False, updated_ts=T0),
        )
        conn.execute(insert(sheds).values(shed="here", birth_seq=2, session=1, online=True, updated_ts=T0))
        conn.execute(insert(sockets).values(shed="gone", device="post-1", socket=1, status="full", seq=4, ts=T0))
    s.migrate()
    live = s.load_live().sheds
    assert (live["gone"].online, live["here"].online) == (False, True)
    assert live["gone"].sockets[("post-1", 1)].status is S.FULL
    s.close()


def test_an_operator_stop_is_stored_with_its_actor_and_follows_the_edge_births(store: StateStore) -> None:
    def stop_of(n: int) -> SocketStop | None:
        return store.load_live().sheds["shed-a"].sockets[("post-1", n)].stop

    free = {("post-1", n): S.FREE for n in (1, 2)}
    # A stop heard before the birth that introduces its socket (another worker was slower) is kept by it.
    store.write(events_batch(operator("shed-a", 3, "post-1", 2, stop=True, actor="op-li")))
    store.write(events_batch(birth("shed-a", 2, free)))
    store.write(events_batch(operator("shed-a", 1, "post-1", 1, stop=True)))  # older than the birth: its word holds
    assert (stop_of(1), stop_of(2)) == (None, SocketStop("op-li", T0 + 3000))
    assert store.load_live().availability({})[0].stopped == 1
    # A reconnect restates it (who and when kept); a restart of the agent forgot it, so the birth lifts it.
    store.write(events_batch(birth("shed-a", 4, free, session=2, stopped=[("post-1", 2)])))
    assert stop_of(2) == SocketStop("op-li", T0 + 3000)
    store.write(events_batch(birth("shed-a", 5, free, session=3)))
    assert stop_of(2) is None
    # Stopped again, then started: each a domain event in the feed, the start lifting it for good.
    store.write(events_batch(operator("shed-a", 6, "post-1", 1, stop=True, actor="op-wang")))
    assert stop_of(1) == SocketStop("op-wang", T0 + 6000)
    store.write(events_batch(operator("shed-a", 7, "post-1", 1, stop=False)))
    assert stop_of(1) is None
    kinds = [e.kind for e in store.read_feed("shed-a", 0)]
    assert kinds.count("socket_stop_changed") == 4  # 2 stopped, lifted by the birth, 1 stopped, started


def test_migrating_a_0006_store_keeps_its_sockets_and_knows_no_stop(tmp_path: Path) -> None:
    from sqlalchemy import text

    s = _store_at(tmp_path, "0006")
    with s.engine.begin() as conn:  # the 0006 columns only, as an older cloud wrote them
        conn.execute(text("INSERT INTO sheds (shed, birth_seq, session, online, updated_ts) VALUES ('a', 1, 1, 1, 5)"))
        conn.execute(text("INSERT INTO sockets VALUES ('a', 'post-1', 1, 'plugged', 3, 5)"))
    s.migrate()
    sock = s.load_live().sheds["a"].sockets[("post-1", 1)]
    assert (sock.status, sock.seq, sock.stop, sock.stop_seq) == (S.PLUGGED, 3, None, -1)
    s.write(events_batch(operator("a", 4, "post-1", 1, stop=True)))  # the new columns take a stop
    assert s.load_live().availability({})[0].stopped == 1
    s.close()
