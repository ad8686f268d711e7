"""The demo's sheds, written as the shed TOML files that edge agents and simulators read."""

from pathlib import Path

import tomli_w

from protocol.config import PostSpec, ShedConfig


def demo_sheds(count: int, posts: int, sockets: int) -> list[ShedConfig]:
    """``count`` sheds of ``posts`` x ``sockets``, two extinguishers and one environment sensor each.

    The first shed is ``open`` (plug and charge: the evening's residents and the drill play there); every other
    is ``authorised`` (a socket charges only for a session a resident starts by its QR id). Device ids are unique
    within a shed only (``post-1``, ``ext-1``, ``env-1``), as in a real one, so the default QR id
    ``{shed}-{post}-{socket}`` reads ``shed-b-post-1-2``."""
    sheds = []
    for i in range(count):
        letter = chr(ord("a") + i)
        sheds.append(
            ShedConfig(
                shed=f"shed-{letter}",
                community="jinsong-north",
                name=f"Shed {letter.upper()}",
                mode="open" if i == 0 else "authorised",
                posts=[PostSpec(id=f"post-{p + 1}", sockets=sockets) for p in range(posts)],
                extinguishers=["ext-1", "ext-2"],
                sensors=["env-1"],
            )
        )
    return sheds


def shed_toml(shed: ShedConfig, *, shed_broker: str, cloud_broker: str, data_dir: Path) -> str:
    """The shed's TOML file: [agent] for the edge, [shed] for everyone (thresholds left at their defaults)."""
    agent = {"shed_broker": shed_broker, "cloud_broker": cloud_broker, "data_dir": str(data_dir)}
    return tomli_w.dumps({"agent": agent, "shed": shed.model_dump(mode="json", exclude={"thresholds"})})
