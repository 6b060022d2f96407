"""How busy the loop is and how much it stretches a board's tick spacing (``live/loopload.py``).

The clocks are the test's: what is checked is the rule a board relies on - an idle loop keeps
the short spacing (an op on a quiet server goes out at once), a busy one batches up to five
times more, and one busy moment does not swing it all the way.
"""

from __future__ import annotations

import threading
import time

from whiteboard.live.loopload import BUSY, IDLE, MAX_STRETCH, SAMPLE_S, LoopLoad


class Clocks:
    def __init__(self) -> None:
        self.wall = 100.0
        self.cpu = 5.0

    def run(self, seconds: float, busy: float) -> None:
        self.wall += seconds
        self.cpu += seconds * busy


def loaded(busy: float, samples: int = 10) -> tuple[LoopLoad, Clocks]:
    clocks = Clocks()
    load = LoopLoad(lambda: clocks.wall, lambda: clocks.cpu)
    for _ in range(samples):
        clocks.run(SAMPLE_S, busy)
        load.stretch()
    return load, clocks


def test_an_idle_loop_does_not_stretch_the_spacing() -> None:
    for busy in (0.0, IDLE / 2, IDLE):
        load, _ = loaded(busy)
        assert load.stretch() == 1.0


def test_a_busy_loop_stretches_it_up_to_the_most() -> None:
    half, _ = loaded((IDLE + BUSY) / 2)
    full, _ = loaded(1.0)
    assert 1.0 < half.stretch() < MAX_STRETCH
    assert full.stretch() == loaded((BUSY + 1) / 2)[0].stretch() == MAX_STRETCH
    assert loaded((IDLE + BUSY) / 3)[0].stretch() < half.stretch()  # more work, more batching


def test_one_busy_sample_does_not_swing_it_all_the_way() -> None:
    load, clocks = loaded(IDLE / 2)
    clocks.run(SAMPLE_S, 1.0)
    assert load.stretch() < MAX_STRETCH
    for _ in range(10):  # and the loop going quiet again brings it back
        clocks.run(SAMPLE_S, 0.0)
        load.stretch()
    assert load.stretch() == 1.0


def test_it_reads_the_clocks_at_most_once_a_sample() -> None:
    clocks = Clocks()
    reads = []

    def cpu() -> float:
        reads.append(clocks.wall)
        return clocks.cpu

    load = LoopLoad(lambda: clocks.wall, cpu)
    for _ in range(100):  # a hundred wakes within one sample: no CPU clock read
        clocks.run(SAMPLE_S / 200, 1.0)
        load.stretch()
    assert len(reads) == 1


def test_the_real_clock_counts_only_the_thread_that_asks() -> None:
    """Another thread's work (the SQLite writer) does not make the loop look busy."""
    load = LoopLoad(time.monotonic)
    stop = time.monotonic() + 0.5

    def spin() -> None:
        while time.monotonic() < stop:
            pass

    other = threading.Thread(target=spin)
    other.start()
    while time.monotonic() < stop:
        time.sleep(SAMPLE_S / 4)
        load.stretch()
    other.join()
    assert load.busy < 0.3
    assert load.stretch() == 1.0
