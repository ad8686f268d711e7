"""ShedWatch cloud."""
