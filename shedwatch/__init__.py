"""Entry points of ShedWatch: the ``shedwatch`` command, the demo, and broker processes."""
