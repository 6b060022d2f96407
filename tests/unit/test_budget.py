"""Who the memory budget refuses, and with which sentence (``live/budget.py``).

The full behaviour under real floods is ``tests/hostile/test_memory.py``; these pin the rule
those floods only sample: when only the resident size is past its line, the addresses that grew
the boards by more than a small share are refused and the others go on drawing.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from whiteboard.config import Settings
from whiteboard.live import budget as budget_module
from whiteboard.live.budget import (
    ADDRESS_FULL,
    DROP_AT,
    RSS_DROP_AT,
    SHORT_FOR_YOU,
    SHORT_OF_MEMORY,
    MemoryBudget,
)

MB = 1 << 20
LIMIT_MB = 100
pytestmark = pytest.mark.gen_test(timeout=10)  # the budget runs on the loop (it asks for trims)


class Conn:
    def close(self, code: int, reason: str) -> None:  # pragma: no cover - not dropped here
        raise AssertionError("nobody is dropped in these tests")


def add(n: int = 1) -> list[dict[str, Any]]:
    return [{"c": i + 1, "k": "add", "e": {}} for i in range(n)]


@pytest.fixture
def trims(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """When the budget asked glibc to give its free heap back."""
    asked: list[float] = []
    monkeypatch.setattr(budget_module, "_malloc_trim", lambda: asked.append(time.monotonic()))
    return asked


@pytest.fixture
def rss(monkeypatch: pytest.MonkeyPatch, trims: list[float]) -> list[int]:
    """The resident size the budget reads: set ``rss[0]``."""
    now = [10 * MB]
    monkeypatch.setattr(budget_module, "rss_bytes", lambda: now[0])
    return now


def make(rss: list[int]) -> MemoryBudget:
    budget = MemoryBudget(Settings(memory_mb=LIMIT_MB), {})
    budget._watch = lambda: None  # type: ignore[method-assign]  # no loop: no drop timer
    return budget


def ask(budget: MemoryBudget, address: str, nbytes: int) -> str | None:
    budget._checked = 0.0  # read the (fake) resident size again
    kept, why = budget.admit(Conn(), address, "b", add(), nbytes)  # type: ignore[arg-type]
    assert (why is None) == bool(kept)
    return why


async def test_under_every_line_only_the_address_share_refuses(rss: list[int]) -> None:
    budget = make(rss)
    assert ask(budget, "10.0.0.1", 5 * MB) is None  # 20 MB by the count: under its 25
    assert ask(budget, "10.0.0.1", 2 * MB) is None  # 28: past it only after this one
    assert ask(budget, "10.0.0.1", 1) == ADDRESS_FULL
    assert ask(budget, "10.0.0.2", 1000) is None


async def test_resident_size_past_its_line_refuses_the_greediest_first(
    rss: list[int], trims: list[float]
) -> None:
    budget = make(rss)
    assert ask(budget, "flood", 4 * MB) is None
    assert ask(budget, "half", MB // 2) is None  # 2 MB by the count: SMALL of 100 MB
    assert ask(budget, "small", 1000) is None
    rss[0] = int(LIMIT_MB * MB * (DROP_AT + 0.01))
    assert ask(budget, "flood", 1000) == SHORT_FOR_YOU
    deadline = time.monotonic() + 5
    while not trims:  # the heap's free space is asked back first, in a thread
        assert time.monotonic() < deadline, "no trim asked"
        await asyncio.sleep(0.001)
    assert ask(budget, "half", 1000) == SHORT_FOR_YOU  # past SMALL: refused too
    assert ask(budget, "small", 1000) is None  # the others go on drawing
    assert ask(budget, "new", 1000) is None
    rss[0] = int(LIMIT_MB * MB * (RSS_DROP_AT + 0.01))
    assert ask(budget, "small", 1000) == SHORT_OF_MEMORY  # further still: everyone waits
    rss[0] = 10 * MB
    assert ask(budget, "flood", 1000) is None  # and it passes when memory comes back
    assert len(trims) == 1  # asked at most once a second


async def test_the_estimate_past_its_line_refuses_everyone(rss: list[int]) -> None:
    budget = make(rss)
    assert ask(budget, "flood", 4 * MB) is None
    budget.inflight = 80 * MB  # an import in flight: the estimate itself is past SHED_AT
    assert ask(budget, "small", 1000) == SHORT_OF_MEMORY
    assert ask(budget, "flood", 1000) == SHORT_OF_MEMORY


async def test_ops_that_do_not_grow_pass_whatever_the_memory(rss: list[int]) -> None:
    budget = make(rss)
    rss[0] = LIMIT_MB * MB * 2
    budget._checked = 0.0
    deletes = [{"c": 1, "k": "del", "id": "x"}]
    assert budget.admit(Conn(), "a", "b", deletes, 10) == (deletes, None)  # type: ignore[arg-type]
