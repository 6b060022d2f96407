"""The cyclic garbage collector held off while a long pass builds a big board's objects.

Why: decoding a board of 100,000 elements creates hundreds of thousands of dicts and lists,
none of them garbage and none in a cycle, yet each 700 of them start a collection that walks
the young ones, and the older generations are walked again and again as they grow: a third of
the decode (``checkpoint.load``: 2.0 -> 1.3 s measured on the 100,000-element board of
``bench/big_boards.py``). Held off for the pass, the collector runs as usual afterwards.

The collector is the process's, so passes in several threads share one hold: it is taken by
the first and given back by the last. Nothing that runs meanwhile depends on collection: the
server's objects are freed by reference counting, and the memory budget (``live/budget.py``)
calls ``gc.collect()`` itself, which works while the collector is held off.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_holders = 0
_was_enabled = False


@contextmanager
def paused() -> Iterator[None]:
    """No automatic collection for the block's duration (in any thread)."""
    global _holders, _was_enabled
    with _lock:
        if _holders == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _holders += 1
    try:
        yield
    finally:
        with _lock:
            _holders -= 1
            if _holders == 0 and _was_enabled:
                gc.enable()
