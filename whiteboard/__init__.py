"""A self-hosted collaborative whiteboard with a replayable history."""
