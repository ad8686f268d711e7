"""The registry: which sheds and devices the inventory knows, and whether a message fits it (pure)."""

from typing import Any

from protocol.uplink import EdgeState


class Registry:
    """Known sheds and their devices; an unregistered shed is accepted unless ``strict``."""

    def __init__(self, devices: dict[str, frozenset[str]] | None = None, *, strict: bool = False) -> None:
        self.devices = dict(devices or {})
        self.strict = strict

    def check(self, shed: str, message: Any) -> tuple[str, str] | None:
        """(reason, detail) when the registry refuses this message, else None."""
        known = self.devices.get(shed)
        if known is None:
            return ("unknown_shed", f"shed {shed!r} is not registered") if self.strict else None
        names: list[str] = []
        points = getattr(message, "points", None)  # a telemetry batch: the contract's model or the fast path's
        if points is not None:
            names = [p.device for p in points]
        elif isinstance(message, EdgeState):
            names = [s.device for s in message.sockets]
        elif getattr(message, "device", None) is not None:
            names = [message.device]
        for name in names:
            if name not in known:
                return "unknown_device", f"device {name!r} is not registered in shed {shed!r}"
        return None
