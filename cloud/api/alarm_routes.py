"""The endpoints that signed alert links open: accept, on site, the incident page; and the alarm counters.

``GET /api/v1/alarms/link/{token}`` shows a page (or, asked for JSON, the incident for the phone view); for ack
and on-site it holds one button that POSTs to the same address. A GET never acts, because chat apps (WeCom,
DingTalk, Feishu) fetch links to preview them, and a preview must not accept an incident in someone's name. The
token itself is the credential (signed, short-lived, naming the person): no login needed on the phone.
"""

import html
from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse

from cloud.alarms.actions import ActionRefused, ack_incident, onsite_incident
from cloud.alarms.repo import AlarmRepo
from cloud.alarms.runner import AlarmRunner
from cloud.api.accept import wants_json
from cloud.api.link_view import link_view
from cloud.api.models_link import LinkView
from cloud.api.responses import errors
from cloud.core.alarms.clocks import clocks
from cloud.core.alarms.inputs import Actor
from cloud.core.alarms.rota import Rota
from cloud.core.notify.links import LinkClaim, LinkError, verify

router = APIRouter()
_LINK_ERRORS = errors(
    e403="the link is forged, expired or malformed",
    e404="the incident is gone",
    e503="the alarm service is off in this process",
)
_VERB = {"ack": "Accept this incident", "onsite": "I am on site"}


def _runner(request: Request) -> AlarmRunner:
    runner: AlarmRunner | None = request.app.state.cloud.alarms
    if runner is None:
        raise HTTPException(status_code=503, detail="the alarm service is off in this process")
    return runner


RunnerDep = Annotated[AlarmRunner, Depends(_runner)]


def _claim(runner: AlarmRunner, token: str) -> LinkClaim:
    try:
        return verify(token, runner.service.secret, runner.clock.now_ms())
    except LinkError as exc:
        raise HTTPException(status_code=403, detail=str(exc)) from None


def _page(title: str, body: str) -> HTMLResponse:
    return HTMLResponse(
        f"<!doctype html><meta charset=utf-8><meta name=viewport content='width=device-width'>"
        f"<title>{html.escape(title)}</title><h1>{html.escape(title)}</h1>{body}"
    )


def _when(ms: int, rota: Rota) -> str:
    """An epoch-ms time as the community's local time, ISO 8601 with its offset (the raw ms kept beside it)."""
    local = rota.local(ms).isoformat(timespec="seconds")
    return f"<time datetime='{local}' data-ms='{ms}'>{local}</time>"


def _incident_html(runner: AlarmRunner, incident_id: str) -> str:
    with runner.store.engine.connect() as conn:
        repo = AlarmRepo(conn, sqlite=runner.store.is_sqlite)
        incident = repo.incident(incident_id)
        if incident is None:
            raise HTTPException(status_code=404, detail="no such incident")
        lines = repo.timeline(incident)
        community = runner.service.config.community_of(runner.service.community_of_shed(repo, incident.shed))
        cameras = runner.service.cameras(repo, incident.shed)
    view = clocks(incident, runner.clock.now_ms(), community.promise())
    rota = community.rota()
    rows = "".join(
        f"<li>{_when(e.ts, rota)} {html.escape(e.kind)} {html.escape(e.actor or '')} {html.escape(e.detail)}</li>"
        for e in lines
    )
    cams = "".join(f"<li><a href='{html.escape(c)}'>{html.escape(c)}</a></li>" for c in cameras)
    return (
        f"<p>{html.escape(incident.shed)}: {incident.alarm_class.value}; opened {_when(incident.opened_ms, rota)} "
        f"({html.escape(community.tz)}); accepted: {incident.acked_by or 'no'}; "
        f"on site: {incident.onsite_by or 'no'}; accept clock kept: {view.ack_kept}; on-site clock kept: "
        f"{view.onsite_kept}</p><ul>{cams}</ul><ol>{rows}</ol>"
    )


@router.get(
    "/api/v1/alarms/link/{token}",
    response_model=LinkView,
    responses={200: {"content": {"text/html": {}}}, **_LINK_ERRORS},
)
def link_page(token: str, request: Request, runner: RunnerDep) -> HTMLResponse | LinkView:
    """The page a link opens (a confirm button for ack / on-site, the incident for view); with ``Accept:
    application/json`` (preferred to HTML) the incident as JSON, for the phone view."""
    claim = _claim(runner, token)
    if wants_json(request.headers.get("accept")):
        return link_view(runner, claim)
    # The security staff's phone view (dashboards/phone.html) takes the same token: the map, what the edge did,
    # the cameras and every action, live.
    phone = f"<p><a href='/phone#link={html.escape(token)}'>Open in the phone view</a></p>"
    if claim.action == "view":
        return _page(f"Incident {claim.incident}", phone + _incident_html(runner, claim.incident))
    form = f"<form method=post><button style='font-size:2em'>{_VERB[claim.action]}</button></form>"
    return _page(f"{_VERB[claim.action]}: {claim.incident}", form + phone + _incident_html(runner, claim.incident))


@router.post(
    "/api/v1/alarms/link/{token}",
    response_class=HTMLResponse,
    responses={**_LINK_ERRORS, **errors(e405="a view link does not act", e409="the incident refused the action")},
)
def link_act(token: str, request: Request, runner: RunnerDep) -> HTMLResponse:
    """Do what the link says, as the person it names, from the phone that opened it."""
    claim = _claim(runner, token)
    if claim.action == "view":
        raise HTTPException(status_code=405, detail="a view link does not act")
    device = f"link:{request.client.host if request.client else '?'}"
    actor = Actor(claim.person, device)
    act = ack_incident if claim.action == "ack" else onsite_incident
    try:
        act(runner.service, claim.incident, actor, runner.clock.now_ms())
    except ActionRefused as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from None
    runner.wake()
    return _page("Done", f"<p>{html.escape(_VERB[claim.action])}: recorded for {html.escape(claim.person)}.</p>")


@router.get("/api/v1/alarms/health", responses=errors(e503="the alarm service is off in this process"))
def alarm_health(runner: RunnerDep) -> dict[str, object]:
    """Leader, counters of the alarm service and the notifier, and loop errors."""
    stats = asdict(runner.service.stats)
    stats["chattering"] = sorted(stats["chattering"])
    return {
        "leader": runner.leadership.held,
        "service": stats,
        "notifier": asdict(runner.notifier.stats),
        "errors": runner.errors,
    }
