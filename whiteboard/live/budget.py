"""The process's memory budget (``--memory-mb``): what it holds, and what it refuses past it.

Why: before issue 12, 20 connections from one address sending pen ops within their byte
budgets took the server from 35 MB to 8.5 GB in 25 s. Nothing knew how much memory the boards
held, so nothing could say no before the machine ran out.

What is counted, without ever walking a state: each loaded board's ``Document.mem`` (kept up to
date op by op), its packed cache (``checkpoint.held_bytes``: each element's bytes, about its
size on the wire, and the welcome's joined array), its resume buffer's bytes, its queued ops
(``Board.queued``) and what waits to be written to its clients (``Board.unsent``, up to
``backlog_bytes`` each); the same for boards unloaded but not yet saved (``leaving``); the
bytes reserved by requests in flight (imports); and the process's resident size, read from
``/proc`` at most every ``CHECK_EVERY_S``. Against the budget:

- one board may hold ``BOARD_SHARE`` of it (past it, ``board_full``: ``Document.max_mem``);
- one client address may have grown the loaded boards by ``ADDRESS_SHARE`` of it (its growing
  ops are then refused with ``rate_limited``; the share is returned when those boards unload);
- past ``SHED_AT`` of the budget in all, new work is shed: growing ops are refused with
  ``rate_limited``, new boards are not loaded (1013), heavy requests and imports get 503, and
  boards whose last client left unload at once instead of after ``idle_unload_s``;
- when only the resident size is past its line (the estimate is not), the memory it shows may be
  allocator slack that nobody in particular holds, so growing ops are refused only from the
  addresses that grew the boards by more than ``SMALL``: a flood must not get the small edits of
  everyone else refused (test_memory.py's one-address flood). Past ``RSS_DROP_AT`` everyone's are;
- past ``DROP_AT``, the greediest connections (those that grew the boards most) are closed with
  1013, a few at every check, until the total is back under it.

Memory freed by an unload is handed back to the system (``malloc_trim``), so the resident size
falls again once the boards are gone.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import ctypes.util
import gc
import itertools
import logging
import os
import time
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from whiteboard import protocol
from whiteboard.config import Settings
from whiteboard.history import checkpoint

if TYPE_CHECKING:
    from whiteboard.live.board import Board
    from whiteboard.live.session import Transport

log = logging.getLogger(__name__)

BOARD_SHARE = 0.25
ADDRESS_SHARE = 0.25
SHED_AT = 0.7
DROP_AT = 0.85
"""Shares of the budget, by the estimate. The resident size is a backstop one step later (it
sheds at ``DROP_AT`` and drops at ``RSS_DROP_AT``): freed memory does not always leave it, and
a server must not refuse work for ever because its heap is fragmented."""
RSS_DROP_AT = 0.95
UNLOAD_AT = 0.2
"""Past this share, a board whose last client left unloads at once rather than after
``idle_unload_s``: keeping it warm for a quick return is worth less than its memory."""
CHECK_EVERY_S = 0.25
SLACK_TRIM_EVERY_S = 1.0
WIRE_TO_MEMORY = 4
"""What a growing op's frame byte becomes in a Document at most: a point value of 1 byte on the
wire is 4 bytes in ``array('i')``; an element's ~60 wire bytes are ~``ELEMENT_BYTES`` (512)."""
GROWS = ("add", "append")
SHORT_OF_MEMORY = "The server is short of memory right now: try again in a little while."
SMALL = 0.02
"""Under the resident-size line, an address that grew the loaded boards by less than this share
of the budget goes on drawing (at 1 GB, 20 MB by the count: a person's thousands of strokes)."""
SHORT_FOR_YOU = (
    "The server is short of memory right now, and your address has added more than most: "
    "try again in a little while."
)
ADDRESS_FULL = (
    "Your address has added as much as this server keeps in memory for one address: "
    "try again once some boards have closed."
)
CLOSE_GREEDY = (protocol.CLOSE_TRY_AGAIN, "the server is short of memory; reconnect later")
IDLE_BOARD_S = 300.0
"""A board without an edit for this long, while memory is past ``UNLOAD_AT``, has its
connections closed (``CLOSE_IDLE``) so it can unload: a socket that said hello and nothing more
must not pin a board for ever. The app reconnects at once (1001 is routine for it) and loads the
board again; a script that only wanted to hold memory does not."""
SWEEP_EVERY_S = 10.0
CLOSE_IDLE = (protocol.CLOSE_GOING_AWAY, "closed while idle to free memory; reconnect")


def board_cap(settings: Settings) -> int:
    """The most memory one board's elements may take (``Document.max_mem``)."""
    return int(settings.memory_mb * (1 << 20) * BOARD_SHARE)


def _page_size() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError):  # pragma: no cover - not Linux
        return 4096


_PAGE = _page_size()


def rss_bytes() -> int:
    """The process's resident size now (0 where ``/proc`` is missing)."""
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):  # pragma: no cover - not Linux
        return 0


def _malloc_trim() -> None:
    """Give freed heap pages back to the system (glibc); a no-op elsewhere."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim(0)


class MemoryBudget:
    """One per process (the Hub's). All methods run on the IOLoop."""

    def __init__(self, settings: Settings, boards: Mapping[str, Board]) -> None:
        self.limit = int(settings.memory_mb * (1 << 20))
        self._boards = boards
        self.baseline = rss_bytes()
        """The resident size before any board: the interpreter and its libraries."""
        self.inflight = 0
        self.leaving: set[Board] = set()
        """Boards unloaded but still in memory until their last checkpoint is written (one at
        a time, ``Hub._save``): a flood's boards that left together were held for seconds by
        nothing the estimate counted, and the resident size went up to 20 MB past the budget
        (test_memory.py)."""
        self.by_address: dict[str, int] = {}
        self._board_addresses: dict[str, dict[str, int]] = {}
        self._by_conn: dict[Transport, int] = {}
        self._checked = 0.0
        self._estimate = 0
        self._rss = 0
        self._timer: asyncio.TimerHandle | None = None
        self._trim_due = False
        self._slack_trimmed = 0.0
        self._rss_at_trim = 1 << 62  # the first trim is not judged
        self._trim_every = SLACK_TRIM_EVERY_S
        self._quiet: dict[str, tuple[int, float]] = {}
        """Board id -> (seq, when that seq was first seen by a sweep)."""
        self._sweeper: asyncio.TimerHandle | None = None

    # -- what is held ------------------------------------------------------------------------

    def _refresh(self) -> None:
        now = time.monotonic()
        if now - self._checked < CHECK_EVERY_S:
            return
        self._checked = now
        total = self.baseline + self.inflight
        for board in itertools.chain(self._boards.values(), self.leaving):
            total += board.doc.mem + board.recent.bytes + board.queued()
            cached, joined = checkpoint.held_bytes(board.doc)
            total += cached + max(joined, board.unsent())
        self._estimate = total
        self._rss = rss_bytes()
        if (
            self._rss > self.limit * DROP_AT
            and total < self.limit * SHED_AT
            and now - self._slack_trimmed > self._trim_every
        ):
            # Resident past its line while little is held: most of it is likely the heap's
            # free space (a flood's decoded frames, unload checkpoints: 23 MB of 46 seen in
            # test_memory.py), which glibc keeps until asked. Asked before anyone is refused;
            # less and less often while trimming gives nothing back (it locks the heap).
            gave = self._rss < self._rss_at_trim * 0.98
            self._trim_every = SLACK_TRIM_EVERY_S if gave else min(60.0, 2 * self._trim_every)
            self._slack_trimmed, self._rss_at_trim = now, self._rss
            asyncio.get_running_loop().run_in_executor(None, _malloc_trim)

    def used(self) -> int:
        """Bytes held now, by the estimate or by the resident size, whichever is larger."""
        self._refresh()
        return max(self._estimate, self._rss)

    def shedding(self) -> bool:
        """Past ``SHED_AT`` (estimate) or ``DROP_AT`` (resident): new work is refused."""
        self._refresh()
        return self._estimate > self.limit * SHED_AT or self._rss > self.limit * DROP_AT

    def _short_for(self, address: str) -> str | None:
        """Why ``address``'s growing ops are shed now, if they are (the module's docstring)."""
        self._refresh()
        if self._estimate > self.limit * SHED_AT or self._rss > self.limit * RSS_DROP_AT:
            return SHORT_OF_MEMORY
        if self._rss > self.limit * DROP_AT and self.by_address.get(address, 0) >= (
            self.limit * SMALL
        ):
            return SHORT_FOR_YOU
        return None

    def holding_much(self) -> bool:
        """Past ``UNLOAD_AT`` (estimate) or ``SHED_AT`` (resident): empty boards go at once."""
        self._refresh()
        return self._estimate > self.limit * UNLOAD_AT or self._rss > self.limit * SHED_AT

    def over(self) -> bool:
        """Past ``DROP_AT`` (estimate) or ``RSS_DROP_AT`` (resident): the greediest go."""
        self._refresh()
        return self._estimate > self.limit * DROP_AT or self._rss > self.limit * RSS_DROP_AT

    # -- the socket's hooks --------------------------------------------------------------------

    def admit(
        self, conn: Transport, address: str, board: str, ops: list[dict[str, Any]], nbytes: int
    ) -> tuple[list[dict[str, Any]], str | None]:
        """The ops of one frame that may go to the board, and the refusal of the others.

        Only ops that grow a board (``add``, ``append``) are refused: deletes and updates
        free memory or keep it, and must go on working when memory is short.
        """
        if not any(op["k"] in GROWS for op in ops):
            return ops, None
        why = self._short_for(address)
        if why is None and self.by_address.get(address, 0) > self.limit * ADDRESS_SHARE:
            why = ADDRESS_FULL
        if why is not None:
            return [op for op in ops if op["k"] not in GROWS], why
        grown = nbytes * WIRE_TO_MEMORY
        self.by_address[address] = self.by_address.get(address, 0) + grown
        per_board = self._board_addresses.setdefault(board, {})
        per_board[address] = per_board.get(address, 0) + grown
        self._by_conn[conn] = self._by_conn.get(conn, 0) + grown
        self._watch()
        return ops, None

    def closed(self, conn: Transport) -> None:
        self._by_conn.pop(conn, None)

    # -- the hub's hooks -----------------------------------------------------------------------

    def unloaded(self, board: str) -> None:
        """A board left memory: its addresses' shares come back, and its pages to the system."""
        for address, grown in self._board_addresses.pop(board, {}).items():
            left = self.by_address.get(address, 0) - grown
            if left > 0:
                self.by_address[address] = left
            else:
                self.by_address.pop(address, None)
        self._checked = 0.0  # the next question sees the board gone
        self.freed()

    def freed(self) -> None:
        """Much was let go (a board, its last checkpoint's bytes): soon, give it back."""
        if not self._trim_due:
            self._trim_due = True
            asyncio.get_running_loop().call_later(1.0, self._trim)

    def _trim(self) -> None:
        # A Board is a cycle (its ticker calls back into it): without a collection its
        # Document would wait for the next full one, which may be long in coming.
        self._trim_due = False
        gc.collect()
        asyncio.get_running_loop().run_in_executor(None, _malloc_trim)

    @contextlib.contextmanager
    def reserve(self, nbytes: int) -> Iterator[None]:
        """Count a request's memory (an import's file and what is built from it) while it runs."""
        self.inflight += nbytes
        self._checked = 0.0
        try:
            yield
        finally:
            self.inflight -= nbytes
            self._checked = 0.0

    def fits(self, nbytes: int) -> bool:
        """Whether ``nbytes`` more stay under ``SHED_AT`` of the budget."""
        return not self.shedding() and self._estimate + nbytes <= self.limit * SHED_AT

    # -- idle boards ------------------------------------------------------------------------------

    def sweep_soon(self) -> None:
        """Start the idle sweep (a board was loaded; it stops when none is left)."""
        if self._sweeper is None:
            self._sweeper = asyncio.get_running_loop().call_later(SWEEP_EVERY_S, self._sweep)

    def _sweep(self) -> None:
        self._sweeper = None
        now = time.monotonic()
        quiet = {}
        for id, board in list(self._boards.items()):
            seq, since = self._quiet.get(id, (board.doc.seq, now))
            if seq != board.doc.seq:
                seq, since = board.doc.seq, now
            quiet[id] = (seq, since)
            if now - since >= IDLE_BOARD_S and board.peers and self.holding_much():
                log.info("board %s idle for %d s: closing its connections", id, now - since)
                for session in list(board.peers.values()):
                    board.leave(session)
                    session.close(*CLOSE_IDLE)
        self._quiet = quiet
        if self._boards:
            self.sweep_soon()

    # -- dropping the greediest ------------------------------------------------------------------

    def _watch(self) -> None:
        if self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(CHECK_EVERY_S, self._check)

    def _check(self) -> None:
        self._timer = None
        if not self._by_conn:
            return
        if self.over():
            self._drop_greediest(self._by_conn.items())
        self._watch()

    def _drop_greediest(self, conns: Iterable[tuple[Transport, int]]) -> None:
        ranked = sorted(conns, key=lambda item: item[1], reverse=True)
        dropped = ranked[: max(1, len(ranked) // 4)]
        log.warning(
            "memory %d MB of %d MB: closing the %d connections that added most",
            self.used() >> 20,
            self.limit >> 20,
            len(dropped),
        )
        for conn, _ in dropped:
            self._by_conn.pop(conn, None)
            conn.close(*CLOSE_GREEDY)
