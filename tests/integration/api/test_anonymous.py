"""Who may read without logging in: every GET route of the OpenAPI document, asked anonymously, answers 401
unless docs/api.md lists it as public ("Without a login"). A new route that forgets its permission check fails
here, whichever module it lives in."""

import re
from typing import Any

import pytest

from tests.integration.api.staffapp import (
    Staff,
    staff_fixture,  # noqa: F401 - provides the staff fixture
)

pytestmark = pytest.mark.integration

# The public routes, as docs/api.md lists them, with what makes each one safe to show anybody.
PUBLIC = {
    "/": "a page (static HTML; its data comes from the routes below)",
    "/control": "a page",
    "/phone": "a page",
    "/resident": "a page",
    "/pages/{path}": "the pages' scripts, styles and translations",
    "/api/v1/availability": "per-shed counts, no personal data",
    "/api/v1/communities/{community}/tariff": "a community's prices",
    "/api/v1/alarms/link/{token}": "the signed token is the credential",
    "/api/v1/alarms/health": "the alarm service's leader flag and counters, for probes",
    "/healthz": "liveness, for probes",
    "/readyz": "readiness, for probes",
    "/metrics": "Prometheus scrapes without a login (a LAN-only port)",
}
# Its anonymous answer is its own test (tests/integration/api/test_stream.py): availability only, and it never ends.
STREAMED = {"/api/v1/stream"}


def _value(name: str, schema: dict[str, Any]) -> str:
    """A well-formed value of a parameter, so the answer is about the caller, not a 422 for the input."""
    if schema.get("type") == "integer" or name in {"socket", "id", "alarm_id"}:
        return str(max(int(schema.get("minimum", 1)), 1))
    if "enum" in schema:
        return str(schema["enum"][0])
    return {"shed": "shed-a", "community": "c1", "device": "post-1", "field": "power_w"}.get(name, "x1")


def _request(path: str, op: dict[str, Any]) -> tuple[str, dict[str, str]]:
    params = op.get("parameters", [])
    where = {p["name"]: _value(p["name"], p.get("schema", {})) for p in params if p["in"] == "path"}
    query = {
        p["name"]: _value(p["name"], p.get("schema", {})) for p in params if p["in"] == "query" and p.get("required")
    }
    return re.sub(r"\{([^}]+)\}", lambda m: where[m.group(1)], path), query


async def test_every_read_but_the_public_ones_needs_a_login(staff: Staff) -> None:
    paths: dict[str, dict[str, Any]] = staff.app.openapi()["paths"]
    answered = {}
    for template, ops in paths.items():
        if "get" not in ops or template in STREAMED:
            continue
        url, query = _request(template, ops["get"])
        answered[template] = (await staff.client.get(url, params=query)).status_code
    assert set(PUBLIC) <= set(answered), "a public route is gone: update PUBLIC and docs/api.md"
    without_login = {t for t, code in answered.items() if code != 401}
    assert without_login == set(PUBLIC), {t: answered[t] for t in without_login ^ set(PUBLIC)}
    assert len(answered) > 40  # the walk saw the whole API, not an empty document


async def test_camera_links_and_socket_state_are_staff_reads_of_the_shed_community(staff: Staff) -> None:
    for path in ("/api/v1/sheds/shed-a/cameras", "/api/v1/sheds/shed-a/sockets/post-1/1"):
        assert (await staff.client.get(path)).status_code == 401
        assert (await staff.client.get(path, headers=staff.auth("operator", "c2"))).status_code == 403
        assert (await staff.client.get(path, headers=staff.auth("resident", "c1"))).status_code == 403
        unknown = path.replace("shed-a", "shed-z")
        assert (await staff.client.get(unknown, headers=staff.auth("operator", "c1"))).status_code == 403
    own = staff.auth("operator", "c1")
    assert (await staff.client.get("/api/v1/sheds/shed-a/cameras", headers=own)).json() == []
    # No live state yet: the shed is the caller's, the socket unheard of.
    assert (await staff.client.get("/api/v1/sheds/shed-a/sockets/post-1/1", headers=own)).status_code == 404


async def test_a_user_lookup_tells_nobody_but_an_admin_whether_the_id_exists(staff: Staff) -> None:
    assert (await staff.client.get("/api/v1/users/nobody")).status_code == 401
    assert (await staff.client.get("/api/v1/users/nobody", headers=staff.auth("resident", "c1"))).status_code == 403
    assert (await staff.client.get("/api/v1/users/nobody", headers=staff.auth("admin", "c1"))).status_code == 404
