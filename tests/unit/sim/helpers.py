"""Small builders shared by the simulator unit tests."""

from protocol.config import ShedConfig
from protocol.device import RelayCommand
from simulators.shed import ShedSim

T0 = 1_767_225_600_000  # 2026-01-01T00:00Z (08:00 in Beijing)


def shed_config(posts: int = 2, sockets: int = 4) -> ShedConfig:
    """A small shed: posts x sockets, two extinguishers, one sensor."""
    return ShedConfig.model_validate(
        {
            "shed": "shed-t",
            "posts": [{"id": f"post-{i}", "sockets": sockets} for i in range(1, posts + 1)],
            "extinguishers": ["ext-1", "ext-2"],
            "sensors": ["env-1"],
        }
    )


def make_sim(posts: int = 2, sockets: int = 4, *, residents: bool = False, seed: int = 1) -> ShedSim:
    """A ShedSim at T0 without residents."""
    return ShedSim(shed_config(posts, sockets), start_ms=T0, seed=seed, residents=residents)


def relay_cmd(socket: int, on: bool, reason: str, request_id: str = "r-1", seq: int = 0, ts: int = T0) -> RelayCommand:
    """A RelayCommand from the edge of shed-t."""
    return RelayCommand(src="shed-t", seq=seq, ts=ts, request_id=request_id, socket=socket, on=on, reason=reason)
