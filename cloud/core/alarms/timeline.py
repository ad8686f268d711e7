"""Every kind of line an incident's timeline can hold (docs/alarms.md, Incidents), so pages can label each one.

Kinds are plain strings in the store (a new one needs no migration); this list is what the pages translate, and
tests/unit/dashboards/test_labels.py checks that every kind the cloud's code writes is in it.
"""

from typing import Final

# A paging step's line is STEP_PREFIX + the step's name (clocks.due_steps), after a class upgrade with its
# phase prefix ``upN_`` between them (``step_up1_open``).
STEP_PREFIX: Final = "step_"
STEPS: Final = ("open", "ack_overdue_1", "ack_overdue_2", "onsite_overdue")

TIMELINE_KINDS: Final = (
    "first_signal",
    "interlock",
    "alarm_joined",
    "alarm_inhibited",
    "upgraded",
    "alarm_cleared",
    "alarm_returned",
    *(STEP_PREFIX + s for s in STEPS),
    "alert_delivered",
    "alert_retrying",
    "alert_failed",
    "alert_superseded",
    "no_channel",
    "nobody_on_duty",
    "acknowledged",
    "on_site",
    "resolved",
    "comment",
    "assigned",
)
