"""The documented shape of the API's error answers, for each route's OpenAPI ``responses``.

FastAPI answers an ``HTTPException`` with ``{"detail": "..."}``; its own 422 (a request that breaks the
schema) keeps its list-shaped ``HTTPValidationError``. A route lists here every other status it may answer, so
clients (and schemathesis) know them from the spec alone.
"""

from typing import Any

from cloud.api.responses import ErrorOut


def errors(**codes: str) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for FastAPI: ``errors(e404="no live state for that socket")`` documents a 404.

    The content is spelled out as JSON (not ``model=``), so a route whose success is HTML or text still
    documents its errors as the JSON they are."""
    content = {"application/json": {"schema": ErrorOut.model_json_schema()}}
    return {int(code.removeprefix("e")): {"description": why, "content": content} for code, why in codes.items()}
