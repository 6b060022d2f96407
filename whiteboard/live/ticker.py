"""When boards tick: one scheduler for every board of the process, rounds rather than timers.

Why one scheduler: a server carries hundreds of small boards, and a Task, a timer and a store
round trip per board per tick made each op on a quiet board cost as much as a tick of a busy
one. A round instead takes every board that is due, runs the synchronous half of each tick
(judge the queued ops, build the row), hands the store the rows of all of them in **one**
``append_many`` (one group commit, one wake-up from the writer thread), and when it answers
runs the second half of each (broadcast, welcomes, presence). Only ticks that must wait on
something else (another process's lock in Redis mode, a checkpoint, a store failure to undo)
become Tasks of their own.

Why adaptive: a board that is quiet ticks at once (its op goes out as soon as it is committed,
no tick boundary to wait for); a board ticks again only after ``spacing()`` since its last
tick, which the board sets from its fan-out (a tick costs about one write per client: a big
board keeps batching, a small one never waits). Under load, rounds follow each other back to
back and everything that arrived while the store committed goes in the next one, so batching
grows with load and only with load. A board is never in two ticks at once.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, NamedTuple

from whiteboard import metrics
from whiteboard.live.loopload import LoopLoad

if TYPE_CHECKING:
    from whiteboard.store.base import LogRow, Store

log = logging.getLogger(__name__)

# Rounds whose group commit may be in flight at once. Two, so that the loop judges the next
# round while the writer thread commits the last (one alone leaves each side idle while the
# other works, and pays two thread wake-ups per round on a busy machine); more would only
# split what one transaction can take.
IN_FLIGHT = 2
# Boards per round: a round is judged, committed and sent as one, so each of its ops waits for
# all of its work; past this many boards the rest go in the next round, judged while this one
# commits (on a starved machine, one round of 250 boards took 80 ms per phase).
ROUND_BOARDS = 64
# The most a round waits after the last one began, reached as the loop gets busy (``LoopLoad``);
# nothing on an idle loop. Many small boards put one op each in a round, and every round costs a
# transaction, a wake-up from the writer thread and a trip through the loop: at 250 boards of
# four, rounds of 6 ops came 1,200 times a second, and at most 250 a second (this gap) cost 18 %
# less CPU per op for about 4 ms more latency (p99 11-12 -> 14-15 ms; docs/scaling.md).
ROUND_GAP_S = 0.004

# A tick's second half, told how the store answered; it may still need to await (an undo).
Settle = Callable[[BaseException | None], Coroutine[Any, Any, None] | None]


class Append(NamedTuple):
    """A tick's row, for the round's group commit; ``settle`` finishes the tick."""

    store: Store
    board: str
    row: LogRow
    settle: Settle


# What the first half of a tick returns: nothing more to do, a row to store, or a coroutine to
# run on its own (the tick cannot be finished within a round).
Plan = Append | Coroutine[Any, Any, None] | None


class Ticker:
    """One board's place in the scheduler: woken by input, one tick at a time."""

    __slots__ = (
        "_begin",
        "_due_at",
        "_fail",
        "_handle",
        "_last",
        "_pending",
        "_settled",
        "_spacing",
        "closed",
        "queued",
        "relaxed",
        "scheduler",
        "ticking",
    )

    def __init__(
        self,
        begin: Callable[[], Plan],
        pending: Callable[[], bool],
        spacing: Callable[[], float],
        fail: Callable[[BaseException], None],
        relaxed: float,
    ) -> None:
        self._begin = begin  # the tick's first half (``Plan``)
        self._pending = pending  # something waits for a tick
        self._spacing = spacing  # least seconds between two ticks' starts, asked at each wake
        self._fail = fail  # a tick raised: the board drops itself
        self._handle: asyncio.TimerHandle | None = None
        self._due_at = 0.0
        self.relaxed = relaxed  # the spacing for what can wait (presence): tick_ms
        self._last = -1e9
        self._settled: list[asyncio.Future[None]] = []
        self.scheduler = scheduler()
        self.queued = False  # in the scheduler's next round
        self.ticking = False  # a tick is in flight (it awaits the store)
        self.closed = False  # no more ticks (shutdown, or the board was dropped)

    def wake(self) -> None:
        """Something that should go out soon waits (ops, a joiner, a leave)."""
        self._wake(self._spacing())

    def wake_relaxed(self) -> None:
        """Something that can wait up to ``relaxed`` waits (cursors, views): presence that
        comes 30 times a second from every client would otherwise tick the board as often."""
        self._wake(self.relaxed)

    def _wake(self, spacing: float) -> None:
        if self.queued or self.ticking or self.closed:
            return  # a tick that ends looks at ``pending`` again
        due = self._last + spacing
        if self._handle is not None:
            if due >= self._due_at:
                return
            self._handle.cancel()  # an op after a cursor: go at the op's time
            self._handle = None
        loop = self.scheduler.loop
        if due <= loop.time():
            self.scheduler.ready(self)
        else:
            self._due_at = due
            self._handle = loop.call_at(due, self._due)

    def _due(self) -> None:
        self._handle = None
        if not self.closed:
            self.scheduler.ready(self)

    def start(self) -> Plan:
        self.queued = False
        self.ticking = True
        self._last = self.scheduler.loop.time()
        return self._begin()

    def failed(self, exc: BaseException) -> None:
        self._fail(exc)

    def done(self) -> None:
        """The tick ended (the board has sent what it had): tick again if something waits."""
        self.ticking = False
        settled, self._settled = self._settled, []
        for fut in settled:
            if not fut.done():
                fut.set_result(None)
        if not self.closed and self._pending():
            self.wake()

    async def flush(self, max_ticks: int) -> None:
        """Run what is pending now rather than after the spacing, awaiting each tick, until
        nothing is (or ``max_ticks`` ran: clients may still be sending)."""
        for _ in range(max_ticks):
            if self._handle is not None:
                self._handle.cancel()
                self._handle = None
                self.scheduler.ready(self)
            elif not (self.queued or self.ticking) and self._pending() and not self.closed:
                self.scheduler.ready(self)
            if not (self.queued or self.ticking):
                break
            fut = self.scheduler.loop.create_future()
            self._settled.append(fut)
            await fut

    async def drain(self, max_ticks: int) -> None:
        """``flush``, then stop: no tick after this one."""
        await self.flush(max_ticks)
        self.closed = True


class Scheduler:
    """The rounds of every board on one event loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self._ready: list[Ticker] = []
        self._round_due = False  # a round is scheduled (call_soon) and has not run yet
        self._committing = 0  # rounds whose group commit is in flight
        self._tasks: set[asyncio.Future[None]] = set()
        self._last_round = -1.0  # when the last round began (the loop's clock)
        self.rounds = 0  # rounds run (tests, benchmarks)
        self.load = LoopLoad(loop.time)  # how busy this loop is: boards batch more when it is

    def ready(self, ticker: Ticker) -> None:
        ticker.queued = True
        self._ready.append(ticker)
        self._next()

    def _schedule(self) -> None:
        """The next round: in the loop's next turn, or once the busy loop's gap has passed."""
        gap = ROUND_GAP_S * self.load.share()
        wait = self._last_round + gap - self.loop.time() if gap else 0.0
        if wait > 0:
            self.loop.call_later(wait, self._round)
        else:
            self.loop.call_soon(self._round)

    def _round(self) -> None:
        """The first half of every due board's tick, then one group commit for their rows."""
        self._round_due = False
        self._last_round = self.loop.time()
        tickers, self._ready = self._ready[:ROUND_BOARDS], self._ready[ROUND_BOARDS:]
        self.rounds += 1
        appends: dict[Store, list[tuple[Ticker, Append]]] = {}
        for ticker in tickers:
            if ticker.closed:
                ticker.queued = False
                ticker.done()
                continue
            try:
                plan = ticker.start()
            except Exception as exc:
                ticker.failed(exc)
                ticker.done()
                continue
            if plan is None:
                ticker.done()
            elif isinstance(plan, Append):
                appends.setdefault(plan.store, []).append((ticker, plan))
            else:
                self._run(ticker, plan)
        for store, items in appends.items():
            self._committing += 1
            task = asyncio.ensure_future(self._commit(store, items))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        self._next()

    async def _commit(self, store: Store, items: list[tuple[Ticker, Append]]) -> None:
        """One ``append_many`` for the round's rows; then each tick's second half."""
        results: list[BaseException | None]
        try:
            with metrics.store_commit():
                found = await store.append_many([(a.board, a.row) for _, a in items])
            results = list(found)
        except Exception as exc:
            results = [exc] * len(items)
        finally:
            self._committing -= 1
        for (ticker, append), error in zip(items, results, strict=True):
            try:
                rest = append.settle(error)
            except Exception as exc:
                ticker.failed(exc)
                rest = None
            if rest is None:
                ticker.done()
            else:
                self._run(ticker, rest)
        self._next()

    def _next(self) -> None:
        """Schedule a round if boards wait and none is due (at most ``IN_FLIGHT`` commit)."""
        if self._ready and not self._round_due and self._committing < IN_FLIGHT:
            self._round_due = True
            self._schedule()

    def _run(self, ticker: Ticker, coro: Coroutine[Any, Any, None]) -> None:
        """A tick that awaits on its own (the board handles its own failures in it)."""

        async def run() -> None:
            try:
                await coro
            finally:
                ticker.done()

        task = asyncio.ensure_future(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


_schedulers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Scheduler] = (
    weakref.WeakKeyDictionary()
)


def scheduler() -> Scheduler:
    """The scheduler of the running event loop (each loop has one: tests run several)."""
    loop = asyncio.get_running_loop()
    found = _schedulers.get(loop)
    if found is None:
        found = _schedulers[loop] = Scheduler(loop)
    return found
