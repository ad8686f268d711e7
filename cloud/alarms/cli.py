"""`shedwatch cloud alarm ...`: staff actions and reports from the command line, until the API issue lands.

Each command opens the state store from the same settings as the cloud (flags or SHEDWATCH_CLOUD_* env),
acts in one transaction, prints one line of JSON, and exits 0; a refused action prints the reason on stderr and
exits 1; bad arguments exit 2 (argparse).
"""

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

ACTIONS = ("ack", "onsite", "resolve", "shelve", "inspect", "incidents", "timeline", "report", "load")


def _key(text: str) -> Any:
    """An alarm key argument; malformed: argparse's usage error (exit 2)."""
    from cloud.core.alarms.model import AlarmKey

    try:
        return AlarmKey.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _number(kind: type[float] | type[int], *, zero: bool = False) -> Any:
    """A finite number argument above 0 (``zero``: or 0); otherwise argparse's usage error (exit 2)."""

    def parse(text: str) -> float | int:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not (value >= 0 if zero else value > 0) or value == float("inf"):
            raise argparse.ArgumentTypeError(f"{text} must be {'0 or more' if zero else 'above 0'}")
        return value

    return parse


def add_parser(inner: Any, common: Any) -> None:
    """Register `alarm` under `shedwatch cloud`."""
    alarm = inner.add_parser("alarm", help="staff actions on incidents and alarms; reports")
    common(alarm, argparse.SUPPRESS)
    alarm.add_argument(
        "--alarm-config", dest="alarm_config", type=Path, default=argparse.SUPPRESS, help="alarm TOML file"
    )
    # The running cloud's address, for the links of the alerts an action queues (as `shedwatch cloud` takes them).
    alarm.add_argument("--host", default=argparse.SUPPRESS, help="the cloud's HTTP address (links)")
    alarm.add_argument("--port", type=int, default=argparse.SUPPRESS, help="the cloud's HTTP port (links)")
    sub = alarm.add_subparsers(dest="alarm_command", required=True)
    for name, what in (("ack", "accept an incident"), ("onsite", "record arrival on site")):
        p = sub.add_parser(name, help=what)
        p.add_argument("incident")
        p.add_argument("--by", required=True, help="person id")
    p = sub.add_parser("resolve", help="close an incident with a classification")
    p.add_argument("incident")
    p.add_argument("--by", required=True)
    p.add_argument("--as", dest="resolution", required=True, choices=["real", "false", "test", "device_fault"])
    p.add_argument("--note", default="")
    p = sub.add_parser("shelve", help="shelve an open alarm (never fire or pre-fire); --minutes 0 unshelves")
    p.add_argument("key", type=_key, help="SHED/DEVICE/SOCKET/TYPE (DEVICE '-' for the shed, SOCKET 0 for none)")
    p.add_argument("--by", required=True)
    p.add_argument("--minutes", type=_number(float, zero=True), required=True)
    p.add_argument("--reason", default="")
    for name, what in (
        ("suppress", "suppress an alarm's source for maintenance (never fire or pre-fire); --off ends it"),
        ("out-of-service", "take an alarm's source out of service (never fire or pre-fire); --off returns it"),
    ):
        p = sub.add_parser(name, help=what)
        p.add_argument("key", type=_key, help="SHED/DEVICE/SOCKET/TYPE of an alarm raised at least once")
        p.add_argument("--by", required=True)
        p.add_argument("--off", action="store_true", help="undo")
        p.add_argument("--reason", default="")
    p = sub.add_parser("inspect", help="record an extinguisher inspection")
    p.add_argument("shed")
    p.add_argument("device")
    p.add_argument("--by", required=True)
    p.add_argument("--note", default="")
    sub.add_parser("incidents", help="list open incidents")
    p = sub.add_parser("timeline", help="an incident's timeline")
    p.add_argument("incident")
    p = sub.add_parser("report", help="how often the promise was kept, per week, shed and person")
    p.add_argument("--days", type=_number(float), default=28.0)
    p.add_argument(
        "--community", default=None, help="only its sheds, with its promise and zone (default: all, 'default')"
    )
    p = sub.add_parser("load", help="EEMUA 191 alarm-load figures")
    p.add_argument("--days", type=_number(float), default=7.0)
    p.add_argument("--operators", type=_number(int), default=1)
    alarm.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Do the action; print JSON."""
    from cloud.alarms import actions
    from cloud.alarms.cli_audit import audited_cli
    from cloud.alarms.config import load_alarm_config
    from cloud.alarms.in_force import at_start, default_base_url
    from cloud.alarms.repo import AlarmRepo
    from cloud.alarms.runner import link_secret
    from cloud.alarms.service import AlarmService
    from cloud.cli import _checked_settings
    from cloud.core.access.permissions import Action
    from cloud.core.alarms.incidents import Resolution
    from cloud.core.alarms.inputs import Actor, OutOfService, Suppress
    from cloud.core.alarms.load import load
    from cloud.core.alarms.report import report
    from cloud.errors import CloudError
    from cloud.state.staff_rows import shed_community
    from cloud.state.store import StateStore
    from protocol.clock import clock_from_spec

    settings = _checked_settings(args)  # a bad setting or alarm TOML: one line, exit 2 (bad arguments)
    if settings is None:
        return 2
    store = StateStore(settings.state_store_url())
    try:
        store.migrate()
        # As the running cloud assembles it: the TOML with the documents saved through the API on top, links
        # to the same address (cloud.alarms.in_force).
        config = at_start(store, load_alarm_config(settings.alarm_config))
        service = AlarmService(
            store.engine,
            sqlite=store.is_sqlite,
            config=config,
            link_secret=link_secret(settings.link_secret, settings.data_dir),
            default_base_url=default_base_url(settings),
        )
        now = clock_from_spec(settings.clock).now_ms()
        actor = Actor(getattr(args, "by", "") or "", "cli")
        out: Any
        cmd = args.alarm_command

        def community_of(shed: str | None) -> str | None:
            if shed is None:
                return None
            with store.engine.connect() as conn:
                return shed_community(conn, shed)

        if cmd in ("ack", "onsite", "resolve"):
            # Written to the audit log as the API's incident routes write theirs (action, target, detail).
            with store.engine.connect() as conn:
                found = AlarmRepo(conn, sqlite=store.is_sqlite).incident(args.incident)
            if cmd == "ack":
                what, act = "acknowledge", lambda: actions.ack_incident(service, args.incident, actor, now)
            elif cmd == "onsite":
                what, act = "on site", lambda: actions.onsite_incident(service, args.incident, actor, now)
            else:
                resolution = Resolution(args.resolution)
                what = f"resolve as {resolution.value}: {args.note}"
                act = lambda: actions.resolve_incident(  # noqa: E731
                    service, args.incident, resolution, args.note, actor, now
                )
            done = audited_cli(
                store, now, actor.who, Action.INCIDENT_RESPOND.value, f"incident {args.incident}",
                community_of(found.shed if found else None), what, act,
            )  # fmt: skip
            out = asdict(done)
        elif cmd == "shelve":
            key = args.key
            seconds = args.minutes * 60
            alarm_id = actions.alarm_id_of(service, key)
            audited_cli(
                store, now, actor.who, Action.ALARM_SHELVE.value, f"alarm {alarm_id}", community_of(key.shed),
                "unshelve" if seconds == 0 else f"shelve {seconds:g} s: {args.reason}",
                lambda: actions.shelve_alarm(service, key, seconds, args.reason, actor, now),
            )  # fmt: skip
            out = {"shelved": str(key), "minutes": args.minutes}
        elif cmd in ("suppress", "out-of-service"):
            key = args.key
            on = not args.off
            hide = Suppress(actor, on) if cmd == "suppress" else OutOfService(actor, on, args.reason)
            after = actions.hide_source(service, key, hide, now)
            out = {"key": str(key), "suppressed": after.suppressed, "out_of_service": after.out_of_service}
        elif cmd == "inspect":
            audited_cli(
                store, now, actor.who, Action.INSPECTION_RECORD.value, f"{args.shed}/{args.device}",
                community_of(args.shed), actions.inspection_detail(args.note),
                lambda: actions.record_inspection(service, args.shed, args.device, args.note, actor, now),
            )  # fmt: skip
            out = {"inspected": f"{args.shed}/{args.device}", "ts": now}
        else:
            with store.engine.connect() as conn:
                repo = AlarmRepo(conn, sqlite=store.is_sqlite)
                if cmd == "incidents":
                    out = [asdict(i) for i in repo.open_incidents()]
                elif cmd == "timeline":
                    incident = repo.incident(args.incident)
                    if incident is None:
                        raise actions.ActionRefused(f"no incident {args.incident!r}")
                    out = [asdict(e) for e in repo.timeline(incident)]
                elif cmd == "report":
                    since = now - int(args.days * 86_400_000)
                    community = config.community_of(args.community or "default")
                    incidents = repo.all_incidents(since)
                    if args.community:
                        sheds = {s for s, c in repo.sheds() if c == args.community}
                        incidents = [i for i in incidents if i.shed in sheds]
                    rows = report(incidents, now, community.promise(), community.tz)
                    out = [asdict(r) | {"kept_ratio": r.kept_ratio} for r in rows]
                else:
                    since = now - int(args.days * 86_400_000)
                    records = repo.load_records(since)
                    out = asdict(load(records, start_ms=since, end_ms=now, operators=args.operators))
    except (CloudError, ValueError) as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return 1
    finally:
        store.close()
    print(json.dumps(out, default=str))
    return 0
