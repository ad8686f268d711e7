"""The shed TOML file: the one parser edge, cloud and simulators share.

A shed file has a ``[shed]`` table (a ShedConfig: what the cloud's inventory holds and
pushes), optionally ``[[cameras]]`` (camera links: cloud inventory only) and, on a Pi, an
``[agent]`` table (the edge agent's own settings, broker credentials included). The parser
returns the ``[agent]`` table untouched and unvalidated: only the edge reads it; the cloud's
inventory import never stores it.

Validation is strict, as for the wire: TOML has real integers, floats and strings, so
``sockets = "10"`` is refused everywhere with the field named (before, one reader let it
through and another refused it).
"""

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, ValidationError

from protocol.config import ShedConfig
from protocol.envelope import Message
from protocol.errors import ProtocolError
from protocol.ids import Id


class ShedFileError(ProtocolError):
    """A shed file that cannot be read or does not validate; the message names the file and field."""


class CameraLink(Message):
    """A camera that looks at the shed (``[[cameras]]``): cloud-side inventory, never pushed to the edge.

    ``url``: where the control room opens the view (http, https or rtsp); credentials do not belong in it
    (the viewer's own login applies). ``posts``: the posts it covers, for jumping from an alarm to its view.
    """

    id: Id
    name: Annotated[str, Field(max_length=100)] = ""
    url: Annotated[str, Field(max_length=500, pattern=r"^(https?|rtsp)://[^\s@/]+(/\S*)?$")]
    posts: Annotated[list[Id], Field(max_length=200)] = []


@dataclass(frozen=True, slots=True)
class ShedFile:
    """A parsed shed file: the validated shed config, its camera links, and the raw ``[agent]`` table."""

    shed: ShedConfig
    agent: dict[str, Any]
    cameras: tuple[CameraLink, ...] = ()


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
    cameras = data.get("cameras", [])
    if not isinstance(cameras, list):
        raise ShedFileError(f"{where}: cameras must be an array of tables ([[cameras]])")
    try:
        links = tuple(CameraLink.model_validate(c, strict=True) for c in cameras)
    except ValidationError as exc:
        raise ShedFileError(f"{where}: [[cameras]]: {first_error(exc)}") from None
    ids = [c.id for c in links]
    if len(set(ids)) != len(ids):
        raise ShedFileError(f"{where}: [[cameras]]: camera ids must be unique")
    posts = {p.id for p in config.posts}
    for link in links:
        unknown = sorted(set(link.posts) - posts)
        if unknown:
            raise ShedFileError(f"{where}: [[cameras]]: camera {link.id!r} covers unknown posts {unknown}")
    return ShedFile(config, agent, links)


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
