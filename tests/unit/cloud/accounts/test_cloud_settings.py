"""The auth settings folded into CloudSettings: the cloud refuses to start without a real secret outside development."""

import pytest
from pydantic import ValidationError

from cloud.cli import _checked_settings
from cloud.settings import CloudSettings
from shedwatch.cli import build_parser

GOOD = "Zq9-uV3kP0wYt7sLr2mXc8bNf4hJd6gA1eQ5"


@pytest.fixture(autouse=True)
def _production_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SHEDWATCH_CLOUD_ENVIRONMENT", raising=False)
    monkeypatch.delenv("SHEDWATCH_CLOUD_SECRET_KEY", raising=False)


def test_cloud_settings_fail_closed_and_take_the_secret_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValidationError, match="SHEDWATCH_CLOUD_SECRET_KEY"):
        CloudSettings()
    with pytest.raises(ValidationError, match="placeholder"):
        CloudSettings(secret_key="changethis")
    monkeypatch.setenv("SHEDWATCH_CLOUD_SECRET_KEY", GOOD)
    monkeypatch.setenv("SHEDWATCH_CLOUD_ACCESS_TOKEN_TTL_S", "600")
    s = CloudSettings()
    assert (s.environment, s.secret_key.get_secret_value(), s.token_codec().ttl_s) == ("production", GOOD, 600)


def test_development_needs_no_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHEDWATCH_CLOUD_ENVIRONMENT", "development")
    assert len(CloudSettings().secret_key.get_secret_value()) >= 32


def test_the_cloud_command_exits_2_naming_the_secret(capsys: pytest.CaptureFixture[str]) -> None:
    args = build_parser().parse_args(["cloud", "--no-ingest"])
    assert _checked_settings(args) is None
    assert "SHEDWATCH_CLOUD_SECRET_KEY" in capsys.readouterr().err
