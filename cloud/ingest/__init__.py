"""Ingest: MQTT shared-subscription workers that validate, deduplicate and durably store edge messages."""
