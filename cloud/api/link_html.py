"""The HTML page a signed alert link opens without asking for JSON (a guard's phone, a chat app's browser), in the
page's language: pure, from what the route read (docs/api.md "Signed links").

Words come from the pages' dictionaries (page_words): the class, the clocks, each timeline kind, the edge's act and
an alarm key's class and type are labelled as the phone view labels them (dashboards/assets/model.js); people's own
words (comments, notes) and names are kept as written. Times are the community's local time, ISO 8601 with its
offset, with the epoch ms beside them.
"""

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass

from cloud.alarms.repo import EdgeAct, TimelineEntry
from cloud.api.link_refusal import refusal_words
from cloud.api.page_words import Words
from cloud.core.alarms.clocks import ClockState, ClockView
from cloud.core.alarms.incidents import Incident
from cloud.core.alarms.rota import Rota
from cloud.core.notify.links import LinkClaim

# The same machine forms the phone view words (model.js timelineDetail): an alarm key, an alert's paging step.
_KEYED = re.compile(r"^(?:([a-z_]+) )?([^\s/]+)/([^\s/]+)/(\d+)/([a-z][a-z0-9_]*)(?::.*)?$", re.S)
_STEP_DETAIL = re.compile(r"^((?:up\d+_)?[a-z_0-9]+) \((\d+)\)$")
_PHASED_STEP = re.compile(r"^step_up(\d+)_(.+)$")
_TITLE = {"ack": "phone.link_ack", "onsite": "phone.link_onsite", "view": "phone.link_view"}


@dataclass(frozen=True, slots=True)
class IncidentFacts:
    """What the page shows of the link's incident, as the route read it."""

    incident: Incident
    timeline: Sequence[TimelineEntry]
    cameras: Sequence[str]
    tz: str
    rota: Rota
    clocks: ClockView


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _when(ms: int, rota: Rota) -> str:
    local = rota.local(ms).isoformat(timespec="seconds")
    return f"<time datetime='{local}' data-ms='{ms}'>{local}</time>"


def kind_words(kind: str, w: Words) -> str:
    """A timeline kind's label; a paging step after an upgrade (``step_upN_X``) is step X "(after upgrade N)"."""
    m = _PHASED_STEP.match(kind)
    if m is None:
        return w.label(f"kind.{kind}", kind)
    return f"{w.label(f'kind.step_{m[2]}', kind)} {w.t('kind.upgrade_phase', n=m[1])}"


def edge_words(e: EdgeAct, w: Words) -> str:
    """What the edge did in words: act, scope, where, (reason), latched."""
    where = " ".join(p for p in (e.device, f"#{e.socket}" if e.socket else None) if p)
    reason = w.label(f"reason.{e.reason}", "") or w.label(f"type.{e.reason}", e.reason)
    act = (w.label(f"act.{e.action}", e.action), w.label(f"scope.{e.scope}", e.scope), where)
    parts = " ".join(p for p in act if p)
    return f"{parts} ({reason})" + (f" · {w.label('edge.latched', 'latched')}" if e.latched else "")


def detail_words(e: TimelineEntry, w: Words) -> str:
    """A timeline line's detail where the cloud wrote a machine form; people's words as written."""
    if e.edge is not None:
        return edge_words(e.edge, w)
    keyed = _KEYED.match(e.detail)
    if keyed:
        cls, _, device, socket, alarm_type = keyed.groups()
        where = " ".join(p for p in (device if device != "-" else None, f"#{socket}" if int(socket) else None) if p)
        parts = [w.label(f"class.{cls}", cls) if cls else None, w.label(f"type.{alarm_type}", alarm_type), where]
        return " · ".join(p for p in parts if p)
    step = _STEP_DETAIL.match(e.detail)
    if step and e.kind.startswith("alert_"):
        return f"{kind_words('step_' + step[1], w)} ({step[2]})"
    if e.kind in ("nobody_on_duty", "no_channel"):
        return ""
    if e.kind == "resolved":
        cls, _, note = e.detail.partition(": ")
        return ": ".join(p for p in (w.label(f"resolution.{cls}", cls), note) if p)
    return e.detail


def _clock(state: ClockState, w: Words) -> str:
    return w.t(f"clock.{state.value}")  # running, kept, broken, resolved (cloud.core.alarms.clocks)


def incident_html(f: IncidentFacts, w: Words) -> str:
    """The incident: shed, class, opened, both clocks with who, the cameras and the timeline."""
    inc = f.incident
    accepted = w.t("alarm.accepted_by", who=inc.acked_by_shown) if inc.acked_by else w.t("alarm.not_accepted")
    lines = "".join(
        f"<li data-kind='{_e(e.kind)}'>{_when(e.ts, f.rota)} <b>{_e(kind_words(e.kind, w))}</b> "
        f"{_e(e.actor_name or e.actor or '')} {_e(detail_words(e, w))}</li>"
        for e in f.timeline
    )
    cams = "".join(f"<li><a href='{_e(c)}'>{_e(c)}</a></li>" for c in f.cameras)
    return (
        f"<p><b>{_e(w.label(f'class.{inc.alarm_class.value}', inc.alarm_class.value))}</b> · {_e(inc.shed)}</p>"
        f"<dl><dt>{_e(w.t('alarm.opened'))}</dt><dd>{_when(inc.opened_ms, f.rota)} ({_e(f.tz)})</dd>"
        f"<dt>{_e(w.t('alarm.ack_clock'))}</dt>"
        f"<dd data-k='ack'>{_e(_clock(f.clocks.ack_state, w))} · {_e(accepted)}</dd>"
        f"<dt>{_e(w.t('alarm.onsite_clock'))}</dt><dd data-k='onsite'>{_e(_clock(f.clocks.onsite_state, w))}"
        f"{' · ' + _e(inc.onsite_by_shown) if inc.onsite_by else ''}</dd></dl>"
        f"<h2>{_e(w.t('control.cameras'))}</h2><ul>{cams or '<li>' + _e(w.t('control.no_cameras')) + '</li>'}</ul>"
        f"<h2>{_e(w.t('control.timeline'))}</h2><ol>{lines}</ol>"
    )


def page(title: str, body: str, w: Words) -> str:
    """A whole page in ``w``'s language, with the switch to the other one (``?lang=``, kept by the form's POST)."""
    other = "en" if w.lang == "zh-CN" else "zh-CN"
    switch = f"<p><a href='?lang={other}' hreflang='{other}' lang='{other}'>{_e(w.t('lang.switch'))}</a></p>"
    return (
        f"<!doctype html><html lang='{w.lang}'><meta charset=utf-8><meta name=viewport content='width=device-width'>"
        f"<title>{_e(title)}</title>{switch}<h1>{_e(title)}</h1>{body}</html>"
    )


def link_html(claim: LinkClaim, token: str, facts: IncidentFacts, w: Words, refused: str | None) -> str:
    """The page of a GET: for ack / on-site one button that POSTs to the same address (a GET never acts), the link
    into the phone view, and the incident. ``refused``: why the action would be refused now (link_refusal, the
    decision behind the JSON view's ``allows``): then no button, the reason in its place."""
    title = f"{w.t(_TITLE[claim.action])}: {claim.incident}"
    phone = f"<p><a href='/phone#link={_e(token)}'>{_e(w.t('phone.open_in_view'))}</a></p>"
    form = ""
    if claim.action != "view" and refused is not None:
        why = refusal_words(facts.incident, claim.action, refused, w)
        form = f"<p class=refused>{_e(w.t('phone.allows_nothing'))}: {_e(why)}</p>"
    elif claim.action != "view":
        verb = w.t(f"phone.do_{claim.action}")
        form = f"<form method=post><button style='font-size:2em'>{_e(verb)}</button></form>"
    return page(title, form + phone + incident_html(facts, w), w)


def done_page(claim: LinkClaim, w: Words, name: str) -> str:
    """The page of a POST that recorded the link's action, for the person as people know them (``name``)."""
    return page(w.t(_TITLE[claim.action]), f"<p>{_e(w.t('phone.done', person=name))}</p>", w)


def refused_page(claim: LinkClaim, why: str, w: Words) -> str:
    """The page of a POST the incident refused (409): why, in the page's language."""
    return page(w.t(_TITLE[claim.action]), f"<p class=refused>{_e(w.t('phone.allows_nothing'))}: {_e(why)}</p>", w)


def error_page(why: str, w: Words) -> str:
    """The page of a link that cannot be opened (403 forged / expired / malformed, 404 gone)."""
    return page(w.t("phone.link_view"), f"<p class=error>{_e(why)}</p>", w)
