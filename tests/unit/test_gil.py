"""Long passes in worker threads offer the GIL back (``whiteboard/gil.py``).

The effect is measured by ``bench/bigopen.py`` (the loop's lag while a 1,000,000-op board loads
beside 200 drawing clients); here, the rule it rests on: a board's decode offers the GIL after
every few elements and ops when it runs inside ``offering()``, and never outside it (on
the loop, or in a worker process, there is nobody to hand it to)."""

from __future__ import annotations

import asyncio
import sys
import threading
import time
from typing import Any

import pytest

from whiteboard import gil
from whiteboard.document import Document
from whiteboard.history import checkpoint
from whiteboard.history.state import replay
from whiteboard.protocol import Limits
from whiteboard.store.base import Checkpoint


def board(n: int) -> Checkpoint:
    doc = Document(Limits())
    for i in range(n):
        pen = {"id": f"p{i}", "type": "pen", "pts": [i, i, i + 1, i + 1], "stroke": "#112233",
               "width": 2}  # fmt: skip
        doc.apply_sop({"k": "add", "e": pen, "s": i + 1, "by": 1, "c": i + 1})
    return checkpoint.build(doc)


def counted_sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    calls: list[float] = []
    real = time.sleep

    def sleep(s: float) -> None:
        calls.append(s)
        real(s)

    monkeypatch.setattr(gil.time, "sleep", sleep)
    return calls


def test_a_decode_offers_the_gil_every_few_elements_only_when_offering(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cp = board(200)
    sleeps = counted_sleeps(monkeypatch)
    ops: list[dict[str, Any]] = [
        {"k": "update", "id": "p0", "set": {"width": w}, "s": 201 + w, "by": 1, "c": 500 + w}
        for w in range(1, 33)
    ]
    doc = replay(cp, ops, Limits())
    assert sleeps == []  # on the loop: never
    with gil.offering():
        again = replay(cp, ops, Limits())
    # Every 8 elements decoded, every 4 taken into the document, every 16 ops replayed.
    assert len(sleeps) >= 200 // 8 + 200 // 4 + 32 // 16
    assert set(sleeps) == {0}
    assert again.to_state() == doc.to_state()
    before = len(sleeps)
    gil.offer()  # after the block: off again
    assert len(sleeps) == before


def test_offering_is_per_thread() -> None:
    seen: list[bool] = []
    with gil.offering():
        t = threading.Thread(target=lambda: seen.append(getattr(gil._here, "offering", False)))
        t.start()
        t.join()
    assert seen == [False]


def test_offers_are_rationed_while_the_loop_waits_in_its_select(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An offer costs a sleep(0) (58 us here): while the watched loop blocks in its select it
    wants no GIL, and a 100,000-element load offered 200,000 times; but the store's threads
    still want it, so offers then come at most every IDLE_OFFER_EVERY_S, not never. The switch
    interval is short while a pass offers, and comes back after; nesting keeps offering on."""
    sleeps = counted_sleeps(monkeypatch)
    before = sys.getswitchinterval()

    def work() -> tuple[float, float, bool]:
        deadline = time.monotonic() + 10
        while not gil._loop_idle:  # the loop reaches its select
            assert time.monotonic() < deadline
        with gil.offering():
            with gil.offering():
                pass
            started = time.perf_counter()
            for _ in range(20_000):
                gil.offer()
            took = time.perf_counter() - started
            return took, sys.getswitchinterval(), bool(gil._here.offering)

    async def main() -> tuple[float, float, bool]:
        loop = asyncio.get_running_loop()
        gil.watch(loop)
        return await loop.run_in_executor(None, work)

    took, interval, still = asyncio.run(main())
    assert 1 <= len(sleeps) <= took / gil.IDLE_OFFER_EVERY_S + 1, (len(sleeps), took)
    assert len(sleeps) < 20_000 / 10
    assert still  # the inner block's end left the outer one offering
    assert interval == min(before, gil.OFFERING_SWITCH_S)
    assert sys.getswitchinterval() == before
    assert not gil._loop_idle
