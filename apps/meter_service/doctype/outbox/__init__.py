"""The outbox: every side effect a change promises, written in the same transaction."""
