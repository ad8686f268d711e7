"""The documented error answers (cloud/api/responses.py, cloud/api/openapi_errors.py) and the 422 echo
(cloud/api/validation.py), pure."""

import json
import math

from cloud.api.openapi_errors import implied, with_implied_errors
from cloud.api.responses import ErrorOut, InvalidOut, errors
from cloud.api.validation import echoable


def test_errors_documents_each_status_with_its_body() -> None:
    doc = errors(401, 429, e404="no such user", e422="a weak password")
    assert list(doc) == [401, 404, 422, 429]
    assert doc[404]["description"] == "no such user" and doc[422]["description"] == "a weak password"
    assert doc[401]["description"].startswith("not logged in")
    schema = {code: d["content"]["application/json"]["schema"]["title"] for code, d in doc.items()}
    assert schema == {401: "ErrorOut", 404: "ErrorOut", 422: "InvalidOut", 429: "ErrorOut"}
    assert list(doc[429]["headers"]) == ["Retry-After"] and "headers" not in doc[401]
    # InvalidOut takes both a route's sentence and FastAPI's list; ErrorOut only a sentence
    InvalidOut.model_validate({"detail": "too short"})
    InvalidOut.model_validate({"detail": [{"loc": ["body"], "msg": "m", "type": "t"}]})
    assert ErrorOut.model_json_schema()["properties"]["detail"]["type"] == "string"


def test_what_an_operation_answers_through_its_dependencies() -> None:
    secured = {"security": [{"HTTPBearer": []}]}
    assert implied("get", secured) == [401]
    assert implied("POST", {**secured, "requestBody": {}}) == [401, 403, 400]
    assert implied("put", {"requestBody": {}}) == [400]
    assert implied("get", {"security": []}) == []


def test_implied_statuses_are_added_without_replacing_declared_ones() -> None:
    spec = {
        "paths": {
            "/a": {
                "post": {"security": [{"b": []}], "requestBody": {}, "responses": {"200": {}, "403": {"x": 1}}},
                "get": {"responses": {"200": {}}},
                "parameters": [],
            }
        }
    }
    out = with_implied_errors(spec)
    post = out["paths"]["/a"]["post"]["responses"]
    assert list(post) == ["200", "400", "401", "403"] and post["403"] == {"x": 1}
    assert out["paths"]["/a"]["get"]["responses"] == {"200": {}}
    assert list(spec["paths"]["/a"]["post"]["responses"]) == ["200", "403"]  # the input is left alone


def test_a_422_echo_is_strict_json_for_any_input() -> None:
    errors_ = [{"input": b"\xb0ok", "ctx": {"v": [math.inf, (-math.inf, math.nan)]}, "loc": ("body",)}]
    got = echoable(errors_)
    assert got == [{"input": "\ufffdok", "ctx": {"v": ["inf", ["-inf", "nan"]]}, "loc": ["body"]}]
    json.dumps(got, allow_nan=False)
