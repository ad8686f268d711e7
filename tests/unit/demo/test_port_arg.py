"""`shedwatch demo --port` outside 0-65535 is a usage error (exit 2), not a traceback."""

import pytest

from shedwatch.cli import build_parser


@pytest.mark.parametrize("bad", ["99999", "65536", "-5", "http"])
def test_a_port_outside_the_range_is_a_usage_error(bad: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        build_parser().parse_args(["demo", "--port", bad])
    assert exc.value.code == 2
    assert "--port" in capsys.readouterr().err


@pytest.mark.parametrize("good", [0, 1, 8000, 65535])
def test_ports_in_the_range_are_taken_as_given(good: int) -> None:
    assert build_parser().parse_args(["demo", "--port", str(good)]).port == good
