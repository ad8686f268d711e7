"""A small Server-Sent Events reader for the tests (frames as dicts: id, event, data)."""

import time
import weakref
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import orjson

Frame = dict[str, str]


def frames(response: httpx.Response) -> Iterator[Frame]:
    """Frames of an open streaming response, as they arrive."""
    current: Frame = {}
    for line in response.iter_lines():
        if not line:
            if current:
                yield current
            current = {}
            continue
        name, _, value = line.partition(":")
        current[name] = value[1:] if value.startswith(" ") else value


_readers: "weakref.WeakKeyDictionary[httpx.Response, Iterator[Frame]]" = weakref.WeakKeyDictionary()


def read_until(response: httpx.Response, done: Callable[[list[Frame]], bool], *, timeout: float = 20.0) -> list[Frame]:
    """Frames until ``done(frames so far)`` (pings keep the loop turning); fails after ``timeout`` s. Later
    calls on the same response go on where the last one stopped."""
    got: list[Frame] = []
    deadline = time.monotonic() + timeout
    reader = _readers.setdefault(response, frames(response))
    for f in reader:
        got.append(f)
        if done(got):
            return got
        assert time.monotonic() < deadline, f"timed out; frames: {got}"
    raise AssertionError(f"stream ended; frames: {got}")


def data(frame: Frame) -> Any:
    """The frame's JSON data."""
    return orjson.loads(frame["data"])


def events(got: list[Frame]) -> list[Frame]:
    """All but pings."""
    return [f for f in got if f.get("event") != "ping"]
