"""Alarms and incidents to and from the JSON kept in the state store's ``body`` columns."""

from dataclasses import asdict
from typing import Any

import orjson

from cloud.core.alarms.incidents import Incident, Resolution
from cloud.core.alarms.model import Alarm, AlarmKey, Lifecycle, Origin
from cloud.core.alarms.rules import CLOUD_TYPES
from protocol.uplink import AlarmClass


def alarm_to_json(alarm: Alarm) -> str:
    """The alarm as a JSON object (key as text)."""
    data: dict[str, Any] = asdict(alarm)
    data["key"] = str(alarm.key)
    return orjson.dumps(data).decode()


def alarm_from_json(text: str | bytes) -> Alarm:
    """The inverse of alarm_to_json."""
    data = orjson.loads(text)
    data["key"] = AlarmKey.parse(data["key"])
    data["alarm_class"] = AlarmClass(data["alarm_class"])
    data["state"] = Lifecycle(data["state"])
    # Rows stored before alarms knew their origin: a type of the cloud's rules is taken as the cloud's (as
    # it was then treated), so such an alarm is still cleared when its rule no longer holds.
    default = Origin.CLOUD if data["key"].alarm_type in CLOUD_TYPES else Origin.EDGE
    data["origin"] = Origin(data.get("origin", default))
    return Alarm(**data)


def incident_to_json(incident: Incident) -> str:
    """The incident as a JSON object."""
    return orjson.dumps(asdict(incident)).decode()


def incident_from_json(text: str | bytes) -> Incident:
    """The inverse of incident_to_json."""
    data = orjson.loads(text)
    data["alarm_class"] = AlarmClass(data["alarm_class"])
    if data.get("resolution") is not None:
        data["resolution"] = Resolution(data["resolution"])
    return Incident(**data)
