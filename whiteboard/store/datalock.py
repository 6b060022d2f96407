"""One server per data directory: an exclusive lock taken at start, held until the process ends.

Why: two servers on one SQLite database both accept writes, and each thinks it alone knows the
boards' heads (``sqlite.py`` counts heads and client ids in memory), so their rows would
interleave into a log neither can read back. The lock is an ``flock`` on ``server.lock`` in the
directory, released by the kernel when the process dies however it dies (kill -9 included), so
a crashed server never leaves a stale lock behind. The file's text says who holds it, so that
the second server's one line names the first.
"""

from __future__ import annotations

import contextlib
import fcntl
import os

from whiteboard.store.base import StoreError

LOCK_NAME = "server.lock"


class DataLock:
    """Holds the lock of ``data_dir``; ``describe`` updates what a second server is told."""

    def __init__(self, data_dir: str) -> None:
        self.path = os.path.join(data_dir, LOCK_NAME)
        self._fd = -1
        self._data_dir = data_dir

    def acquire(self) -> None:
        if os.path.exists(self._data_dir) and not os.path.isdir(self._data_dir):
            raise StoreError(f"--data {self._data_dir} is a file, not a directory")
        try:
            os.makedirs(self._data_dir, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise StoreError(
                f"cannot use the data directory {self._data_dir}: {exc.strerror or exc}"
            ) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read(fd) or "another process"
            os.close(fd)
            raise StoreError(
                f"the data directory {self._data_dir} is in use by another server "
                f"({holder}): stop it, or give this one another --data"
            ) from None
        self._fd = fd
        self.describe(f"pid {os.getpid()}, starting")

    def describe(self, text: str) -> None:
        """What the lock file says about its holder (best effort: a read-only disk keeps the old
        text, and the lock itself still holds)."""
        if self._fd < 0:
            return
        with contextlib.suppress(OSError):
            os.ftruncate(self._fd, 0)
            os.pwrite(self._fd, text.encode() + b"\n", 0)

    def release(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)  # closing drops the flock
            self._fd = -1


def _read(fd: int) -> str:
    with contextlib.suppress(OSError):
        return os.pread(fd, 500, 0).decode(errors="replace").strip()
    return ""
