"""GET /docs: Swagger UI for /openapi.json, served from the vendored swagger-ui-dist (dashboards/vendor/swagger-ui),
so the API's browsable schema works on a LAN without internet. FastAPI's own /docs and /redoc load their scripts
from a CDN, so the app turns both off (cloud.api.app) and serves this page instead; there is no /redoc."""

from fastapi import APIRouter
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse

router = APIRouter()

VENDOR = "/pages/vendor/swagger-ui"
# validatorUrl None: Swagger UI would otherwise send the schema to validator.swagger.io for its badge.
PARAMETERS = {"validatorUrl": None}


@router.get("/docs", include_in_schema=False)
def swagger_ui() -> HTMLResponse:
    """The Swagger UI page; every script, style and icon it loads comes from this server (favicon: none)."""
    return get_swagger_ui_html(
        openapi_url="/openapi.json",
        title="ShedWatch cloud API",
        swagger_js_url=f"{VENDOR}/swagger-ui-bundle.js",
        swagger_css_url=f"{VENDOR}/swagger-ui.css",
        swagger_favicon_url="data:,",
        swagger_ui_parameters=PARAMETERS,
    )
