"""Blobs: the images of a board, checked (check.py) and stored once by their hash."""
