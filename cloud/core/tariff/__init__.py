"""Tariffs per community and the cost of a charging session (docs/accounts.md, "Tariffs")."""
