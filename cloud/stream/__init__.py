"""The live stream (GET /api/v1/stream): domain events as Server-Sent Events, scoped per caller, resumable."""
