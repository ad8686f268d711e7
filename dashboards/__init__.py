"""Pages the cloud serves, shipped as package data (read with importlib.resources; no build step)."""
