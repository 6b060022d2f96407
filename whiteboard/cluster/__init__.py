"""Coordination between the processes that serve the same boards (locks, presence, liveness)."""
