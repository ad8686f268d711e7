"""Logging in through the pages' own form as each role (accounts made with `shedwatch cloud user`): the control
room greets the operator and the admin by role, the phone view shows security staff their alerts, the residents'
page a resident's account; a wrong password is refused without saying which part was wrong."""

import os
import secrets
import subprocess
import sys
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import PHONE, Site, assert_accessible
from tests.integration.cloud.conftest import REPO

pytestmark = [pytest.mark.integration, pytest.mark.browser]
PAGE_OF = {"admin": "control", "operator": "control", "security": "phone", "resident": "resident"}


def _account(site: Site, role: str) -> str:
    password = secrets.token_urlsafe(12)
    base = [sys.executable, "-m", "shedwatch", "cloud", "user", "--data-dir", str(site.data)]
    args = [*base, "add", "--username", f"{role}-1", "--role", role, "--community", "jinsong-north"]
    env = {**os.environ, "PW": password}
    done = subprocess.run(
        [*args, "--create-community", "--password-env", "PW"],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return password


def _login(page: Page, user: str, password: str) -> None:
    page.fill("#login-user", user)
    page.fill("#login-pass", password)
    page.click("#login-form button[type=submit]")


@pytest.mark.parametrize("role", ["admin", "operator", "security", "resident"])
def test_each_role_logs_in_through_the_page(site: Site, new_page: Callable[..., Page], role: str) -> None:
    password = _account(site, role)
    page = new_page(PHONE)
    page.goto(f"{site.base}/{PAGE_OF[role]}?lang=en")
    if role == "resident":
        page.click("#signin")  # availability needs no login; the account part asks for it
    expect(page.locator("#login-form")).to_be_visible()
    assert_accessible(page)
    _login(page, f"{role}-1", "not-the-password")
    expect(page.locator("#login-error")).to_have_text("User name or password not accepted")
    _login(page, f"{role}-1", password)
    expect(page.locator("#login-form")).to_have_count(0)
    page.wait_for_function("() => window.shedwatch && window.shedwatch.ready === true")
    if PAGE_OF[role] == "control":
        expect(page.locator("#who")).to_contain_text(f"({role})")
    elif role == "security":
        expect(page.locator("#mine")).to_be_visible()
    else:
        expect(page.locator("#account")).to_be_visible()
        expect(page.locator("#wallet")).to_be_visible()
    expect(page.locator("#logout")).to_be_visible()
    assert_accessible(page)
