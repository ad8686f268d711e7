"""The event bus: domain events from ingest to every subscriber, in one process or across processes."""
