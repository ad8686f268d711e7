"""GET /: the availability page, read from the ``dashboards`` package data (so an installed wheel serves it)."""

from functools import cache
from importlib.resources import files

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

router = APIRouter()


@cache
def _page(name: str) -> str:
    return (files("dashboards") / name).read_text(encoding="utf-8")


@router.get("/", response_class=HTMLResponse)
def dashboard() -> HTMLResponse:
    """The availability page (static HTML that polls the API)."""
    return HTMLResponse(_page("index.html"))
