"""Who may do what: roles, the permission table and the pure ``authorize`` decision (docs/accounts.md)."""
