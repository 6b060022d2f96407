"""A self-hosted collaborative whiteboard with a replayable history."""

# Kept until live/ adopts it: web/socket.py still imports the pattern from here.
from whiteboard.protocol import BOARD_ID_PATTERN

__all__ = ["BOARD_ID_PATTERN"]
