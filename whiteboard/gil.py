"""Long passes in worker threads that hand the event loop its GIL back often.

Why: a thread that runs Python without pause keeps the GIL until the interpreter's switch
interval (5 ms) makes it let go. The event loop gives the GIL up at every syscall (each send to
a client, each select), and each time it must then wait for that thread's interval to end to
take it back: a fan-out of 200 writes took a second while a big board was decoded beside it
(a convoy; docs/scaling.md, "Loading"). A pass that calls ``offer()`` after each item lets the
loop in within one item's work instead.

``offer()`` does nothing outside ``offering()``: the same code (``checkpoint.load``,
``Document.from_state``) also runs on the loop and in worker processes, where there is nobody
to hand the GIL to.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

_here = threading.local()


def offer() -> None:
    """Let another thread that waits for the GIL have it now (if this thread is offering)."""
    if getattr(_here, "offering", False):
        time.sleep(0)  # releases the GIL; a waiting thread takes it before this one returns


@contextmanager
def offering() -> Iterator[None]:
    """Make ``offer()`` hand over the GIL in this thread, for the block's duration."""
    _here.offering = True
    try:
        yield
    finally:
        _here.offering = False
