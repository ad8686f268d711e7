"""Charging sessions on authorised sheds: the pure session state machine and wallet rules (docs/accounts.md)."""
