"""The pages: HTML and their assets, read from the ``dashboards`` package data (so an installed wheel serves them).

``GET /`` availability, ``/control`` the control-room wall screen, ``/phone`` the security staff's phone view,
``/resident`` the residents' page; ``GET /pages/{path}`` their scripts, styles, translations and vendored
libraries (docs/pages.md). Nothing is built at run time and nothing comes from a CDN: a LAN without internet
serves every page.
"""

from functools import cache
from importlib.resources import files

from fastapi import APIRouter, HTTPException
from fastapi.responses import HTMLResponse, Response

from cloud.api.responses import errors

router = APIRouter()

# Which folders of the package may be served, and as what. Anything else is a 404, so a request can never read
# the Python modules or the Grafana provisioning through this route.
ASSET_FOLDERS = frozenset({"assets", "i18n", "vendor"})
CONTENT_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
}
# Assets change only with a release; an hour keeps a wall screen's reloads off the server without pinning a
# stale script for a day after an upgrade.
ASSET_CACHE = "public, max-age=3600"
PAGES = {"control": "control.html", "phone": "phone.html", "resident": "resident.html"}


@cache
def _text(*parts: str) -> str:
    return files("dashboards").joinpath(*parts).read_text(encoding="utf-8")


def asset_type(path: str) -> str | None:
    """The Content-Type of a servable asset path (``assets/app.js``), or None when it may not be served."""
    parts = path.split("/")
    if len(parts) < 2 or parts[0] not in ASSET_FOLDERS:
        return None
    if any(not p or p.startswith(".") for p in parts):
        return None  # no "..", no hidden files, no empty segments
    dot = parts[-1].rfind(".")
    return CONTENT_TYPES.get(parts[-1][dot:]) if dot > 0 else None


@router.get("/", response_class=HTMLResponse)
def dashboard() -> HTMLResponse:
    """The availability page (static HTML that polls the API)."""
    return HTMLResponse(_text("index.html"))


@router.get("/control", response_class=HTMLResponse)
def control_page() -> HTMLResponse:
    """The control-room wall screen."""
    return HTMLResponse(_text(PAGES["control"]))


@router.get("/phone", response_class=HTMLResponse)
def phone_page() -> HTMLResponse:
    """The security staff's phone view."""
    return HTMLResponse(_text(PAGES["phone"]))


@router.get("/resident", response_class=HTMLResponse)
def resident_page() -> HTMLResponse:
    """The residents' page."""
    return HTMLResponse(_text(PAGES["resident"]))


@router.get("/pages/{path:path}", responses=errors(e404="no such asset"))
def page_asset(path: str) -> Response:
    """A page's script, style, translation or vendored library; 404 for anything else."""
    kind = asset_type(path)
    if kind is None:
        raise HTTPException(status_code=404, detail="no such asset")
    try:
        body = _text(*path.split("/"))
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        raise HTTPException(status_code=404, detail="no such asset") from None
    return Response(body, media_type=kind, headers={"Cache-Control": ASSET_CACHE})
