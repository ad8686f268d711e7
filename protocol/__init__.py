"""ShedWatch wire contract: topics, payload models, edge config, clock.

The only package that edge, cloud and simulators share. Nothing here does I/O.
"""

SCHEMA_VERSION = 1
