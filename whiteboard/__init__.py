"""A self-hosted collaborative whiteboard with a replayable history."""

BOARD_ID_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}"
