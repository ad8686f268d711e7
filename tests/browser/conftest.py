"""Browser tests: a real `shedwatch cloud` (with mosquitto and its ingest) and Debian's chromium driven by Playwright.

Playwright cannot download its own browsers here, so it launches the system's `chromium` (scripts/setup.sh --test
installs it). Every page test runs axe-core (vendored in tests/browser/vendor/axe-core, MPL-2.0) and fails on a
serious or critical violation.
"""

import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

from shedwatch.mosquitto import Mosquitto
from tests.integration.alarms.conftest import rota_toml
from tests.integration.alarms.receivers import HttpReceiver
from tests.integration.cloud.conftest import REPO, SHED_TOML, CloudProcess
from tests.integration.cloud.helpers import Publisher

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
WALL = {"width": 3840, "height": 2160}
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1440, "height": 900}
COMMUNITIES = ("jinsong-north",)
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    # The siren must start without a click in the tests; a real wall screen shows an "enable sound" button instead.
    "--autoplay-policy=no-user-gesture-required",
]


# Module scope, not session: Playwright's sync API holds an event loop in the main thread while it runs, and
# pytest-asyncio's tests in later modules need that thread free.
@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    """One Playwright driver per test module."""
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """Debian's chromium, headless."""
    exe = shutil.which("chromium")
    assert exe, "chromium is not installed: run scripts/setup.sh --test"
    b = playwright.chromium.launch(executable_path=exe, headless=True, args=ARGS)
    yield b
    b.close()


@pytest.fixture
def new_page(browser: Browser) -> Iterator[Callable[..., Page]]:
    """Pages in fresh contexts (own cookies and storage) at a viewport size; closed after the test."""
    contexts = []

    def make(viewport: dict[str, int] = LAPTOP, lang: str | None = None) -> Page:
        ctx = browser.new_context(viewport=viewport)  # type: ignore[arg-type]
        contexts.append(ctx)
        page = ctx.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.errors = errors  # type: ignore[attr-defined]
        return page

    yield make
    for ctx in contexts:
        ctx.close()


def serious_violations(page: Page) -> list[dict[str, Any]]:
    """Run axe-core in the page (WCAG 2.x A and AA rules); the serious and critical violations it finds."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async () => await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21aa']}})"
    )
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def assert_accessible(page: Page) -> None:
    """No serious or critical axe-core violation, and no script error on the page."""
    assert serious_violations(page) == []
    assert page.errors == []  # type: ignore[attr-defined]


class Site:
    """A running cloud with one shed (shed-a, post-1 with 10 sockets) and a publisher acting as its edge."""

    def __init__(self, cloud: CloudProcess, pub: Publisher, data: Path, receiver: HttpReceiver, secret: str) -> None:
        self.cloud = cloud
        self.pub = pub
        self.data = data
        self.receiver = receiver
        self.secret = secret
        self.passwords: dict[str, str] = {}
        self.seq = 0

    def token(self, role: str, user_id: str = "u1", communities: tuple[str, ...] = COMMUNITIES) -> str:
        """A token the cloud accepts, for a principal with this role (as its login route would issue)."""
        from cloud.auth.settings import AuthSettings
        from cloud.core.access.roles import Principal, Role

        settings = AuthSettings(environment="development", secret_key=self.secret)  # type: ignore[arg-type]
        principal = Principal(user_id, Role(role), frozenset(communities))
        return settings.token_codec().issue(principal, now_s=time.time())

    def bearer(self, role: str, user_id: str = "u1", communities: tuple[str, ...] = COMMUNITIES) -> dict[str, str]:
        """An Authorization header for API calls as that principal."""
        return {"Authorization": f"Bearer {self.token(role, user_id, communities)}"}

    def account(self, role: str, user_id: str = "", communities: tuple[str, ...] = COMMUNITIES) -> str:
        """Make the account (`shedwatch cloud user add`, once per user id; default ROLE-1) and return its
        password."""
        import os
        import secrets
        import subprocess
        import sys

        user_id = user_id or f"{role}-1"
        if user_id in self.passwords:
            return self.passwords[user_id]
        password = secrets.token_urlsafe(12)
        args = [sys.executable, "-m", "shedwatch", "cloud", "user", "--data-dir", str(self.data), "add"]
        args += ["--username", user_id, "--role", role, "--create-community", "--password-env", "PW"]
        for c in communities:
            args += ["--community", c]
        done = subprocess.run(
            args, env={**os.environ, "PW": password}, cwd=REPO, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
        self.passwords[user_id] = password
        return password

    def login_as(self, page: Page, role: str, user_id: str = "", communities: tuple[str, ...] = COMMUNITIES) -> Page:
        """Log the page's browser in as an account with this role: made if new, logged in through
        POST /api/v1/auth/login, whose session cookie the browser then carries."""
        import httpx

        user_id = user_id or f"{role}-1"
        password = self.account(role, user_id, communities)
        r = httpx.post(f"{self.base}/api/v1/auth/login", json={"username": user_id, "password": password}, timeout=30)
        assert r.status_code == 200, r.text
        cookie = r.cookies["shedwatch_session"]
        page.context.add_cookies([{"name": "shedwatch_session", "value": cookie, "url": self.base}])
        return page

    def close(self) -> None:
        """Stop the publisher, the cloud and the receiver."""
        self.pub.close()
        self.cloud.kill()
        self.receiver.down()

    @property
    def base(self) -> str:
        """The cloud's base URL."""
        return self.cloud.base

    def next_seq(self) -> int:
        """The edge's next sequence number."""
        self.seq += 1
        return self.seq

    def thermal_runaway(self, device: str = "post-1", socket: int = 3) -> float:
        """Publish what the edge reports when a socket runs away thermally: it cuts the socket (interlock), the
        socket turns faulted, and a fire alarm rises. Returns the monotonic time it was sent."""
        from bench.pages import thermal_runaway_report

        first = self.seq + 1
        self.seq += 3
        events = thermal_runaway_report("shed-a", first, device, socket, time.time_ns() // 1_000_000)
        sent = time.monotonic()
        self.pub.send(events)
        return sent


def _start_site(
    tmp: Path, broker: Mosquitto, *, mode: str = "open", birth_sockets: bool = True, sheds: dict[str, str] | None = None
) -> Site:
    """The cloud of ``site``; ``mode`` the shed's (open or authorised); without ``birth_sockets`` the test's own
    edge announces the shed. ``sheds``: shed TOML texts by shed id instead of shed-a's (no birth sent for them)."""
    from protocol.uplink import SocketStatus
    from tests.integration.cloud.helpers import birth, wait_for

    if sheds is None:
        sheds = {
            "shed-a": SHED_TOML.format(shed="shed-a").replace(
                'community = "jinsong-north"\n', f'community = "jinsong-north"\nmode = "{mode}"\n'
            )
        }
    else:
        birth_sockets = False
    args = ["--broker", broker.url]
    for name, text in sheds.items():
        (tmp / f"{name}.toml").write_text(text)
        args += ["--shed-config", str(tmp / f"{name}.toml")]
    receiver = HttpReceiver().up()
    alarms = tmp / "alarms.toml"
    data = tmp / "cloud"
    args += ["--alarm-config", str(alarms)]
    cloud = CloudProcess(args, data, tmp / "cloud.log")
    hook = f"json://127.0.0.1:{receiver.port}"
    people = {p: [f"{hook}/{p}"] for p in ("guard-li", "leader-wang", "manager-zhao")}
    alarms.write_text(rota_toml(cloud.base, people, community="jinsong-north"))
    cloud.start(timeout=120)  # generous: a browser test module starts it while the machine may be busy
    secret = cloud.auth.secret_key.get_secret_value()  # the process's token key (tests can mint tokens)
    pub = Publisher(broker.port)
    s = Site(cloud, pub, data, receiver, secret)
    if not birth_sockets:
        return s
    sockets = {("post-1", n): SocketStatus.FREE for n in range(1, 11)}
    pub.send([birth("shed-a", 0, sockets)])
    wait_for(lambda: cloud.get("/api/v1/availability")["sheds"], what="shed-a in availability")  # type: ignore[index]
    return s


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """One cloud for a test module: `shedwatch cloud` with ingest and the alarm service (a webhook receiver on the
    rota), and shed-a's birth. Tests that stop the cloud use ``own_site``."""
    tmp = tmp_path_factory.mktemp("site")
    broker = Mosquitto(workdir=tmp / "mosquitto").start()
    s = _start_site(tmp, broker)
    yield s
    s.close()
    broker.kill()


@pytest.fixture
def own_site(tmp_path: Path, mosquitto: Mosquitto) -> Iterator[Site]:
    """A cloud of the test's own (as ``site``), for tests that stop it."""
    s = _start_site(tmp_path, mosquitto)
    yield s
    s.close()
