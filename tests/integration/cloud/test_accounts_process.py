"""A production-mode `shedwatch cloud` process: the first admin from the CLI logs in over real HTTP."""

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from shedwatch.cli import main
from shedwatch.mosquitto import Mosquitto
from tests.integration.cloud.conftest import CloudProcess

pytestmark = pytest.mark.integration

SECRET = "Zq9-uV3kP0wYt7sLr2mXc8bNf4hJd6gA1eQ5"
PW = "the first admin's password"


def test_first_admin_logs_in_to_a_production_cloud(
    tmp_path: Path,
    mosquitto: Mosquitto,
    cloud_factory: Callable[..., CloudProcess],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Inherited by the cloud process: production, a real secret, cheap Argon2 (the costs are not under test).
    for key, value in [
        ("ENVIRONMENT", "production"),
        ("SECRET_KEY", SECRET),
        ("ARGON2_TIME_COST", "1"),
        ("ARGON2_MEMORY_KIB", "1024"),
        ("ARGON2_PARALLELISM", "1"),
    ]:
        monkeypatch.setenv(f"SHEDWATCH_CLOUD_{key}", value)
    data = tmp_path / "cloud"
    secret = tmp_path / "pw"
    secret.write_text(PW + "\n")
    assert (
        main(
            [
                "cloud",
                "user",
                "--data-dir",
                str(data),
                "create-admin",
                "--username",
                "root",
                "--password-file",
                str(secret),
            ]
        )
        == 0
    )
    cloud = cloud_factory(["--broker", mosquitto.url], data_dir=data).start()
    r = httpx.post(f"{cloud.base}/api/v1/auth/token", data={"username": "root", "password": PW}, timeout=10)
    assert r.status_code == 200, r.text
    auth = {"Authorization": f"Bearer {r.json()['access_token']}"}
    me = httpx.get(f"{cloud.base}/api/v1/me", headers=auth, timeout=10).json()
    assert (me["username"], me["role"], me["everywhere"]) == ("root", "admin", True)
    r = httpx.post(f"{cloud.base}/api/v1/communities", json={"community": "c1"}, headers=auth, timeout=10)
    assert r.status_code == 201
    r = httpx.post(f"{cloud.base}/api/v1/auth/login", json={"username": "root", "password": PW}, timeout=10)
    assert r.status_code == 200 and "secure" in r.headers["set-cookie"].lower()  # production: HTTPS-only cookie
    r = httpx.post(f"{cloud.base}/api/v1/auth/token", data={"username": "root", "password": "not the one"}, timeout=10)
    assert r.status_code == 401
    actions = [e["action"] for e in httpx.get(f"{cloud.base}/api/v1/audit", headers=auth, timeout=10).json()["entries"]]
    assert actions == ["auth.login", "auth.login", "config.community", "auth.login", "user.manage"]
