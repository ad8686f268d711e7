"""Errors of the cloud.

CloudError
 ├── StoreError        a store could not be opened, migrated or written
 └── SettingsError     settings that cannot work together
"""


class CloudError(Exception):
    """Base of every cloud error."""


class StoreError(CloudError):
    """A store could not be opened, migrated or written."""


class SettingsError(CloudError):
    """Settings that cannot work together."""
