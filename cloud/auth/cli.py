"""`shedwatch cloud user ...`: accounts from the command line (docs/accounts.md, "Command line").

    create-admin --username U [--password-file F | --password-env VAR]   a deployment-wide admin
    add --username U --role R --community C [...]  [password options]      an account of some communities
    list [--community C]                                                   accounts as JSON, never hashes
    disable --username U / enable --username U

Without --password-file or --password-env the password is prompted for twice (a terminal is needed); there is
never a default password. Each command opens the state store from the same settings as the cloud (flags or
SHEDWATCH_CLOUD_* env), writes an audit_log row (actor ``cli:<login name>``) and prints one line of JSON.
Exit codes: 0 done; 1 refused (weak password, taken or bad user name, unknown community or user, impossible
role); 2 bad arguments or settings; 3 no password could be read (no terminal, unreadable file, unset variable,
the two prompts differ); 4 the state store failed.
"""

import argparse
import getpass
import json
import os
import sys
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_REFUSED, EXIT_USAGE, EXIT_NO_PASSWORD, EXIT_STORE = 0, 1, 2, 3, 4
ROLES = ("admin", "operator", "security", "installer", "resident")


class NoPassword(Exception):
    """No password could be read from the source the command was given."""


def add_parser(inner: Any, common: Any) -> None:
    """Register `user` under `shedwatch cloud`."""
    user = inner.add_parser("user", help="accounts: create-admin, add, list, disable, enable (docs/accounts.md)")
    common(user, argparse.SUPPRESS)
    sub = user.add_subparsers(dest="user_command", required=True, metavar="create-admin|add|list|disable|enable")

    def password_options(p: argparse.ArgumentParser) -> None:
        src = p.add_mutually_exclusive_group()
        src.add_argument("--password-file", type=Path, help="read the password from the first line of this file")
        src.add_argument("--password-env", metavar="VAR", help="read the password from this environment variable")

    p = sub.add_parser("create-admin", help="a deployment-wide admin (creates communities and every account)")
    p.add_argument("--username", required=True)
    p.add_argument("--display-name", default="")
    password_options(p)
    p = sub.add_parser("add", help="an account of one or more communities")
    p.add_argument("--username", required=True)
    p.add_argument("--role", required=True, choices=ROLES)
    p.add_argument("--community", dest="communities", action="append", required=True, help="repeat for several")
    p.add_argument("--display-name", default="")
    p.add_argument("--create-community", action="store_true", help="create missing communities first")
    password_options(p)
    p = sub.add_parser("list", help="accounts as a JSON array (no password hashes)")
    p.add_argument("--community", default=None)
    for name in ("disable", "enable"):
        p = sub.add_parser(name, help=f"{name} an account (a disabled one cannot log in)")
        p.add_argument("--username", required=True)
    # The settings flags (--data-dir, --state-url, ...) also after the command word, as `inventory import` and
    # `command ...` take them: `shedwatch cloud user list --data-dir D` used to be refused as unknown.
    for leaf in sub.choices.values():
        common(leaf, argparse.SUPPRESS)
    user.set_defaults(func=run)


def read_password(args: argparse.Namespace) -> str:
    """The new password from --password-file, --password-env, or two prompts; raises NoPassword."""
    if args.password_file is not None:
        try:
            lines: list[str] = Path(args.password_file).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise NoPassword(f"cannot read {args.password_file}: {exc}") from None
        if not lines or not lines[0]:
            raise NoPassword(f"{args.password_file} is empty")
        return lines[0]
    if args.password_env is not None:
        value = os.environ.get(args.password_env)
        if not value:
            raise NoPassword(f"environment variable {args.password_env} is unset or empty")
        return value
    if not sys.stdin.isatty():
        raise NoPassword("no terminal to prompt on: use --password-file or --password-env")
    first = getpass.getpass("new password: ")
    if first != getpass.getpass("again: "):
        raise NoPassword("the two passwords differ")
    return first


def _public(user: Any) -> dict[str, Any]:
    return {
        "id": user.id,
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role.value,
        "communities": sorted(user.communities),
        "everywhere": user.everywhere,
        "disabled": user.disabled,
        "created_ms": user.created_ms,
    }


def run(args: argparse.Namespace) -> int:
    """Do the command; print JSON; the exit code as documented above."""
    from sqlalchemy.exc import SQLAlchemyError

    from cloud.auth.directory import Directory
    from cloud.auth.errors import AccountError, WeakPassword
    from cloud.cli import _checked_settings
    from cloud.core.access.roles import Role
    from cloud.errors import StoreError
    from cloud.state import audit_rows
    from cloud.state.store import StateStore
    from protocol.clock import clock_from_spec

    settings = _checked_settings(args)
    if settings is None:
        return EXIT_USAGE
    clock = clock_from_spec(settings.clock)
    store: StateStore | None = None
    try:
        store = StateStore(settings.state_store_url())
        store.migrate()
        directory = Directory(store.engine, settings.password_hasher(), now_ms=clock.now_ms, max_concurrent_hashes=1)
        cmd = args.user_command
        if cmd == "list":
            users = directory.users(None if args.community is None else {args.community})
            print(json.dumps([_public(u) for u in users]))
            return EXIT_OK
        if cmd in ("disable", "enable"):
            found = directory.find(args.username)
            if found is None:
                print(f"shedwatch cloud user: no user {args.username!r}", file=sys.stderr)
                return EXIT_REFUSED
            user = directory.change(found.id, disabled=cmd == "disable")
            detail = f"{cmd}d {user.username}"
        else:
            password = read_password(args)
            if cmd == "create-admin":
                user = directory.create_user(
                    username=args.username,
                    password=password,
                    role=Role.ADMIN,
                    display_name=args.display_name,
                    everywhere=True,
                )
            else:
                if args.create_community:
                    known = directory.communities(args.communities)
                    for c in sorted(set(args.communities) - set(known)):
                        directory.create_community(c)
                user = directory.create_user(
                    username=args.username,
                    password=password,
                    role=Role(args.role),
                    communities=args.communities,
                    display_name=args.display_name,
                )
            detail = f"created {user.username} ({user.role.value}{' everywhere' if user.everywhere else ''})"
        community = min(user.communities) if user.communities else None
        entry = audit_rows.AuditEntry(
            clock.now_ms(), f"cli:{getpass.getuser()}", "", "user.manage", f"user:{user.id}", community, "ok", detail
        )
        with store.engine.begin() as conn:
            audit_rows.append(conn, entry)
        print(json.dumps(_public(user)))
        return EXIT_OK
    except NoPassword as exc:
        print(f"shedwatch cloud user: {exc}", file=sys.stderr)
        return EXIT_NO_PASSWORD
    except (AccountError, WeakPassword) as exc:
        print(f"shedwatch cloud user: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    except (StoreError, SQLAlchemyError) as exc:
        print(f"shedwatch cloud user: state store: {exc}", file=sys.stderr)
        return EXIT_STORE
    finally:
        if store is not None:
            store.close()
