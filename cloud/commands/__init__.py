"""Commands from the cloud to an edge: build (pure), send and audit, match the answer, time out."""
