"""Errors of the edge agent.

EdgeError
 +-- ConfigError      the config file or a pushed config is invalid
 +-- OutboxError      the on-disk outbox cannot be opened or written
"""


class EdgeError(Exception):
    """Root of every error the edge agent raises."""


class ConfigError(EdgeError):
    """The edge configuration is invalid; the message says which field and why."""


class OutboxError(EdgeError):
    """The durable outbox failed."""
