"""The 422 answer for a request that does not validate, safe for any input.

FastAPI's own handler echoes each error's ``input``; a JSON body may carry ``NaN`` or ``Infinity`` (Python's
parser accepts them), which strict JSON (RFC 8259) cannot encode, so the answer itself failed and the client got
a 500. Here non-finite numbers in the echo become strings ("inf", "-inf", "nan"); the shape stays FastAPI's
documented ``HTTPValidationError`` (``{"detail": [{"loc", "msg", "type", "input", ...}]}``).
"""

import math
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse


def finite(value: Any) -> Any:
    """``value`` with every non-finite float (at any depth of lists and dicts) replaced by its ``str``."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite(v) for v in value]
    return value


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    del request
    return JSONResponse(status_code=422, content={"detail": finite(jsonable_encoder(exc.errors()))})


def install_validation_handler(app: FastAPI) -> None:
    """Answer every RequestValidationError through ``_validation_error``."""
    app.add_exception_handler(RequestValidationError, _validation_error)
