"""The cloud's pure core: domain events, the batch model, the registry and the live-state reducers.

Nothing here does I/O or reads a clock (import-linter keeps paho, SQLAlchemy, ``time`` and
``threading`` out): adapters around it store, publish and serve what it decides.
"""
