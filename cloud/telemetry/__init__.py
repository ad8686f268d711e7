"""Telemetry stores: one small interface, an SQLite default and an InfluxDB backend."""
