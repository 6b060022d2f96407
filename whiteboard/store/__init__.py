"""Durable storage of boards: the op log, checkpoints and client names."""
