"""`shedwatch cloud` arguments become CloudSettings; flags override env, unset flags do not."""

from pathlib import Path

import pytest

from cloud.cli import _settings
from shedwatch.cli import build_parser


def test_flags_before_or_after_ingest_both_count(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHEDWATCH_CLOUD_BATCH_MAX", "123")
    args = build_parser().parse_args(["cloud", "--broker", "mqtt://b:1", "ingest", "--data-dir", "/tmp/x"])
    s = _settings(args)
    assert (s.broker, s.data_dir, s.batch_max, args.worker_id) == ("mqtt://b:1", Path("/tmp/x"), 123, "0")


def test_api_flags(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHEDWATCH_CLOUD_PORT", "9000")
    s = _settings(build_parser().parse_args(["cloud", "--no-ingest", "--clock", "2,1767225600000,1767225600000"]))
    assert (s.port, s.ingest, s.clock) == (9000, False, "2,1767225600000,1767225600000")
    s = _settings(build_parser().parse_args(["cloud", "--port", "8081", "--shed-config", "a.toml"]))
    assert (s.port, s.ingest, s.shed_configs) == (8081, True, [Path("a.toml")])


@pytest.mark.parametrize("sub", [[], ["ingest"]])
def test_malformed_shed_config_exits_2_naming_the_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], sub: list[str]
) -> None:
    bad = tmp_path / "shed-a.toml"
    bad.write_text('[shed]\nshed = "shed-a"\nbatch_interval_s = -1\n')
    args = build_parser().parse_args(["cloud", "--data-dir", str(tmp_path / "d"), "--shed-config", str(bad), *sub])
    assert args.func(args) == 2
    err = capsys.readouterr().err
    assert f"{bad}: [shed]: batch_interval_s:" in err and "Traceback" not in err
