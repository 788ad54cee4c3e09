"""API tokens of programs: stored as hashes, shown once, expiring, revocable."""
