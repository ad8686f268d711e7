"""Words for the HTML the cloud renders itself (a signed alert link's page): the pages' own dictionaries
(``dashboards/i18n``, one source of labels for both), and which language a request gets.

The language: ``?lang=zh-CN`` or ``?lang=en`` first (the page's switch), then the browser's ``Accept-Language``
(the first of Chinese or English it prefers), else zh-CN, the pages' default (docs/pages.md). A chat app's preview
sends no preference and gets Chinese.
"""

import json
from functools import cache
from importlib.resources import files
from typing import Final, Literal

Lang = Literal["zh-CN", "en"]
DEFAULT: Final[Lang] = "zh-CN"


def _q(params: list[str]) -> float:
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                return float(value)
            except ValueError:
                return 0.0
    return 1.0


def page_language(query: str | None, accept_language: str | None) -> Lang:
    """The language of a page for ``?lang=`` (``query``) and the ``Accept-Language`` header (RFC 9110 12.5.4)."""
    if query in ("zh-CN", "en"):
        return query  # type: ignore[return-value]  # narrowed by the test above
    best: tuple[float, int, Lang] | None = None
    for order, part in enumerate((accept_language or "").split(",")):
        tag, *params = (p.strip() for p in part.split(";"))
        primary = tag.split("-")[0].lower()
        if primary not in ("zh", "en"):
            continue  # "*" or another language: says nothing between these two
        q = _q(params)
        lang: Lang = "zh-CN" if primary == "zh" else "en"
        if q > 0 and (best is None or (q, -order) > (best[0], -best[1])):
            best = (q, order, lang)
    return best[2] if best else DEFAULT


@cache
def _dictionary(lang: Lang) -> dict[str, str]:
    loaded: dict[str, str] = json.loads(files("dashboards").joinpath("i18n", f"{lang}.json").read_text("utf-8"))
    return loaded


class Words:
    """The dictionary of one language: ``t`` fills ``{name}`` placeholders as the pages' ``t`` does."""

    def __init__(self, lang: Lang) -> None:
        self.lang = lang
        self._words = _dictionary(lang)

    def t(self, key: str, **values: object) -> str:
        """The label of ``key`` with its placeholders filled; the key itself when there is no label."""
        text = self._words.get(key, key)
        for name, value in values.items():
            text = text.replace("{" + name + "}", str(value))
        return text

    def label(self, key: str, fallback: str) -> str:
        """The label of ``key``, or ``fallback`` when the dictionary has none."""
        return self._words.get(key, fallback)
