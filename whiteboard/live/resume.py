"""The rows a board keeps in memory so that reconnecting clients get only what they missed.

A client that comes back with ``hello.since`` gets the ops after ``since`` in its welcome when
this buffer still holds them all, and the whole board otherwise. Rows are kept as stored
(``LogRow``: the tick's ops as one msgpack array) rather than as dicts: a pen point costs one
byte or two here instead of a list slot, and resumes are rare enough to decode then.
"""

from __future__ import annotations

from collections import deque

from whiteboard.codec import Pieces, array_header
from whiteboard.history.pages import splice
from whiteboard.store.base import LogRow


class ResumeBuffer:
    """The newest rows, bounded by op count and by bytes (``resume_ops``, ``resume_bytes``).

    The newest row is always kept, however large: a client one tick behind must not get the
    whole board because that tick was big.
    """

    __slots__ = ("_bytes", "_ops", "max_bytes", "max_ops", "rows")

    def __init__(self, max_ops: int, max_bytes: int) -> None:
        self.max_ops = max_ops
        self.max_bytes = max_bytes
        self.rows: deque[LogRow] = deque()
        self._ops = 0
        self._bytes = 0

    def remember(self, row: LogRow) -> None:
        """Keep the row; forget the oldest ones past ``max_ops`` ops or ``max_bytes``."""
        self.rows.append(row)
        self._ops += row.last_seq - row.first_seq + 1
        self._bytes += len(row.ops)
        while len(self.rows) > 1 and (self._ops > self.max_ops or self._bytes > self.max_bytes):
            old = self.rows.popleft()
            self._ops -= old.last_seq - old.first_seq + 1
            self._bytes -= len(old.ops)

    def holds(self, since: int, head: int) -> bool:
        """Whether every op after ``since`` up to ``head`` is here."""
        return since == head or (
            since < head and bool(self.rows) and self.rows[0].first_seq <= since + 1
        )

    def packed_since(self, since: int, head: int) -> Pieces | None:
        """The server ops after ``since`` up to ``head``, each with its row's ``ts``, as one
        msgpack array; None when they are not all here (too old, or ``since`` is ahead).

        Spliced from the rows' bytes (``history.pages.splice``, as the history's ops pages are)
        rather than decoded and packed again: twenty ``since: 0`` joiners of a 50 MB board had
        the loop decode and repack the whole log (0.47 s); this costs a copy of the bytes.
        """
        if since == head:
            return Pieces((array_header(0),))
        if not self.holds(since, head):
            return None
        rows = [row for row in self.rows if row.last_seq > since]
        spliced = splice(rows, since, head - since)
        return Pieces((array_header(spliced.count), spliced.ops))

    @property
    def ops(self) -> int:
        """How many ops the kept rows hold."""
        return self._ops

    @property
    def bytes(self) -> int:
        """How many bytes of ops the kept rows hold."""
        return self._bytes
