"""The error answers of the API's routes, for their OpenAPI documents: every route lists what it may answer.

FastAPI answers an ``HTTPException`` with ``{"detail": "..."}``; its own 422 (a request that breaks the schema)
is the list-shaped ``HTTPValidationError`` (cloud/api/validation.py). A route that raises a 422 itself (a rule
the schema cannot say, e.g. a password the policy refuses) declares 422 here, documented as ``InvalidOut``
(either shape). Everything else a route may answer it lists too, so clients (and schemathesis) know every
status from the spec alone (OpenAPI 3.1, "Responses Object").
"""

from typing import Any

from pydantic import BaseModel


class ErrorOut(BaseModel):
    """An error; ``detail`` says why (a refused action: the lifecycle's or the permission table's reason)."""

    detail: str


class InvalidOut(BaseModel):
    """Input refused: a route's own check (``detail`` a sentence) or FastAPI's validation (a list of errors)."""

    detail: str | list[dict[str, Any]]


_WHAT = {
    400: "a body that is not JSON",
    401: "not logged in, or a bad or expired credential (`WWW-Authenticate: Bearer`)",
    403: "refused by the permission table, another community's, or a thing the cloud does not know",
    404: "no such thing (a deployment-wide admin's answer for an unknown one)",
    409: "refused by the alarm lifecycle or the incident, or a conflicting state",
    422: "input refused",
    429: "too many failed attempts: `Retry-After` says how many seconds to wait",
    503: "the service this needs is off or not connected in this process",
}

# Spelled out as JSON content (not FastAPI's ``model=``), so a route whose success is HTML or text still
# documents its errors as the JSON they are.
_CONTENT = {model: {"application/json": {"schema": model.model_json_schema()}} for model in (ErrorOut, InvalidOut)}
_RETRY_AFTER = {"Retry-After": {"description": "seconds to wait (RFC 9110 10.2.3)", "schema": {"type": "string"}}}


def errors(*codes: int, **why: str) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route or router: ``errors(401, 403, e404="no such user")`` documents each status.

    ``codes`` take the standard description above; ``e<status>="..."`` gives a status with this route's own.
    A 422 is documented as ``InvalidOut``, every other status as ``ErrorOut``; a 429 with its ``Retry-After``
    header. Raises KeyError for a bare code with no standard description."""
    described = {code: _WHAT[code] for code in codes} | {int(k.removeprefix("e")): v for k, v in why.items()}
    out: dict[int | str, dict[str, Any]] = {}
    for code, what in sorted(described.items()):
        out[code] = {"description": what, "content": _CONTENT[InvalidOut if code == 422 else ErrorOut]}
        if code == 429:
            out[code]["headers"] = _RETRY_AFTER
    return out


STAFF_ERRORS = errors(400, 401, 403, 404, 409, 422, 503)
"""What the staff routers may answer (the router-wide ``responses`` of inventory, alarms, incidents, ...)."""
