"""The permission table: for every action, what each role is granted (docs/accounts.md, "Permissions").

Least privilege: a role missing from an action's row is refused. The table is data so the docs and
the table-driven tests read the same thing; ``authorize`` applies it.
"""

from enum import StrEnum
from types import MappingProxyType
from typing import Final

from cloud.core.access.roles import Role


class Action(StrEnum):
    """Everything the API lets someone do, named ``resource.verb``."""

    AVAILABILITY_READ = "availability.read"  # free / charging counts and the ETA: public, no personal data
    TARIFF_READ = "tariff.read"  # prices are posted at every socket anyway
    INVENTORY_READ = "inventory.read"  # sheds, posts, sockets with live state
    HISTORY_READ = "history.read"  # downsampled telemetry
    ALARM_READ = "alarm.read"
    ALARM_RESPOND = "alarm.respond"  # acknowledge, comment, on site, resolve with a classification
    ALARM_ASSIGN = "alarm.assign"
    ALARM_SHELVE = "alarm.shelve"  # shelve and silence: ISA-18.2 keeps them under administrative control
    INCIDENT_READ = "incident.read"
    INCIDENT_RESPOND = "incident.respond"
    INSPECTION_READ = "inspection.read"
    INSPECTION_RECORD = "inspection.record"
    COMMAND_STOP_SOCKET = "command.stop_socket"  # cutting power is always allowed to those who answer alarms
    COMMAND_START_SOCKET = "command.start_socket"  # lifting an operator's stop: the control room, not the guard
    COMMAND_RESET_TRIP = "command.reset_trip"  # re-energising after a safety trip: control room or after repair
    COMMAND_PUSH_CONFIG = "command.push_config"
    CONFIG_COMMUNITY = "config.community"  # create and edit communities
    CONFIG_INVENTORY = "config.inventory"  # sheds, posts, sockets, sensors, cameras
    CONFIG_THRESHOLDS = "config.thresholds"
    CONFIG_ROTA = "config.rota"
    CONFIG_CHANNELS = "config.channels"  # staff alert channels
    CONFIG_TARIFF = "config.tariff"
    RESIDENT_READ = "resident.read"  # personal data: names, phone, notification channels
    RESIDENT_WRITE = "resident.write"
    USER_MANAGE = "user.manage"  # staff accounts and roles
    SESSION_READ = "session.read"
    SESSION_START = "session.start"
    SESSION_STOP = "session.stop"
    WALLET_READ = "wallet.read"
    WALLET_CREDIT = "wallet.credit"
    NOTIFICATION_MANAGE = "notification.manage"  # a resident's own opt-ins and channel
    AUDIT_READ = "audit.read"
    STREAM_READ = "stream.read"  # the live stream, filtered per event by the same table
    DEMO_DRILL = "demo.drill"  # start the demo's thermal-runaway drill: only a demo cloud has the route


class Grant(StrEnum):
    """How far a role's permission for an action reaches."""

    PUBLIC = "public"  # anyone, logged in or not, any community
    COMMUNITY = "community"  # resources of the user's own communities
    OWN = "own"  # only resources the user owns, in their own communities


_A, _O, _S, _I, _R = Role.ADMIN, Role.OPERATOR, Role.SECURITY, Role.INSTALLER, Role.RESIDENT
_C, _OWN = Grant.COMMUNITY, Grant.OWN
_EVERYONE = {role: Grant.PUBLIC for role in Role}
_STAFF = {_A: _C, _O: _C, _S: _C, _I: _C}
_RESPONDERS = {_A: _C, _O: _C, _S: _C}

PERMISSIONS: Final[MappingProxyType[Action, MappingProxyType[Role, Grant]]] = MappingProxyType(
    {
        action: MappingProxyType(grants)
        for action, grants in {
            Action.AVAILABILITY_READ: _EVERYONE,
            Action.TARIFF_READ: _EVERYONE,
            Action.INVENTORY_READ: _STAFF,
            Action.HISTORY_READ: _STAFF,
            Action.ALARM_READ: _STAFF,
            Action.ALARM_RESPOND: _RESPONDERS,
            Action.ALARM_ASSIGN: {_A: _C, _O: _C},
            Action.ALARM_SHELVE: {_A: _C, _O: _C},
            Action.INCIDENT_READ: _RESPONDERS,
            Action.INCIDENT_RESPOND: _RESPONDERS,
            Action.INSPECTION_READ: _STAFF,
            Action.INSPECTION_RECORD: {_A: _C, _S: _C, _I: _C},
            Action.COMMAND_STOP_SOCKET: _RESPONDERS,
            Action.COMMAND_START_SOCKET: {_A: _C, _O: _C},
            Action.COMMAND_RESET_TRIP: {_A: _C, _O: _C, _I: _C},
            Action.COMMAND_PUSH_CONFIG: {_A: _C, _I: _C},
            Action.CONFIG_COMMUNITY: {_A: _C},
            Action.CONFIG_INVENTORY: {_A: _C, _I: _C},
            Action.CONFIG_THRESHOLDS: {_A: _C, _I: _C},
            Action.CONFIG_ROTA: {_A: _C, _O: _C},
            Action.CONFIG_CHANNELS: {_A: _C, _O: _C},
            Action.CONFIG_TARIFF: {_A: _C},
            Action.RESIDENT_READ: {_A: _C, _O: _C, _R: _OWN},
            Action.RESIDENT_WRITE: {_A: _C, _O: _C, _R: _OWN},
            Action.USER_MANAGE: {_A: _C},
            Action.SESSION_READ: {_A: _C, _O: _C, _R: _OWN},
            Action.SESSION_START: {_R: _OWN},
            Action.SESSION_STOP: {**_RESPONDERS, _R: _OWN},
            Action.WALLET_READ: {_A: _C, _O: _C, _R: _OWN},
            Action.WALLET_CREDIT: {_A: _C, _O: _C},
            Action.NOTIFICATION_MANAGE: {_R: _OWN},
            Action.AUDIT_READ: {_A: _C},
            Action.STREAM_READ: {**_STAFF, _R: _OWN},
            Action.DEMO_DRILL: {_A: _C},
        }.items()
    }
)

# Actions that change state: each one leaves an audit record (issue 12: "an audit record for every
# state-changing action"). Reads are not audited.
STATE_CHANGING: Final[frozenset[Action]] = frozenset(
    a for a in Action if not a.value.endswith(".read") and a is not Action.STREAM_READ
)


def grant(role: Role, action: Action) -> Grant | None:
    """What the table grants this role for this action, or None (refused)."""
    return PERMISSIONS[action].get(role)
