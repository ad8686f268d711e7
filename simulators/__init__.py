"""ShedWatch simulators."""
