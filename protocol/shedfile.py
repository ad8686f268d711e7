"""The shed TOML file: the one parser edge, cloud and simulators share.

A shed file has a ``[shed]`` table (a ShedConfig: what the cloud's inventory holds and
pushes) and, on a Pi, an ``[agent]`` table (the edge agent's own settings, broker
credentials included). The parser returns the ``[agent]`` table untouched and unvalidated:
only the edge reads it; the cloud's inventory import never stores it.

Validation is strict, as for the wire: TOML has real integers, floats and strings, so
``sockets = "10"`` is refused everywhere with the field named (before, one reader let it
through and another refused it).
"""

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from protocol.config import ShedConfig
from protocol.errors import ProtocolError


class ShedFileError(ProtocolError):
    """A shed file that cannot be read or does not validate; the message names the file and field."""


@dataclass(frozen=True, slots=True)
class ShedFile:
    """A parsed shed file: the validated shed config and the raw ``[agent]`` table (empty when absent)."""

    shed: ShedConfig
    agent: dict[str, Any]


def first_error(exc: ValidationError) -> str:
    """'loc.of.field: message' of the first validation error."""
    err = exc.errors(include_url=False)[0]
    loc = ".".join(str(p) for p in err["loc"]) or "<root>"
    return f"{loc}: {err['msg']}"


def parse_shed_document(data: dict[str, Any], *, where: str = "shed file") -> ShedFile:
    """Validate a parsed TOML document, or raise ShedFileError naming the table and field."""
    shed = data.get("shed")
    if not isinstance(shed, dict):
        raise ShedFileError(f"{where}: no [shed] table")
    agent = data.get("agent", {})
    if not isinstance(agent, dict):
        raise ShedFileError(f"{where}: [agent] must be a table")
    try:
        config = ShedConfig.model_validate(shed, strict=True)
    except ValidationError as exc:
        raise ShedFileError(f"{where}: [shed]: {first_error(exc)}") from None
    return ShedFile(config, agent)


def load_shed_file(path: str | Path) -> ShedFile:
    """Read and validate a shed TOML file."""
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except OSError as exc:
        raise ShedFileError(f"cannot read {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ShedFileError(f"{path}: not valid TOML: {exc}") from None
    return parse_shed_document(data, where=str(path))
