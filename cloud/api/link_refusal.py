"""Whether a signed link's action would be refused now, and why: one decision for the JSON view's ``allows`` /
``refused``, the HTML page's button and the POST's answer (docs/api.md "Signed links in JSON").

Pure: the incident's own rules (``acknowledge`` / ``arrive``) decide; a view link never acts.
"""

from cloud.api.page_words import Words
from cloud.core.alarms.incidents import Incident, acknowledge, arrive
from cloud.core.notify.links import LinkClaim

# The cloud's sentences for a link that cannot be opened, as the pages' i18n codes (model.js LINK_ERRORS).
LINK_ERRORS = {
    "bad signature": "forged",
    "link expired": "expired",
    "malformed token": "malformed",
    "no such incident": "gone",
}


def refusal(incident: Incident, claim: LinkClaim, now: int) -> str | None:
    """Why a POST of ``claim`` on ``incident`` at ``now`` would be refused (the 409's words), else None."""
    if claim.action not in ("ack", "onsite"):
        return None
    rule = acknowledge if claim.action == "ack" else arrive
    outcome = rule(incident, claim.person, now)
    return outcome if isinstance(outcome, str) else None


def refusal_words(incident: Incident | None, action: str, reason: str, w: Words) -> str:
    """``reason`` in the page's language, from the incident as it stands (the cloud's words for a reason the
    dictionary does not know), as the phone view words it (model.js linkRefusal)."""
    if incident is None:
        return w.t("phone.link_error_gone")
    if not incident.open:
        return w.t("phone.refused_resolved")
    if action == "ack" and incident.acked_by:
        return w.t("phone.refused_acked", who=incident.acked_by_shown)
    if action == "onsite" and incident.onsite_by:
        return w.t("phone.refused_onsite", who=incident.onsite_by_shown)
    return reason


def link_error_words(detail: str, w: Words) -> str:
    """Why a link cannot be opened (forged, expired, malformed, gone) in the page's language."""
    code = LINK_ERRORS.get(detail)
    return w.t(f"phone.link_error_{code}") if code else detail
