"""The API states a session's running sums without float noise: Wh and seconds to 0.01, money to the fen."""

import pytest

from cloud.charging.api_models import SessionOut
from cloud.charging.repo import SessionRow
from cloud.core.charging.model import Limit, Session, SessionStatus, SocketRef
from cloud.core.charging.precision import stated, stated_or_none, stated_yuan
from cloud.core.events import SessionChanged
from cloud.stream.translate import translate


@pytest.mark.parametrize(
    ("raw", "shown"),
    [(0.8000000000000007, 0.8), (0.1 + 0.2, 0.3), (43200.0, 43200.0), (1234.5678, 1234.57), (-1e-12, 0.0)],
)
def test_energy_and_seconds_are_stated_to_a_hundredth(raw: float, shown: float) -> None:
    assert stated(raw) == shown and str(stated(raw)) == str(shown)
    assert stated_or_none(raw) == shown and stated_or_none(None) is None


@pytest.mark.parametrize(
    ("raw", "shown"), [(0.0005759999999999999, 0.0), (0.005, 0.01), (0.1 + 0.2, 0.3), (1.2349999, 1.23), (12.0, 12.0)]
)
def test_money_is_stated_to_the_fen_half_up(raw: float, shown: float) -> None:
    assert stated_yuan(raw) == shown and str(stated_yuan(raw)) == str(shown)


def test_a_session_answer_and_its_stream_event_carry_no_float_noise() -> None:
    session = Session(
        "s1", "alice", "c1", "QR-1", SocketRef("shed-a", "post-1", 3), Limit(max_s=7200.000000001, max_wh=None), 0
    ).evolve(status=SessionStatus.ACTIVE, energy_wh=0.8000000000000007, cost_yuan=0.0005759999999999999)
    out = SessionOut.of(SessionRow(session, 1, None, 0, None, None, 0)).model_dump(mode="json")
    assert out["energy_wh"] == 0.8 and out["limit"] == {"max_s": 7200.0, "max_wh": None} and out["cost_fen"] == 0
    changed = SessionChanged(
        shed="shed-a", seq=0, ts=1, received_at=1, session_id="s1", user_id="alice", device="post-1", socket=3,
        status="active", energy_wh=0.8000000000000007, cost_yuan=0.0005759999999999999,
    )  # fmt: skip
    (event,) = translate([changed], community_of=lambda _s: "c1", availability_of=lambda _s: None)
    assert (event.data["energy_wh"], event.data["cost_yuan"]) == (0.8, 0.0)
