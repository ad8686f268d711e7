"""ShedWatch edge."""
