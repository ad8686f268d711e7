"""The CSRF decision for cookie-authenticated requests: same origin or an allowed one, else refused."""

import pytest

from cloud.auth.csrf import csrf_refusal


@pytest.mark.parametrize("method", ["GET", "HEAD", "OPTIONS", "get"])
def test_safe_methods_are_never_refused(method: str) -> None:
    assert csrf_refusal(method, origin="https://evil.example", referer=None, host="shed.example") is None


@pytest.mark.parametrize(
    ("origin", "referer", "host", "allowed", "ok"),
    [
        ("https://shed.example", None, "shed.example", (), True),
        ("https://SHED.example:8443", None, "shed.example:8443", (), True),
        ("https://shed.example:8443", None, "shed.example", (), False),  # another port is another origin
        ("https://evil.example", None, "shed.example", (), False),
        ("https://evil.example", "https://shed.example/page", "shed.example", (), False),  # Origin wins
        (None, "https://shed.example/pages/alarms?x=1", "shed.example", (), True),
        (None, "https://evil.example/", "shed.example", (), False),
        (None, None, "shed.example", (), False),
        ("null", None, "shed.example", (), False),
        ("https://ops.example", None, "api.internal:8080", ("https://ops.example",), True),
        ("http://ops.example", None, "api.internal:8080", ("https://ops.example",), False),  # scheme counts
    ],
)
def test_writes_need_a_matching_origin(
    origin: str | None, referer: str | None, host: str, allowed: tuple[str, ...], ok: bool
) -> None:
    reason = csrf_refusal("POST", origin=origin, referer=referer, host=host, allowed_origins=allowed)
    assert (reason is None) is ok
    if not ok:
        assert reason is not None and reason.startswith("cross-site request refused")
