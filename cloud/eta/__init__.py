"""The free-socket ETA of each full shed, computed in the background for GET /api/v1/availability."""
