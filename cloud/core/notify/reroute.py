"""Pending alerts whose target its person no longer has: closed as superseded and sent to the current ones.

A person's targets change (an API-saved channels document, a new alarm TOML) while alerts to them are pending,
e.g. retrying against a dead webhook the person just replaced. Left alone, such an alert would retry forever
and never reach the target the person now reads. So the outbox is re-resolved against the configuration in
force: an alert to a target its person no longer has is closed (``superseded``) and the same message is queued
to each target the person has now, once per (incident, step, person, target) like every alert.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PendingAlert:
    """An alert of an incident not yet delivered nor failed."""

    id: int
    incident: str
    step: str
    person: str
    target: str
    title: str
    body: str


def reroutes(
    pending: Iterable[PendingAlert], targets: Mapping[str, Sequence[str]]
) -> list[tuple[PendingAlert, tuple[str, ...]]]:
    """Each pending alert to a target its person no longer has (a person gone has none), with the person's
    current targets (the alert goes to each; none: nobody to send it to)."""
    return [
        (alert, tuple(targets.get(alert.person, ())))
        for alert in pending
        if alert.target not in targets.get(alert.person, ())
    ]
