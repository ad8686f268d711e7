"""The endpoints that signed alert links open: accept, on site, the incident page; and the alarm counters.

``GET /api/v1/alarms/link/{token}`` shows a page (or, asked for JSON, the incident for the phone view); for ack
and on-site it holds one button that POSTs to the same address. A GET never acts, because chat apps (WeCom,
DingTalk, Feishu) fetch links to preview them, and a preview must not accept an incident in someone's name. The
token itself is the credential (signed, short-lived, naming the person): no login needed on the phone.
"""

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse

from cloud.alarms.actions import ActionRefused, ack_incident, onsite_incident
from cloud.alarms.names import named
from cloud.alarms.repo import AlarmRepo
from cloud.alarms.runner import AlarmRunner
from cloud.api.accept import wants_json
from cloud.api.link_html import IncidentFacts, done_page, error_page, link_html, refused_page
from cloud.api.link_refusal import link_error_words, refusal, refusal_words
from cloud.api.link_view import link_view
from cloud.api.models_link import LinkView
from cloud.api.page_words import Words, page_language
from cloud.api.responses import errors
from cloud.core.alarms.clocks import clocks
from cloud.core.alarms.incidents import Incident
from cloud.core.alarms.inputs import Actor
from cloud.core.notify.links import LinkClaim, LinkError, verify

router = APIRouter()


def _or_page(responses: dict[int | str, dict[str, Any]], *codes: int) -> dict[int | str, dict[str, Any]]:
    """``responses`` with ``codes`` also answered as an HTML page (to a client that does not prefer JSON)."""
    page = {"text/html": {"schema": {"type": "string"}}}
    return {code: {**r, "content": {**r["content"], **page}} if code in codes else r for code, r in responses.items()}


_LINK_ERRORS = _or_page(
    errors(
        e403="the link is forged, expired or malformed (an HTML page unless JSON is preferred)",
        e404="the incident is gone",
        e503="the alarm service is off in this process",
    ),
    403,
)


def _runner(request: Request) -> AlarmRunner:
    runner: AlarmRunner | None = request.app.state.cloud.alarms
    if runner is None:
        raise HTTPException(status_code=503, detail="the alarm service is off in this process")
    return runner


RunnerDep = Annotated[AlarmRunner, Depends(_runner)]


def _claim(runner: AlarmRunner, token: str, request: Request) -> LinkClaim | HTMLResponse:
    """The token's claim; a bad one is 403: ``{"detail"}`` to an API client, else a page in its language (a
    guard's phone: a form post, a browser), which the route returns as it stands."""
    try:
        return verify(token, runner.service.secret, runner.clock.now_ms())
    except LinkError as exc:
        if wants_json(request.headers.get("accept")):
            raise HTTPException(status_code=403, detail=str(exc)) from None
        w = _words(request)
        return _html(error_page(link_error_words(str(exc), w), w), w, 403)


def _words(request: Request) -> Words:
    """The page's language: ``?lang=``, else the browser's Accept-Language, else zh-CN (page_words)."""
    return Words(page_language(request.query_params.get("lang"), request.headers.get("accept-language")))


def _html(body: str, w: Words, status: int = 200) -> HTMLResponse:
    # The language follows Accept-Language: a cache must not hand one reader's language to another.
    headers = {"Content-Language": w.lang, "Vary": "Accept, Accept-Language"}
    return HTMLResponse(body, status_code=status, headers=headers)


def _incident(runner: AlarmRunner, incident_id: str) -> Incident | None:
    with runner.store.engine.connect() as conn:
        return AlarmRepo(conn, sqlite=runner.store.is_sqlite).incident(incident_id)


def _facts(runner: AlarmRunner, incident_id: str) -> IncidentFacts:
    with runner.store.engine.connect() as conn:
        repo = AlarmRepo(conn, sqlite=runner.store.is_sqlite)
        incident = repo.incident(incident_id)
        if incident is None:
            raise HTTPException(status_code=404, detail="no such incident")
        lines = named(conn, runner.service.config, repo.timeline(incident))
        community = runner.service.config.community_of(runner.service.community_of_shed(repo, incident.shed))
        cameras = runner.service.cameras(repo, incident.shed)
    view = clocks(incident, runner.clock.now_ms(), community.promise())
    return IncidentFacts(incident, lines, list(cameras), community.tz, community.rota(), view)


@router.get(
    "/api/v1/alarms/link/{token}",
    response_model=LinkView,
    responses={200: {"content": {"text/html": {}}}, **_LINK_ERRORS},
)
def link_page(token: str, request: Request, runner: RunnerDep) -> HTMLResponse | LinkView:
    """The page a link opens (a confirm button for ack / on-site, the incident for view); with ``Accept:
    application/json`` (preferred to HTML) the incident as JSON, for the phone view."""
    claim = _claim(runner, token, request)
    if isinstance(claim, HTMLResponse):
        return claim
    if wants_json(request.headers.get("accept")):
        return link_view(runner, claim)
    # In zh-CN unless asked otherwise; it links into the security staff's phone view (dashboards/phone.html), which
    # takes the same token: the map, what the edge did, the cameras and every action, live.
    w = _words(request)
    facts = _facts(runner, claim.incident)
    refused = refusal(facts.incident, claim, runner.clock.now_ms())
    return _html(link_html(claim, token, facts, w, refused), w)


@router.post(
    "/api/v1/alarms/link/{token}",
    response_class=HTMLResponse,
    responses={
        **_LINK_ERRORS,
        **_or_page(
            errors(
                e405="a view link does not act",
                e409="the incident refused the action (an HTML page unless JSON is preferred)",
            ),
            409,
        ),
    },
)
def link_act(token: str, request: Request, runner: RunnerDep) -> HTMLResponse:
    """Do what the link says, as the person it names, from the phone that opened it."""
    claim = _claim(runner, token, request)
    if isinstance(claim, HTMLResponse):
        return claim
    if claim.action == "view":
        raise HTTPException(status_code=405, detail="a view link does not act")
    device = f"link:{request.client.host if request.client else '?'}"
    actor = Actor(claim.person, device)
    act = ack_incident if claim.action == "ack" else onsite_incident
    w = _words(request)
    try:
        after = act(runner.service, claim.incident, actor, runner.clock.now_ms())
    except ActionRefused as exc:
        if wants_json(request.headers.get("accept")):
            raise HTTPException(status_code=409, detail=str(exc)) from None
        # The form's post: why, in the page's language, from the incident as it now stands.
        why = refusal_words(_incident(runner, claim.incident), claim.action, str(exc), w)
        return _html(refused_page(claim, why, w), w, 409)
    runner.wake()
    name = (after.onsite_by_shown if claim.action == "onsite" else after.acked_by_shown) or claim.person
    return _html(done_page(claim, w, name), w)


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
