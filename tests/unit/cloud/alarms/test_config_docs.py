"""The alarm configuration in force: the TOML seed with API-saved community documents on top (pure)."""

import pytest

from cloud.alarms.config import AlarmConfig, Community, Person, ShiftConfig
from cloud.alarms.config_docs import ConfigConflict, merge
from cloud.state.config_docs import DocKind

SEED = AlarmConfig(
    person=[Person(id="boss", targets=["json://a/x"]), Person(id="li", targets=["json://a/li"])],
    community=[
        Community(name="default", ack_s=300, shift=[ShiftConfig(role="property_manager", person="boss")]),
        Community(name="c1", onsite_s=900, shift=[ShiftConfig(role="guard", person="li")]),
    ],
)


def test_no_documents_is_the_seed() -> None:
    assert merge(SEED, {}) == SEED


def test_a_community_document_replaces_only_its_part() -> None:
    merged = merge(SEED, {("c1", DocKind.COMMUNITY): {"ack_s": 60, "tz": "Asia/Urumqi"}})
    c1 = merged.community_of("c1")
    assert (c1.ack_s, c1.onsite_s, c1.tz) == (60, 600, "Asia/Urumqi")  # the document replaces the whole part
    assert [s.person for s in c1.shift] == ["li"]  # the rota it had


def test_an_unnamed_community_starts_from_the_default_entry() -> None:
    merged = merge(SEED, {("c9", DocKind.COMMUNITY): {"onsite_s": 420}})
    c9 = merged.community_of("c9")
    assert (c9.name, c9.onsite_s, [s.person for s in c9.shift]) == ("c9", 420, ["boss"])
    assert merged.community_of("default").onsite_s == 600  # the default itself is untouched


def test_channels_add_and_replace_people_and_rota_uses_them() -> None:
    docs = {
        ("c1", DocKind.CHANNELS): {"person": [{"id": "li", "targets": ["json://b/li"]}, {"id": "wu"}]},
        ("c1", DocKind.ROTA): {"chain": ["guard"], "shift": [{"role": "guard", "person": "wu"}]},
    }
    merged = merge(SEED, docs)
    assert merged.people()["li"].targets == ["json://b/li"] and "wu" in merged.people()
    assert merged.community_of("c1").rota().level(0, 0) == ["wu"]


@pytest.mark.parametrize(
    ("docs", "reason"),
    [
        ({("c1", DocKind.ROTA): {"shift": [{"role": "guard", "person": "ghost"}]}}, "unknown person 'ghost'"),
        ({("c1", DocKind.ROTA): {"chain": ["guard"], "shift": [{"role": "cook", "person": "li"}]}}, "not in the chain"),
        (
            {("c1", DocKind.CHANNELS): {"person": [{"id": "x"}]}, ("c2", DocKind.CHANNELS): {"person": [{"id": "x"}]}},
            "already defined by community 'c1'",
        ),
    ],
)
def test_documents_that_cannot_page_are_refused(
    docs: dict[tuple[str, DocKind], dict[str, object]], reason: str
) -> None:
    with pytest.raises(ConfigConflict, match=reason):
        merge(SEED, docs)


def test_bad_documents_are_refused_by_their_models() -> None:
    with pytest.raises(ValueError, match="unknown time zone"):
        merge(SEED, {("c1", DocKind.COMMUNITY): {"tz": "Nowhere/Land"}})
    with pytest.raises(ValueError, match="unique"):
        merge(SEED, {("c1", DocKind.CHANNELS): {"person": [{"id": "a"}, {"id": "a"}]}})
