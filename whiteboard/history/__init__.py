"""The past of a board: states at any seq, log pages, checkpoints, board files and forks."""
