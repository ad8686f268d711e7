"""The alarm service: applies edge alarm events and cloud rules to the pure core, persists, pages, escalates."""
