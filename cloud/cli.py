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
        "--no-ingest", dest="ingest", action="store_const", const=False, help="API only: ingest runs elsewhere"
    )
    parser.set_defaults(func=_run_api)
    inner = parser.add_subparsers(dest="cloud_command", metavar="{ingest,alarm}")
    ingest = inner.add_parser("ingest", help="run one standalone ingest worker (MQTT 5 shared subscription)")
    _common(ingest, argparse.SUPPRESS)
    ingest.add_argument("--worker-id", default="0", help="stable id of this worker (its broker session)")
    ingest.set_defaults(func=_run_ingest)
    from cloud.alarms.cli import add_parser as add_alarm_parser

    add_alarm_parser(inner, _common)
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
    )
    overrides = {k: getattr(args, k) for k in keys if getattr(args, k, None) is not None}
    return CloudSettings(**overrides)


def _checked_settings(args: argparse.Namespace) -> Any:
    """Settings, with every shed config read once up front; None (after saying which field) when not valid.

    A bad setting or shed config exits 2 with one line naming the file and field, as the edge does,
    never a traceback from deep inside startup.
    """
    import sys

    from pydantic import ValidationError

    from cloud.errors import SettingsError
    from cloud.state.store import load_shed_config

    try:
        settings = _settings(args)
        for path in settings.shed_configs:
            load_shed_config(path)
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        print(f"shedwatch cloud: {'.'.join(str(p) for p in err['loc']) or '<root>'}: {err['msg']}", file=sys.stderr)
        return None
    except SettingsError as exc:
        print(f"shedwatch cloud: {exc}", file=sys.stderr)
        return None
    return settings


def _logging() -> None:
    import logging

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def _run_api(args: argparse.Namespace) -> int:
    import signal

    import uvicorn

    from cloud.api.app import create_app

    _logging()
    settings = _checked_settings(args)
    if settings is None:
        return 2
    # uvicorn turns SIGINT/SIGTERM into a graceful shutdown that runs the lifespan's cleanup.
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host=settings.host, port=settings.port, log_level="info")
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
