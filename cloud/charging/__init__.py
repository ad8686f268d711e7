"""Charging sessions, wallets, tariffs and resident notifications in the cloud: the I/O around cloud.core.charging."""
