"""The 422 answer for a request that does not validate, safe for any input.

FastAPI's own handler echoes each error's ``input``, and two kinds of input cannot be echoed as strict JSON
(RFC 8259), so the answer itself failed and the client got a 500: a JSON body may carry ``NaN`` or ``Infinity``
(Python's parser accepts them), and a body that is not UTF-8 is echoed as the raw ``bytes``. Here non-finite
numbers become strings ("inf", "-inf", "nan") and bytes their UTF-8 decoding with U+FFFD for what does not
decode; the shape stays FastAPI's documented ``HTTPValidationError`` (``{"detail": [{"loc", "msg", "type",
"input", ...}]}``).
"""

import math
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse


def echoable(value: Any) -> Any:
    """``value`` with every non-finite float replaced by its ``str`` and every ``bytes`` by its UTF-8 decoding
    (undecodable bytes as U+FFFD), at any depth of lists, tuples and dicts."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("utf-8", errors="replace")
    if isinstance(value, dict):
        return {k: echoable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [echoable(v) for v in value]
    return value


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    del request
    # Before the encoder (which decodes bytes strictly) and after it (which may make floats of other types).
    return JSONResponse(status_code=422, content={"detail": echoable(jsonable_encoder(echoable(exc.errors())))})


def install_validation_handler(app: FastAPI) -> None:
    """Answer every RequestValidationError through ``_validation_error``."""
    app.add_exception_handler(RequestValidationError, _validation_error)
