"""Send one alert to one target URL and say whether the channel *confirmed* it: the one place results are judged.

Chat bots answer HTTP 200 and put the failure in the body (DingTalk and WeCom: ``errcode``; Feishu / Lark:
``code``, formerly ``StatusCode``), and Apprise's plugins count any 2xx as success, so for those bots the
notifier posts itself and reads the body; every other scheme goes through Apprise, whose True means the
service accepted the request (HTTP 2xx, SMTP 250) and whose False is a failure to retry.

Target URLs:
- ``dingtalk://[SECRET@]TOKEN``: DingTalk custom robot (signed when SECRET is given);
- ``wecombot://KEY``: WeCom group bot; ``feishu://TOKEN`` / ``lark://TOKEN``: Feishu / Lark custom bot;
- ``dingtalk+http(s)://HOST[:PORT]/PATH?...`` (likewise ``wecombot+``, ``feishu+``, ``lark+``): the same bot
  protocol at another address (a proxy, a private deployment, a test receiver);
- ``json://HOST[:PORT]/PATH`` / ``jsons://...`` without options: posted directly (Apprise's JSON body);
- anything else: an Apprise URL (``json://``, ``mailto://``, ``ntfy://``, ``bark://``, ``pushplus://``, ...).

Retry (``Delivery.retry``) is true for what may pass later (timeouts, refused connections, HTTP 429 and 5xx,
the bots' rate-limit codes, bodies that are not the bot's JSON) and false for what will not (a rejected token,
an unknown URL scheme): those are reported as failed, and the incident's escalation goes on regardless.
"""

import base64
import hashlib
import hmac
import logging
import time
import urllib.parse
from dataclasses import dataclass

import apprise
import httpx
import orjson

from cloud.core.notify.message import AlertText
from cloud.core.notify.policy import channel_kind

log = logging.getLogger(__name__)

BOT_BASE = {
    "dingtalk": "https://oapi.dingtalk.com/robot/send?access_token={token}",
    "wecombot": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={token}",
    "feishu": "https://open.feishu.cn/open-apis/bot/v2/hook/{token}",
    "lark": "https://open.larksuite.com/open-apis/bot/v2/hook/{token}",
}
# Codes that mean "later": DingTalk 130101 send too fast; WeCom 45009 frequency limit, -1 system busy;
# Feishu 9499 too many requests (kubesphere notification-manager retries on it too), 11232 frequency limited.
RETRY_CODES = {"dingtalk": {130101, -1}, "wecombot": {45009, -1}, "feishu": {9499, 11232}, "lark": {9499, 11232}}


@dataclass(frozen=True, slots=True)
class Delivery:
    """The channel's verdict: ``ok`` only when it confirmed; ``retry`` whether trying again may help."""

    ok: bool
    retry: bool
    detail: str


def _bot_request(kind: str, url: str, text: AlertText) -> tuple[str, dict[str, object]]:
    content = f"{text.title}\n{text.body}"
    if kind in ("feishu", "lark"):
        payload: dict[str, object] = {"msg_type": "text", "content": {"text": content}}
    else:
        payload = {"msgtype": "text", "text": {"content": content}}
    scheme, rest = url.split("://", 1)
    if "+" in scheme:
        return f"{scheme.split('+', 1)[1]}://{rest}", payload
    secret, _, token = rest.rstrip("/").rpartition("@")
    target = BOT_BASE[kind].format(token=urllib.parse.quote(token, safe=""))
    if secret and kind == "dingtalk":
        # DingTalk "加签": HMAC-SHA256 of "timestamp\nsecret" with the secret, base64, URL-encoded.
        stamp = str(time.time_ns() // 1_000_000)
        mac = hmac.new(secret.encode(), f"{stamp}\n{secret}".encode(), hashlib.sha256).digest()
        target += f"&timestamp={stamp}&sign={urllib.parse.quote_plus(base64.b64encode(mac))}"
    return target, payload


def judge_bot(kind: str, status: int, body: bytes) -> Delivery:
    """The verdict on a bot's HTTP answer (pure: tested with recorded answers)."""
    if status == 429 or status >= 500:
        return Delivery(False, True, f"HTTP {status}")
    if not 200 <= status < 300:
        return Delivery(False, False, f"HTTP {status}: {body[:200]!r}")
    try:
        answer = orjson.loads(body)
    except orjson.JSONDecodeError:
        return Delivery(False, True, f"HTTP {status} with a body that is not JSON: {body[:200]!r}")
    if not isinstance(answer, dict):
        return Delivery(False, True, f"unexpected answer {body[:200]!r}")
    field = "errcode" if kind in ("dingtalk", "wecombot") else ("code" if "code" in answer else "StatusCode")
    code = answer.get(field)
    if code == 0:
        return Delivery(True, False, "confirmed")
    message = answer.get("errmsg") or answer.get("msg") or answer.get("StatusMessage") or ""
    if not isinstance(code, int):
        return Delivery(False, True, f"answer without {field}: {body[:200]!r}")
    return Delivery(False, code in RETRY_CODES[kind], f"{field} {code}: {message}")


def deliver(url: str, text: AlertText, *, client: httpx.Client | None = None, timeout_s: float = 10.0) -> Delivery:
    """Send ``text`` to ``url``; never raises (every failure is a Delivery).

    Pass a long-lived ``client`` for the bots: a new one builds a TLS context each time (about 100 ms here).
    """
    kind = channel_kind(url)
    if kind in BOT_BASE:
        try:
            target, payload = _bot_request(kind, url, text)
            if client is None:
                response = httpx.post(target, json=payload, timeout=timeout_s)
            else:
                response = client.post(target, json=payload, timeout=timeout_s)
        except (httpx.HTTPError, ValueError) as exc:
            return Delivery(False, True, f"{type(exc).__name__}: {exc}")
        return judge_bot(kind, response.status_code, response.content)
    plain = _plain_json_target(url)
    if plain is not None:
        return _post_json(plain, text, client=client, timeout_s=timeout_s)
    return _via_apprise(url, text)


def _plain_json_target(url: str) -> str | None:
    """The http(s) address of a plain ``json://`` / ``jsons://`` URL (no credentials, query, headers), else None.

    Those the notifier posts itself on its kept client, in Apprise's JSON format: a new Apprise object per
    alert (plugin lookup, a new connection each time) costs tens of milliseconds an alarm waits for. Any
    option (``user:pass@``, ``?method=``, ``+Header``, ``:payload``) still goes through Apprise.
    """
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.lower() not in ("json", "jsons") or not rest or any(c in rest for c in "@?#"):
        return None
    return f"{'https' if scheme.lower() == 'jsons' else 'http'}://{rest}"


def _post_json(target: str, text: AlertText, *, client: httpx.Client | None, timeout_s: float) -> Delivery:
    # The body Apprise's json:// plugin sends (apprise.plugins.custom_json), so a receiver sees no difference.
    payload = {"version": "1.0", "title": text.title, "message": text.body, "attachments": [], "type": "info"}
    try:
        if client is None:
            response = httpx.post(target, json=payload, timeout=timeout_s)
        else:
            response = client.post(target, json=payload, timeout=timeout_s)
    except (httpx.HTTPError, ValueError) as exc:
        return Delivery(False, True, f"{type(exc).__name__}: {exc}")
    if 200 <= response.status_code < 300:
        return Delivery(True, False, "accepted")
    # as Apprise judges it: any other status is a failure to retry
    return Delivery(False, True, f"HTTP {response.status_code}")


def _via_apprise(url: str, text: AlertText) -> Delivery:
    sender = apprise.Apprise()
    if not sender.add(url):
        return Delivery(False, False, "not a URL Apprise supports")
    with apprise.LogCapture(level=apprise.logging.WARNING) as captured:  # type: ignore[no-untyped-call]
        try:
            ok = sender.notify(body=text.body, title=text.title)
        except Exception as exc:  # a plugin bug must not kill the notifier: report it, retry later
            log.exception("apprise plugin failed for %s", channel_kind(url))
            return Delivery(False, True, f"{type(exc).__name__}: {exc}")
        detail = captured.getvalue().strip().replace("\n", " ")[:300]
    if ok:
        return Delivery(True, False, "accepted")
    return Delivery(False, True, detail or "apprise reported a failure")
