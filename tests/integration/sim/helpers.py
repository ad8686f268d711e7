"""Helpers for simulator integration tests: a collecting subscriber and the simulator as a subprocess."""

import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from protocol.codec import decode_message

REPO = Path(__file__).resolve().parents[3]


class Collector:
    """Subscribes to a filter and keeps every decoded (topic, message) pair."""

    def __init__(self, port: int, topic_filter: str) -> None:
        self.messages: list[tuple[str, Any]] = []
        self.errors: list[str] = []
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"collector-{time.monotonic_ns()}")
        self.client.on_message = self._on_message
        self.client.on_connect = lambda c, *_: (c.subscribe(topic_filter, qos=1), None)[1]
        self.client.on_subscribe = lambda *_: self._ready.set()
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        assert self._ready.wait(10), "subscription not acknowledged"

    def _on_message(self, _c: mqtt.Client, _u: object, msg: mqtt.MQTTMessage) -> None:
        try:
            parsed = decode_message(msg.topic, msg.payload)
        except ValueError as exc:
            with self._lock:
                self.errors.append(f"{msg.topic}: {exc}")
            return
        with self._lock:
            self.messages.append((msg.topic, parsed[1]))

    def snapshot(self) -> list[tuple[str, Any]]:
        """A copy of what arrived so far."""
        with self._lock:
            return list(self.messages)

    def wait_for(self, pred: Callable[[str, Any], bool], timeout: float = 20.0) -> tuple[str, Any]:
        """The first message satisfying pred, waiting up to timeout seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for topic, msg in self.snapshot():
                if pred(topic, msg):
                    return topic, msg
            time.sleep(0.02)
        raise AssertionError(f"no matching message within {timeout}s ({len(self.messages)} received)")

    def publish(self, topic: str, payload: bytes) -> None:
        """Publish with QoS 1 and wait until the broker has it."""
        self.client.publish(topic, payload, qos=1).wait_for_publish(5)

    def close(self) -> None:
        """Disconnect."""
        self.client.disconnect()
        self.client.loop_stop()


def start_sim(*args: str) -> subprocess.Popen[bytes]:
    """Run `shedwatch sim ARGS` from this worktree."""
    return subprocess.Popen(
        [sys.executable, "-m", "shedwatch", "sim", *args],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def stop_sim(proc: subprocess.Popen[bytes], timeout: float = 15.0) -> tuple[int, str]:
    """SIGTERM the simulator; return (exit code, stderr)."""
    if proc.poll() is None:
        proc.terminate()
    try:
        _, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
    return proc.returncode, err.decode(errors="replace")
