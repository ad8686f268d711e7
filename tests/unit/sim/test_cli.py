"""`shedwatch sim` refuses bad input with exit code 2 and a reason, before touching any broker."""

from pathlib import Path

import pytest

from shedwatch.cli import main


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["sim", "run", "post-offline", "--broker", "http://x"], "scheme must be mqtt"),
        (["sim", "run", "no-such-scenario"], "no scenario file"),
        (["sim", "run", "post-offline", "--speed", "1000"], "--speed"),
        (["sim", "run", "post-offline", "--clock", "fast"], "clock spec"),
        (["sim", "shed", "--config", "/nonexistent.toml"], "nonexistent.toml"),
        (["sim", "fleet", "--sockets", "65"], "sockets"),
        (["sim", "fleet", "--broker", "mqtt://h:notaport"], "notaport"),
    ],
)
def test_bad_input_exits_2_with_a_reason(argv: list[str], needle: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    assert needle in capsys.readouterr().err


def test_unwritable_truth_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["sim", "run", "post-offline", "--broker", "mqtt://127.0.0.1:1", "--truth", str(tmp_path / "no/t")])
    assert code == 2
    assert "truth file" in capsys.readouterr().err
