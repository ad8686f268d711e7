"""The statuses a route answers because of what it depends on, added to its OpenAPI operation.

A route that reads the caller (``PrincipalDep``: the operation names a ``security`` scheme) answers 401 for a bad
or expired credential before its own code runs, and, when it changes state, 403 for a session cookie sent
cross-site (cloud/auth/csrf.py). A route with a request body answers 400 when FastAPI cannot read it (e.g. bytes
that are not UTF-8). Each route still declares what its own code raises (cloud/api/responses.py ``errors``);
this adds only the statuses its dependencies raise and it did not declare.
"""

import copy
from typing import Any

from fastapi import FastAPI

from cloud.api.responses import errors

_SAFE = frozenset({"get", "head", "options"})  # RFC 9110 9.2.1: the methods the CSRF check lets through
_METHODS = _SAFE | {"post", "put", "patch", "delete"}


def implied(method: str, operation: dict[str, Any]) -> list[int]:
    """The statuses ``operation`` (an OpenAPI Operation Object, for HTTP ``method``) answers through its
    dependencies: 401 (and 403 unless ``method`` is safe) when it has ``security``; 400 with a ``requestBody``."""
    codes = []
    if operation.get("security"):
        codes.append(401)
        if method.lower() not in _SAFE:
            codes.append(403)
    if "requestBody" in operation:
        codes.append(400)
    return codes


def with_implied_errors(spec: dict[str, Any]) -> dict[str, Any]:
    """A copy of the OpenAPI document ``spec`` in which every operation also documents its ``implied`` statuses
    (a status it documents already keeps its own description and body)."""
    out = copy.deepcopy(spec)
    for item in out.get("paths", {}).values():
        for method, operation in item.items():
            if method not in _METHODS:
                continue
            responses = operation.setdefault("responses", {})
            for code, doc in errors(*implied(method, operation)).items():
                responses.setdefault(str(code), doc)
            operation["responses"] = dict(sorted(responses.items()))
    return out


def install_implied_errors(app: FastAPI) -> None:
    """Make ``app.openapi()`` (and so ``/openapi.json``) return ``with_implied_errors`` of FastAPI's document."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = with_implied_errors(FastAPI.openapi(app))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
