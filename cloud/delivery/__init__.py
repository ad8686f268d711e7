"""End-to-end delivery: which stream seqs of each shed the cloud has stored, which are missing, what to ask again."""
