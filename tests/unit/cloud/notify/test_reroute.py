"""Pending alerts to a target their person no longer has are rerouted to the person's current targets."""

from cloud.core.notify.reroute import PendingAlert, reroutes


def pending(person: str, target: str, n: int = 1) -> PendingAlert:
    return PendingAlert(n, "inc-1", "open", person, target, "t", "b")


def test_only_alerts_to_a_removed_target_are_rerouted_to_the_current_ones() -> None:
    kept, moved, gone = pending("li", "json://a", 1), pending("li", "json://old", 2), pending("wang", "json://w", 3)
    out = reroutes([kept, moved, gone], {"li": ["json://a", "json://new"]})
    assert out == [(moved, ("json://a", "json://new")), (gone, ())]  # wang is no longer anyone's person: none


def test_nothing_changes_while_targets_stand() -> None:
    assert reroutes([pending("li", "json://a")], {"li": ["json://a"]}) == []
