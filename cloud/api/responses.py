"""The error answers of the staff routes, for their OpenAPI documents: every route lists what it may answer."""

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
    503: "the service this needs is off or not connected in this process",
}

STAFF_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": InvalidOut if code == 422 else ErrorOut, "description": what} for code, what in _WHAT.items()
}
