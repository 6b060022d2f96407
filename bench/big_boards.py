"""Big boards for the browser benches (``frames.py``), written straight into a data folder.

Sending 100,000 elements or 1,000,000 ops through a WebSocket takes minutes of the server's
rate limits and ticks; written through ``SQLiteStore.append`` with a checkpoint at the head (as
the Board's ticks write them) they take seconds, and the server opens them as it would any
board it finds on disk.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import random
import sys
from pathlib import Path
from typing import Any

import msgpack
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from history_bench import Workload  # noqa: E402

from whiteboard.document import Document  # noqa: E402
from whiteboard.history import layout  # noqa: E402
from whiteboard.live.presence import PALETTE  # noqa: E402
from whiteboard.protocol import Limits, ProtocolError, encode_ops_array, server_op  # noqa: E402
from whiteboard.store.base import Blob, Checkpoint, Client, LogRow  # noqa: E402
from whiteboard.store.sqlite import SQLiteStore  # noqa: E402

COLORS = ["#1e1e1e", "#e03131", "#2f9e44", "#1971c2", "#f08c00", "#9c36b5"]
NOTE_FILLS = ["#fff3bf", "#d3f9d8", "#d0ebff", "#ffe3e3"]
WORDS = ("plan", "idea", "risk", "ship", "test", "draw", "team", "goal", "next", "why", "user")
# A 10,000 x 6,500 area: at the smallest zoom (10 %) the whole board fits a 1200 x 800 screen.
AREA_W, AREA_H = 10_000, 6_500
ROW_OPS = 500  # ops per stored row (a tick of a busy board)


def _pack(obj: Any) -> bytes:
    packed: bytes = msgpack.packb(obj, use_bin_type=True)
    return packed


def _scribble(rng: random.Random) -> list[int]:
    n = rng.randint(15, 70)
    pts = [0, 0]
    dx, dy = rng.uniform(-4, 4), rng.uniform(-4, 4)
    for _ in range(n - 1):
        dx = max(-6, min(6, dx + rng.uniform(-1.5, 1.5)))
        dy = max(-6, min(6, dy + rng.uniform(-1.5, 1.5)))
        pts += [round(dx), round(dy)]
    return pts


def _words(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def mixed_element(rng: random.Random, i: int, blobs: list[tuple[str, int, int]]) -> dict[str, Any]:
    """Element ``i`` of the mixed board: the first ``len(blobs)`` are pictures, then 60 % pens,
    20 % shapes (a quarter labelled), 10 % text, 10 % notes."""
    x, y = round(rng.uniform(0, AREA_W), 1), round(rng.uniform(0, AREA_H), 1)
    eid = f"e{i}"
    if i < len(blobs):
        name, w, h = blobs[i]
        return {"id": eid, "type": "image", "x": x, "y": y, "w": w, "h": h, "blob": name}
    r = rng.random()
    stroke = rng.choice(COLORS)
    if r < 0.6:
        return {"id": eid, "type": "pen", "x": x, "y": y, "stroke": stroke,
                "width": rng.choice([2, 4, 8]), "pts": _scribble(rng)}  # fmt: skip
    if r < 0.8:
        kind = rng.choice(["rect", "ellipse", "line", "arrow"])
        w, h = rng.randint(-200, 200), rng.randint(-150, 150)
        e: dict[str, Any] = {"id": eid, "type": kind, "x": x, "y": y, "stroke": stroke,
                             "width": 2, "w": w, "h": h}  # fmt: skip
        if kind in ("rect", "ellipse") and rng.random() < 0.25:
            e["text"] = _words(rng, rng.randint(1, 4))
        return e
    if r < 0.9:
        size = rng.choice([16, 20, 28])
        return {"id": eid, "type": "text", "x": x, "y": y, "stroke": stroke, "size": size,
                "text": _words(rng, rng.randint(1, 6))}  # fmt: skip
    return {"id": eid, "type": "note", "x": x, "y": y, "w": 160, "h": 120, "stroke": "#1e1e1e",
            "fill": rng.choice(NOTE_FILLS), "text": _words(rng, rng.randint(3, 12))}  # fmt: skip


def _picture(rng: random.Random, i: int) -> bytes:
    """A small distinct PNG (a gradient with a stripe), so each picture is a blob of its own."""
    w, h = 320, 200
    img = Image.linear_gradient("L").resize((w, h)).convert("RGB")
    overlay = Image.new("RGB", (w, h), tuple(rng.randrange(256) for _ in range(3)))
    img = Image.blend(img, overlay, 0.6)
    img.paste((255 - i % 256, i % 256, 128), (0, 90 + i % 20, w, 110 + i % 20))
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


async def _write(
    store: SQLiteStore, board: str, sops: list[dict[str, Any]], doc: Document, ts: int
) -> None:
    """The ops as rows of ROW_OPS, and the head's checkpoint with the last row."""
    pending = []
    for start in range(0, len(sops), ROW_OPS):
        chunk = sops[start : start + ROW_OPS]
        row = LogRow(chunk[0]["s"], chunk[-1]["s"], ts, encode_ops_array(chunk))
        checkpoint = None
        if start + ROW_OPS >= len(sops):
            state = _pack(doc.to_state())
            checkpoint = Checkpoint(doc.seq, state, layout.compute(state))
        pending.append(asyncio.ensure_future(store.append(board, row, checkpoint)))
    await asyncio.gather(*pending)


async def _mixed(data: Path, board: str, elements: int, images: int, seed: int) -> int:
    rng = random.Random(seed)
    store = SQLiteStore(str(data))
    await store.start()
    await store.add_client(board, Client(1, "Bench", PALETTE[0]))
    blobs = []
    for i in range(min(images, elements)):
        png = _picture(rng, i)
        name = hashlib.sha256(png).hexdigest()
        await store.put_blob(board, name, Blob("image/png", png), 1 << 40)
        blobs.append((name, rng.choice([240, 320, 480]), rng.choice([150, 200, 300])))
    doc = Document(Limits(elements_per_board=max(elements, 100_000)))
    sops = []
    for i in range(elements):
        op = {"k": "add", "c": i + 1, "e": mixed_element(rng, i, blobs)}
        result = doc.apply(op, doc.seq + 1)
        if isinstance(result, ProtocolError):
            raise RuntimeError(f"element {i}: {result}")
        sops.append(server_op(dict(result), doc.seq, 1))
    await _write(store, board, sops, doc, 1_700_000_000_000)
    await store.close()
    return doc.seq


def build_mixed(data: Path, board: str, elements: int, images: int = 100, seed: int = 13) -> int:
    """A board of ``elements`` elements of every kind; returns its head seq."""
    return asyncio.run(_mixed(data, board, elements, images, seed))


async def _history(data: Path, board: str, total: int, every: int, seed: int) -> tuple[int, int]:
    """Ten people drawing (history_bench's workload), a tick every 5 ms, checkpoints every
    ``every`` ops as the Board writes them."""
    rng = random.Random(seed)
    work = Workload(rng, 10)
    store = SQLiteStore(str(data))
    await store.start()
    for a in work.authors:
        await store.add_client(board, Client(a.id, f"Author {a.id}", PALETTE[a.id % len(PALETTE)]))
    doc = Document(Limits())
    ts = 1_700_000_000_000
    pending: list[asyncio.Future[None]] = []
    checkpoint_seq = 0
    while doc.seq < total:
        ts += 5 if rng.random() < 0.999 else rng.randint(60_000, 3_600_000)
        first = doc.seq + 1
        sops = []
        for op, by in work.tick(doc):
            if doc.seq >= total:
                break
            result = doc.apply(op, doc.seq + 1)
            if not isinstance(result, ProtocolError):
                sops.append(server_op(dict(result), doc.seq, by))
        if not sops:
            continue
        checkpoint = None
        if doc.seq - checkpoint_seq >= every or doc.seq >= total:
            state = _pack(doc.to_state())
            checkpoint = Checkpoint(doc.seq, state, layout.compute(state))
            checkpoint_seq = doc.seq
        row = LogRow(first, doc.seq, ts, encode_ops_array(sops))
        pending.append(asyncio.ensure_future(store.append(board, row, checkpoint)))
        if len(pending) >= 4000:
            await asyncio.gather(*pending)
            pending.clear()
    await asyncio.gather(*pending)
    await store.close()
    return doc.seq, len(doc)


def build_history(
    data: Path, board: str, total: int, every: int = 10_000, seed: int = 7
) -> tuple[int, int]:
    """A board of ``total`` ops; returns its head seq and live elements."""
    return asyncio.run(_history(data, board, total, every, seed))
