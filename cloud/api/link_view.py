"""Build the JSON form of a signed alert link: the one incident the verified claim names, nothing else."""

from fastapi import HTTPException

from cloud.alarms.names import named
from cloud.alarms.repo import AlarmRepo
from cloud.alarms.runner import AlarmRunner
from cloud.api.link_refusal import refusal
from cloud.api.models_alarms import AlarmOut, EdgeActOut, IncidentItem, TimelineOut
from cloud.api.models_link import EdgeLineOut, LinkOut, LinkShedOut, LinkView
from cloud.core.alarms.clocks import clocks
from cloud.core.notify.links import LinkClaim
from cloud.state import staff_rows


def link_view(runner: AlarmRunner, claim: LinkClaim) -> LinkView:
    """The incident of ``claim`` with its shed, alarms, the edge's actions, cameras, clocks and what the link allows;
    404 when the incident is gone."""
    with runner.store.engine.connect() as conn:
        repo = AlarmRepo(conn, sqlite=runner.store.is_sqlite)
        incident = repo.incident(claim.incident)
        if incident is None:
            raise HTTPException(status_code=404, detail="no such incident")
        lines = named(conn, runner.service.config, repo.timeline(incident))
        alarm_rows = staff_rows.incident_alarms(conn, incident.id)
        inventory = staff_rows.shed_inventory(conn, incident.shed)
        community_name = runner.service.community_of_shed(repo, incident.shed)
        cameras = runner.service.cameras(repo, incident.shed)
    community = runner.service.config.community_of(community_name)
    now = runner.clock.now_ms()
    # What a POST would do now, decided by the same pure rules the action applies (a view link never acts).
    refused = refusal(incident, claim, now)
    allows = [claim.action] if claim.action != "view" and refused is None else []
    return LinkView(
        link=LinkOut(
            action=claim.action,  # verify() accepts only ack, onsite and view
            person=claim.person,
            expires_ms=claim.expires_ms,
            allows=allows,
            refused=refused,
            now_ms=now,
        ),
        shed=LinkShedOut(
            shed=incident.shed,
            name=inventory.shed.name if inventory else "",
            community=community_name,
            tz=community.tz,
        ),
        incident=IncidentItem.of(incident, clocks(incident, now, community.promise())),
        alarms=[AlarmOut.of(r) for r in alarm_rows],
        edge=[
            EdgeLineOut(ts=e.ts, **EdgeActOut.model_validate(e.edge).model_dump()) for e in lines if e.edge is not None
        ],
        cameras=list(cameras),
        timeline=[TimelineOut.model_validate(e) for e in lines],
    )
