"""The alarm service's pure core: lifecycle (ISA-18.2 / OPC UA Part 9), cloud rules, incidents, clocks, rota.

No I/O and no clock reads here: every function takes ``now`` (UTC epoch ms) from its caller.
"""
