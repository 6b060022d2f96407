"""Bytes of server memory per pen point value, measured with tracemalloc: a Document that
applies pen adds as decoded from the wire, small deltas (what a hand draws) and large ones
(what a hostile client sends). Prints bytes per value.

    python bench/points_memory.py [--values 1000000] [--root /path/to/other/checkout]

``--root`` measures another checkout's Document (the code before a change).
"""

from __future__ import annotations

import argparse
import sys
import tracemalloc
from pathlib import Path
from typing import Any

import msgpack


def measure(values: int, low: int) -> float:
    from whiteboard.document import Document
    from whiteboard.protocol import Limits

    per_op = 10_000
    doc = Document(Limits(values_per_element=100_000, elements_per_board=1_000_000))
    frames: list[bytes] = []
    for i in range(values // per_op):
        pts = [low + (j % 50) for j in range(per_op)]
        e = {"id": f"p{i}", "type": "pen", "x": 0, "y": 0, "stroke": "#000000", "width": 2}
        frames.append(msgpack.packb({"k": "add", "c": i, "e": {**e, "pts": pts}}))
    # Decoded while traced, as the socket decodes them, then dropped as the tick drops them:
    # what stays is what the document keeps (in a list, the decoded ints themselves).
    tracemalloc.start()
    for i, frame in enumerate(frames, 1):
        op: dict[str, Any] = msgpack.unpackb(frame)
        doc.apply(op, i)
        del op
    held, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return held / (len(frames) * per_op)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--values", type=int, default=1_000_000)
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[1])
    a = parser.parse_args()
    sys.path.insert(0, str(a.root))
    print(f"document of {a.root}: {a.values} pen values in 10,000-value adds")
    for name, low in (("small deltas (-5..44)", -5), ("large values (100000..)", 100_000)):
        print(f"  {name}: {measure(a.values, low):.1f} bytes per value")


if __name__ == "__main__":
    main()
