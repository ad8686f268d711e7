"""Which language the cloud's own HTML (a signed link's page) is written in, and its words: the pages'
dictionaries."""

import pytest

from cloud.api.page_words import Words, page_language


@pytest.mark.parametrize(
    ("query", "accept", "lang"),
    [
        (None, None, "zh-CN"),  # a chat app's preview: no preference, the pages' default
        (None, "", "zh-CN"),
        (None, "*", "zh-CN"),
        (None, "fr-FR,fr;q=0.9", "zh-CN"),  # neither language asked for
        (None, "en-US,en;q=0.9", "en"),
        (None, "zh-CN,zh;q=0.9,en;q=0.8", "zh-CN"),
        (None, "fr,en;q=0.5,zh;q=0.7", "zh-CN"),  # by quality, not by order
        (None, "en;q=0.7,zh-TW;q=0.7", "en"),  # equal quality: the first named
        (None, "en;q=0,zh;q=0.1", "zh-CN"),  # q=0 means "not this one"
        (None, "en;q=bad", "zh-CN"),
        ("en", "zh-CN", "en"),  # the page's switch wins over the browser
        ("zh-CN", "en", "zh-CN"),
        ("de", "en", "en"),  # an unknown ?lang= is ignored
    ],
)
def test_page_language(query: str | None, accept: str | None, lang: str) -> None:
    assert page_language(query, accept) == lang


def test_words_come_from_the_pages_dictionaries_with_placeholders_filled() -> None:
    zh, en = Words("zh-CN"), Words("en")
    assert en.t("phone.done", person="guard-li") == "Recorded for guard-li."
    assert "guard-li" in zh.t("phone.done", person="guard-li") and zh.t("phone.done") != en.t("phone.done")
    assert en.label("class.fire", "x") == "FIRE" and en.label("class.nonesuch", "x") == "x"
    assert en.t("no.such.key") == "no.such.key"
