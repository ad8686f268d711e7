"""Accounts' security: password hashing, API tokens, login throttling and the auth settings (docs/accounts.md)."""
