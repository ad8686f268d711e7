"""`shedwatch cloud user ...`: accounts from the command line, in-process (parser, settings, store and exit codes
are all real) and once as a real process."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cloud.auth.directory import Directory
from cloud.settings import CloudSettings
from cloud.state.store import StateStore
from shedwatch.cli import main
from tests.integration.cloud.conftest import REPO

pytestmark = pytest.mark.integration

PW = "first admin's long password"


@pytest.fixture(autouse=True)
def _cheap_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in (("TIME_COST", "1"), ("MEMORY_KIB", "1024"), ("PARALLELISM", "1")):
        monkeypatch.setenv(f"SHEDWATCH_CLOUD_ARGON2_{key}", value)


def _cli(capsys: pytest.CaptureFixture[str], data: Path, *args: str) -> tuple[int, object, str]:
    capsys.readouterr()
    rc = main(["cloud", "user", "--data-dir", str(data), *args])
    out = capsys.readouterr()
    return rc, json.loads(out.out) if rc == 0 else None, out.err


def _directory(data: Path) -> Directory:
    settings = CloudSettings(data_dir=data)
    store = StateStore(settings.state_store_url())
    return Directory(store.engine, settings.password_hasher(), now_ms=lambda: 0)


def test_accounts_from_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "cloud"
    secret = tmp_path / "pw"
    secret.write_text(PW + "\n")
    rc, out, _ = _cli(capsys, data, "create-admin", "--username", "Root", "--password-file", str(secret))
    assert rc == 0 and isinstance(out, dict)
    assert (out["username"], out["role"], out["everywhere"], out["communities"]) == ("root", "admin", True, [])
    assert _directory(data).authenticate("root", PW)[1] == "ok"
    # Never a default or weak password, never a silent prompt without a terminal.
    assert _cli(capsys, data, "create-admin", "--username", "other")[0] == 3  # pytest's stdin is no terminal
    rc, _, err = _cli(capsys, data, "create-admin", "--username", "other", "--password-env", "SW_NOPE")
    assert rc == 3 and "SW_NOPE" in err
    monkeypatch.setenv("SW_PW", "short")
    rc, _, err = _cli(capsys, data, "create-admin", "--username", "other", "--password-env", "SW_PW")
    assert rc == 1 and "at least 8" in err
    assert _cli(capsys, data, "create-admin", "--username", "root", "--password-file", str(secret))[0] == 1  # taken
    assert _cli(capsys, data, "create-admin", "--username", "x", "--password-file", str(tmp_path / "none"))[0] == 3
    # Accounts of communities.
    monkeypatch.setenv("SW_PW", "a resident's password")
    add = ["add", "--username", "res1", "--role", "resident", "--community", "c1", "--password-env", "SW_PW"]
    rc, _, err = _cli(capsys, data, *add)
    assert rc == 1 and "no such community: c1" in err
    rc, out, _ = _cli(capsys, data, *add, "--create-community")
    assert rc == 0 and isinstance(out, dict) and out["communities"] == ["c1"]
    with pytest.raises(SystemExit) as exited:  # argparse
        _cli(capsys, data, "add", "--username", "x1", "--role", "boss", "--community", "c1")
    assert exited.value.code == 2
    rc, listed, _ = _cli(capsys, data, "list")
    assert isinstance(listed, list) and [u["username"] for u in listed] == ["res1", "root"]
    assert "argon2" not in json.dumps(listed)
    rc, listed, _ = _cli(capsys, data, "list", "--community", "c1")
    assert isinstance(listed, list) and [u["username"] for u in listed] == ["res1"]
    rc, out, _ = _cli(capsys, data, "disable", "--username", "RES1")
    assert rc == 0 and isinstance(out, dict) and out["disabled"] is True
    assert _directory(data).authenticate("res1", "a resident's password")[1] == "disabled"
    assert _cli(capsys, data, "enable", "--username", "res1")[0] == 0
    assert _cli(capsys, data, "disable", "--username", "ghost")[0] == 1


def test_create_admin_as_a_process_refuses_without_a_secret_in_production(tmp_path: Path) -> None:
    secret = tmp_path / "pw"
    secret.write_text(PW)
    cmd = [sys.executable, "-m", "shedwatch", "cloud", "user", "--data-dir", str(tmp_path / "d"), "create-admin"]
    cmd += ["--username", "root", "--password-file", str(secret)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHEDWATCH_CLOUD_")}
    done = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 2 and "SHEDWATCH_CLOUD_SECRET_KEY" in done.stderr


def test_the_data_dir_may_follow_the_command_word(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # As `inventory import` and `command ...` take it; the flag beats SHEDWATCH_CLOUD_DATA_DIR.
    monkeypatch.setenv("SHEDWATCH_CLOUD_DATA_DIR", str(tmp_path / "env"))
    data = tmp_path / "flag"
    secret = tmp_path / "pw"
    secret.write_text(PW + "\n")
    rc = main(
        ["cloud", "user", "create-admin", "--username", "root", "--password-file", str(secret), "--data-dir", str(data)]
    )
    assert rc == 0
    assert _directory(data).authenticate("root", PW)[1] == "ok"
    assert not (tmp_path / "env").exists()
    capsys.readouterr()
    assert main(["cloud", "user", "list", "--data-dir", str(data)]) == 0
    assert [u["username"] for u in json.loads(capsys.readouterr().out)] == ["root"]
