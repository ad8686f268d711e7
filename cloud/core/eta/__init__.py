"""The estimated time until the next socket of a shed frees (docs/accounts.md, "ETA of the next free socket")."""
