"""`shedwatch cloud` (API with in-process ingest) and `shedwatch cloud ingest` (a standalone worker)."""

import argparse
from pathlib import Path
from typing import Any


def _common(parser: argparse.ArgumentParser, default: object = None) -> None:
    # Unset flags leave env settings alone. The ingest subcommand uses SUPPRESS so that its unset flags
    # do not overwrite the same flags given before the word 'ingest'.
    parser.add_argument("--broker", default=default, help="cloud broker URL (mqtt://host:port[?protocol=311])")
    parser.add_argument("--data-dir", default=default, type=Path, help="where SQLite stores live")
    parser.add_argument("--clock", default=default, help="'real' or SPEED,EPOCH_MS,ANCHOR_MS")
    parser.add_argument(
        "--state-url", default=default, help="SQLAlchemy URL of the state store (default: SQLite in the data dir)"
    )
    parser.add_argument("--telemetry", default=default, choices=["sqlite", "influxdb"], help="telemetry store backend")
    parser.add_argument(
        "--tls-ca-file", default=default, help="PEM bundle of a private CA for an mqtts:// broker (default: system CAs)"
    )
    parser.add_argument(
        "--shed-config",
        default=default,
        action="append",
        type=Path,
        dest="shed_configs",
        help="shed TOML file to register (repeat)",
    )


def add_parser(sub: Any) -> argparse.ArgumentParser:
    """Register the subcommand."""
    parser: argparse.ArgumentParser = sub.add_parser(
        "cloud", help="run the cloud: ingest + API (settings also from SHEDWATCH_CLOUD_* env)"
    )
    _common(parser)
    parser.add_argument("--host", help="HTTP bind address")
    parser.add_argument("--alarm-config", type=Path, help="alarm TOML: people, targets, rota, promise (docs/alarms.md)")
    parser.add_argument("--port", type=int, help="HTTP port")
    parser.add_argument(
        "--demo-drill-file", type=Path, help="demo only: the file POST /api/v1/demo/drill appends drill requests to"
    )
    parser.add_argument(
        "--no-ingest", dest="ingest", action="store_const", const=False, help="API only: ingest runs elsewhere"
    )
    parser.set_defaults(func=_run_api)
    inner = parser.add_subparsers(dest="cloud_command", metavar="ingest|inventory|command|alarm|user")
    ingest = inner.add_parser("ingest", help="run one standalone ingest worker (MQTT 5 shared subscription)")
    _common(ingest, argparse.SUPPRESS)
    ingest.add_argument("--worker-id", default="0", help="stable id of this worker (its broker session)")
    ingest.set_defaults(func=_run_ingest)
    inventory = inner.add_parser("inventory", help="the cloud's inventory of sheds")
    inv = inventory.add_subparsers(dest="inventory_command", metavar="import", required=True)
    imp = inv.add_parser("import", help="import a shed TOML's [shed] table (its [agent] table is never read)")
    _common(imp, argparse.SUPPRESS)
    imp.add_argument("file", type=Path, help="shed TOML file")
    imp.add_argument("--actor", default="operator", help="who imports (audited)")
    imp.add_argument("--push", action="store_true", help="also push the config to the shed's edge (retained)")
    imp.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for the edge's answer to --push")
    imp.set_defaults(func=_run_import)
    command = inner.add_parser("command", help="send a command to a shed's edge and wait for its answer")
    cmds = command.add_subparsers(dest="action", metavar="stop-socket|start-socket|reset-trip|push-config")
    cmds.required = True
    for name in ("stop-socket", "start-socket", "reset-trip", "push-config"):
        c = cmds.add_parser(
            name, help=f"{name.replace('-', ' ')} (exit 0 applied, 3 refused, 4 timed out, 5 broker unreachable)"
        )
        _common(c, argparse.SUPPRESS)
        c.add_argument("--shed", required=True)
        if name != "push-config":
            c.add_argument("--device", required=name != "reset-trip")
            c.add_argument("--socket", type=int, required=name != "reset-trip")
        c.add_argument("--actor", default="operator", help="authorised person (audited at both ends)")
        c.add_argument("--ttl", type=float, default=30.0, help="seconds until the edge must no longer carry it out")
        c.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for the broker, then the answer")
        c.set_defaults(func=_run_command)
    from cloud.alarms.cli import add_parser as add_alarm_parser

    add_alarm_parser(inner, _common)
    from cloud.auth.cli import add_parser as add_user_parser

    add_user_parser(inner, _common)
    return parser


def _settings(args: argparse.Namespace) -> Any:
    from cloud.settings import CloudSettings

    keys = (
        "broker",
        "host",
        "port",
        "data_dir",
        "clock",
        "state_url",
        "telemetry",
        "shed_configs",
        "ingest",
        "alarm_config",
        "tls_ca_file",
        "demo_drill_file",
    )
    overrides = {k: getattr(args, k) for k in keys if getattr(args, k, None) is not None}
    return CloudSettings(**overrides)


def _checked_settings(args: argparse.Namespace) -> Any:
    """Settings, with every shed config read once up front; None (after saying which field) when not valid.

    A bad setting, shed config or alarm TOML exits 2 with one line naming the file and field, as the edge does,
    never a traceback from deep inside startup.
    """
    import sys

    from pydantic import ValidationError

    from cloud.alarms.config import load_alarm_config
    from cloud.errors import SettingsError
    from protocol.shedfile import ShedFileError, first_error, load_shed_file

    try:
        settings = _settings(args)
        for path in settings.shed_configs:
            load_shed_file(path)
        load_alarm_config(settings.alarm_config)  # a bad alarm TOML stops the cloud here, before it serves
    except ValidationError as exc:
        print(f"shedwatch cloud: {first_error(exc)}", file=sys.stderr)
        return None
    except (SettingsError, ShedFileError) as exc:
        print(f"shedwatch cloud: {exc}", file=sys.stderr)
        return None
    return settings


def _logging(*, one_shot: bool = False) -> None:
    """Log lines to stderr; a one-shot command (inventory, command) keeps its stdout JSON alone and its stderr quiet."""
    import logging

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # alembic's plugin set-up is noise everywhere; its migration lines only matter to a long-running process
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    if one_shot:
        logging.getLogger("alembic").setLevel(logging.WARNING)


def _run_api(args: argparse.Namespace) -> int:
    import gc
    import signal

    import uvicorn

    from cloud.api.app import create_app

    _logging()
    settings = _checked_settings(args)
    if settings is None:
        return 2
    app = create_app(settings)
    # Everything imported and built so far (the app, its routes and models: about 150,000 objects) lives as
    # long as the process: move it out of the garbage collector's sight. Otherwise each full collection walks
    # it all again, a pause of about 90 ms on this machine during which no request is answered (it was the
    # availability route's p99).
    gc.collect()
    gc.freeze()
    # uvicorn turns SIGINT/SIGTERM into a graceful shutdown that runs the lifespan's cleanup.
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host=settings.host,
            port=settings.port,
            log_level="info",
            access_log=settings.access_log,
        )
    )
    # uvicorn re-raises the captured signal after shutdown, into the handlers found at start:
    # make those no-ops so a requested stop exits 0 instead of dying by the signal.
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: None)
    server.run()
    return 0


def _run_ingest(args: argparse.Namespace) -> int:
    import signal
    import threading

    from cloud.runtime import make_worker, open_stores
    from protocol.clock import clock_from_spec

    _logging()
    settings = _checked_settings(args)
    if settings is None:
        return 2
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    stores = open_stores(settings)
    worker = make_worker(settings, stores, clock_from_spec(settings.clock), worker=args.worker_id)
    worker.start()
    try:
        while not stop.wait(1.0):
            pass
    finally:
        worker.stop()
        stores.close()
    return 0


EXIT_REFUSED = 3  # the edge answered rejected, expired or failed
EXIT_TIMED_OUT = 4  # no answer before the timeout
EXIT_UNREACHABLE = 5  # the cloud broker did not accept the command sender


def _exit_code(status: str) -> int:
    return 0 if status == "applied" else EXIT_TIMED_OUT if status == "timed_out" else EXIT_REFUSED


def _sender(settings: Any, timeout_s: float) -> Any:
    from cloud.commands.sender import CommandSender
    from cloud.runtime import open_stores
    from protocol.brokerurl import BrokerUrl
    from protocol.clock import clock_from_spec

    stores = open_stores(settings)
    sender = CommandSender(
        stores.state, BrokerUrl.parse(settings.broker), clock_from_spec(settings.clock), ca_file=settings.tls_ca_file
    )
    try:
        sender.start(timeout_s)
    except Exception:
        stores.close()
        raise
    return stores, sender


def _push(stores: Any, sender: Any, shed: str, actor: str, timeout: float) -> Any:
    """Push the newest config held for ``shed`` and wait: its audit record."""
    held = stores.state.newest_config(shed)
    rid = sender.push_config(held, actor=actor)
    return sender.wait(shed, rid, timeout, config_version=held.version)


def _run_import(args: argparse.Namespace) -> int:
    import json
    import sys

    from cloud.errors import CloudError
    from cloud.runtime import open_stores
    from protocol.clock import clock_from_spec
    from protocol.shedfile import ShedFileError, load_shed_file

    _logging(one_shot=True)
    settings = _settings(args)
    try:
        parsed = load_shed_file(args.file)
    except ShedFileError as exc:
        print(f"shedwatch cloud inventory import: {exc}", file=sys.stderr)
        return 2
    stores = open_stores(settings)
    try:
        now_ms = clock_from_spec(settings.clock).now_ms()
        version = stores.state.import_inventory(parsed.shed, actor=args.actor, now_ms=now_ms, cameras=parsed.cameras)
    finally:
        stores.close()
    config = parsed.shed
    out: dict[str, object] = {"shed": config.shed, "version": version, "cameras": len(parsed.cameras)}
    code = 0
    if args.push:
        try:
            stores, sender = _sender(settings, args.timeout)
        except CloudError as exc:
            print(json.dumps(out | {"push": "unreachable", "detail": str(exc)}))
            return EXIT_UNREACHABLE
        try:
            record = _push(stores, sender, config.shed, args.actor, args.timeout)
            out |= {"push": record.status, "detail": record.detail}
            code = _exit_code(record.status)
        finally:
            sender.stop()
            stores.close()
    print(json.dumps(out))
    return code


def _run_command(args: argparse.Namespace) -> int:
    import json

    from pydantic import ValidationError

    from cloud.commands.request import build
    from cloud.errors import CloudError
    from protocol.shedfile import first_error

    _logging(one_shot=True)
    settings = _settings(args)
    if args.action != "push-config":
        try:  # a target the contract refuses is refused before any connection: nothing is sent or audited
            build(
                args.shed,
                args.action.replace("-", "_"),
                request_id="check",
                actor=args.actor,
                now_ms=0,
                ttl_s=args.ttl,
                device=getattr(args, "device", None),
                socket=getattr(args, "socket", None),
            )
        except ValidationError as exc:
            print(json.dumps({"error": first_error(exc)}))
            return 2
    try:
        stores, sender = _sender(settings, args.timeout)
    except CloudError as exc:
        print(json.dumps({"request_id": None, "status": "unreachable", "detail": str(exc)}))
        return EXIT_UNREACHABLE
    try:
        if args.action == "push-config":
            if stores.state.newest_config(args.shed) is None:
                print(json.dumps({"error": f"no config for {args.shed}: run 'shedwatch cloud inventory import' first"}))
                return 2
            record = _push(stores, sender, args.shed, args.actor, args.timeout)
        else:
            cmd = sender.send(
                args.shed,
                args.action.replace("-", "_"),
                actor=args.actor,
                ttl_s=args.ttl,
                device=getattr(args, "device", None),
                socket=getattr(args, "socket", None),
            )
            record = sender.wait(args.shed, cmd.request_id, args.timeout)
    finally:
        sender.stop()
        stores.close()
    print(json.dumps({"request_id": record.request_id, "status": record.status, "detail": record.detail}))
    return _exit_code(record.status)
