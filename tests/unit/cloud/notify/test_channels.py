"""Verdicts on chat-bot answers (recorded bodies) and the alarm config's checks: pure, no network."""

from pathlib import Path

import httpx
import orjson
import pytest

from cloud.alarms.config import load_alarm_config
from cloud.core.notify.message import AlertText
from cloud.errors import SettingsError
from cloud.notify.channels import Delivery, _plain_json_target, deliver, judge_bot


@pytest.mark.parametrize(
    ("kind", "status", "body", "expected"),
    [
        ("dingtalk", 200, b'{"errcode":0,"errmsg":"ok"}', Delivery(True, False, "confirmed")),
        (
            "dingtalk",
            200,
            b'{"errcode":130101,"errmsg":"send too fast"}',
            Delivery(False, True, "errcode 130101: send too fast"),
        ),
        (
            "dingtalk",
            200,
            b'{"errcode":310000,"errmsg":"sign not match"}',
            Delivery(False, False, "errcode 310000: sign not match"),
        ),
        (
            "wecombot",
            200,
            b'{"errcode":45009,"errmsg":"api freq out of limit"}',
            Delivery(False, True, "errcode 45009: api freq out of limit"),
        ),
        (
            "wecombot",
            200,
            b'{"errcode":93000,"errmsg":"invalid webhook url"}',
            Delivery(False, False, "errcode 93000: invalid webhook url"),
        ),
        ("feishu", 200, b'{"code":0,"msg":"success","data":{}}', Delivery(True, False, "confirmed")),
        ("feishu", 200, b'{"StatusCode":0,"StatusMessage":"success"}', Delivery(True, False, "confirmed")),
        (
            "feishu",
            200,
            b'{"code":9499,"msg":"too many request"}',
            Delivery(False, True, "code 9499: too many request"),
        ),
        ("lark", 200, b'{"code":19021,"msg":"sign match fail"}', Delivery(False, False, "code 19021: sign match fail")),
        (
            "dingtalk",
            200,
            b"<html>proxy error</html>",
            Delivery(False, True, "HTTP 200 with a body that is not JSON: b'<html>proxy error</html>'"),
        ),
        ("dingtalk", 200, b"[]", Delivery(False, True, "unexpected answer b'[]'")),
        ("dingtalk", 200, b'{"ok":true}', Delivery(False, True, "answer without errcode: b'{\"ok\":true}'")),
        ("dingtalk", 429, b"", Delivery(False, True, "HTTP 429")),
        ("feishu", 503, b"", Delivery(False, True, "HTTP 503")),
        ("wecombot", 404, b"nope", Delivery(False, False, "HTTP 404: b'nope'")),
    ],
)
def test_bot_answers(kind: str, status: int, body: bytes, expected: Delivery) -> None:
    assert judge_bot(kind, status, body) == expected


def test_no_config_means_nobody_to_alert() -> None:
    config = load_alarm_config(None)
    assert config.person == [] and config.community_of("any").tz == "Asia/Shanghai"
    assert config.community_of("any").promise().ack_s == 180


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[[community]]\n[[community.shift]]\nrole = "guard"\nperson = "ghost"\n',
            "^alarm config .*: community.0.shift.0.person: shift names unknown person 'ghost'$",
        ),
        (
            '[[person]]\nid = "a"\n[[community]]\n[[community.shift]]\nrole = "cook"\nperson = "a"\n',
            "community.0.shift.0.role: role 'cook'",
        ),
        ('[[person]]\nid = "a.b"\n', "pattern"),
        ("[links]\nttl_s = 0\n", "greater than 0"),
        ("surprise = 1\n", "Extra inputs"),
        ("[[person]\n", "alarm config"),
    ],
)
def test_bad_config_is_refused_naming_the_problem(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "alarms.toml"
    path.write_text(text)
    with pytest.raises(SettingsError, match=message):
        load_alarm_config(path)


@pytest.mark.parametrize(
    ("url", "target"),
    [
        ("json://127.0.0.1:8080/guard", "http://127.0.0.1:8080/guard"),
        ("jsons://hooks.example.org/a/b", "https://hooks.example.org/a/b"),
        ("JSON://host", "http://host"),
        ("json://user:pw@host/p", None),  # credentials: Apprise
        ("json://host/p?method=PUT", None),  # options: Apprise
        ("json://host/p?+X-Token=1", None),
        ("ntfy://topic", None),
        ("json://", None),
    ],
)
def test_plain_json_urls_are_posted_directly(url: str, target: str | None) -> None:
    assert _plain_json_target(url) == target


def test_direct_json_post_sends_apprises_body_and_judges_the_status() -> None:
    seen: list[httpx.Request] = []

    def answer(status: int) -> httpx.Client:
        def handler(request: httpx.Request) -> httpx.Response:
            seen.append(request)
            return httpx.Response(status)

        return httpx.Client(transport=httpx.MockTransport(handler))

    text = AlertText("FIRE shed-a", "smoke\nRef: inc-1/open/guard")
    assert deliver("json://127.0.0.1:9/guard", text, client=answer(200)) == Delivery(True, False, "accepted")
    assert str(seen[0].url) == "http://127.0.0.1:9/guard"
    assert orjson.loads(seen[0].content) == {
        "version": "1.0",
        "title": "FIRE shed-a",
        "message": "smoke\nRef: inc-1/open/guard",
        "attachments": [],
        "type": "info",
    }
    assert deliver("json://127.0.0.1:9/guard", text, client=answer(503)) == Delivery(False, True, "HTTP 503")
