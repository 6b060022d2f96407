"""Fuzz the wire protocol (``whiteboard/protocol/``) and the ``Document`` behind it.

Why: every byte a socket receives goes through ``decode_frame``, then ``parse_hello`` or
``parse_message`` and ``validate_op``, before ``Document.apply`` sees it. The server's promise
is that any input at all ends as an accepted op, a ``ProtocolError`` (an ``err`` frame) or a
``CloseError`` (a close code) -- never as a handler crash -- and that whatever validation lets
through keeps the board sound. Example tests check the rules one by one; this looks for the
inputs nobody thought of.

Each input is checked end to end (``check_frame``):

- only ``CloseError`` may come out of ``decode_frame``, only ``ProtocolError`` out of the
  parsers, with a code the protocol lists (``bad_message`` and no ``c`` for whole messages; the
  op's own ``c`` for refused ops that had a valid one), and a message ``encode_err`` can send;
- every op that validates is applied to a small seeded ``Document`` (limits shrunk so that the
  fuzzer can reach every size limit). A refusal must leave the document byte for byte as it was;
  an accepted op must replay to the very same state through ``apply_sop`` after a msgpack round
  trip (that is what history and a restart do with the log), must not be changed by the ops
  after it (the log keeps the same objects), and every live element must still be a valid
  element, stacked in the documented order.

Two kinds of input, because raw bytes rarely get past msgpack and a map built from the rules
rarely breaks them: raw frames, and near-valid messages (a valid ``hello``/``cursor``/``ops``
with a few fields deleted, added or replaced by boundary values).

Engines: atheris (coverage guided, libFuzzer) when it is installed, else hypothesis. Every
failure is printed with its input (base64) and, with ``--save DIR``, written to a file; the run
goes on so that one bug does not hide the next.

    .venv/bin/python bench/fuzz_protocol.py --seconds 600
    .venv/bin/python bench/fuzz_protocol.py --engine hypothesis --seconds 60
    .venv/bin/python bench/fuzz_protocol.py --replay FILE   # check one saved input
"""

from __future__ import annotations

import argparse
import base64
import copy
import inspect
import math
import os
import random
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol, TypeVar

import msgpack

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from whiteboard import document, protocol  # noqa: E402
from whiteboard.document import Document  # noqa: E402
from whiteboard.protocol import (  # noqa: E402
    CloseError,
    CursorMessage,
    Limits,
    ProtocolError,
    SummonMessage,
    ViewMessage,
    decode_frame,
    encode_err,
    parse_hello,
    parse_message,
    validate_element,
)

T = TypeVar("T")

LIMITS = Limits(
    frame_bytes=1 << 20,
    ops_per_frame=8,
    values_per_op=32,
    values_per_element=96,
    elements_per_board=12,
    text_chars=24,
)
"""Small limits: the fuzzer reaches ``too_large`` and ``board_full`` with inputs of a few
hundred bytes instead of megabytes, and the rules do not depend on the numbers."""

CLOSE_CODES = frozenset({1003, 1007, 1008, 1009, 1013})
MESSAGE_CODES = frozenset({"bad_message"})
VALIDATION_CODES = frozenset({"bad_op", "too_large"})
DOCUMENT_CODES = frozenset({"bad_op", "not_found", "exists", "too_large", "board_full"})


class Failure(AssertionError):
    """An input broke a promise without raising anything unexpected (a wrong code, a changed
    document, a replay that differs)."""


def ensure(cond: bool, what: str) -> None:
    if not cond:
        raise Failure(what)


# -- the seeded board ------------------------------------------------------------------------


def seed_document() -> Document:
    """One element of every type (pens with and without pressures, fills and ``z`` values)
    and a deleted id, so fuzzed ops find targets of every kind and re-adds hit a known first
    seq. Built through ``apply`` so the seed itself is a valid history."""
    doc = Document(LIMITS)
    elements: list[dict[str, Any]] = [
        {"id": "p", "type": "pen", "x": 0, "y": 0, "stroke": "#000000", "width": 2,
         "pts": [1, 1, 2, 2], "pr": [10, 20]},
        {"id": "q", "type": "pen", "x": 5.5, "y": -3, "stroke": "#ff000080", "width": 1,
         "pts": [0, 0], "ps": 4},
        {"id": "r", "type": "rect", "x": 1, "y": 1, "stroke": "#00ff00", "width": 3,
         "w": 10, "h": -4, "fill": "#123456", "z": 2.5},
        {"id": "o", "type": "ellipse", "x": 0, "y": 0, "stroke": "#abcdef", "width": 1,
         "w": 3, "h": 3},
        {"id": "l", "type": "line", "x": 0, "y": 0, "stroke": "#abcdef", "width": 1,
         "w": 3, "h": 3, "z": -1},
        {"id": "a", "type": "arrow", "x": 0, "y": 0, "stroke": "#abcdef", "width": 1,
         "w": -3, "h": 3},
        {"id": "t", "type": "text", "x": 0, "y": 0, "stroke": "#abcdef", "text": "hi",
         "size": 16},
        {"id": "gone", "type": "rect", "x": 0, "y": 0, "stroke": "#abcdef", "width": 1,
         "w": 1, "h": 1},
    ]  # fmt: skip
    c = 0
    for e in elements:
        c += 1
        result = doc.apply({"k": "add", "c": c, "e": e}, doc.seq + 1)
        assert not isinstance(result, ProtocolError), result
    result = doc.apply({"k": "delete", "c": c + 1, "ids": ["gone"]}, doc.seq + 1)
    assert not isinstance(result, ProtocolError), result
    return doc


SEED = seed_document()
SEED_STATE = msgpack.packb(SEED.to_state())
"""What the seed must still be after every input: a fuzzed op that reached it through shared
lists (an ``add`` or ``copy`` that did not copy deep enough) would show here."""


# -- the checks ------------------------------------------------------------------------------


def pack(obj: Any) -> bytes:
    packed: bytes = msgpack.packb(obj, use_bin_type=True)
    return packed


def check_refusal(exc: ProtocolError, codes: frozenset[str], c: int | None) -> None:
    ensure(exc.code in codes, f"refusal code {exc.code!r} not in {sorted(codes)}")
    ensure(exc.c == c, f"refusal carries c={exc.c!r}, expected {c!r}")
    ensure(type(exc.msg) is str and bool(exc.msg.strip()), "refusal without a message")
    frame = msgpack.unpackb(encode_err(exc.code, exc.msg, exc.c))
    ensure(frame.get("code") == exc.code, "encode_err lost the code")


def valid_c(op: Any) -> int | None:
    """The ``c`` a refusal of this op must carry: its own when it is a valid one."""
    if type(op) is dict:
        c = op.get("c")
        if type(c) is int and 0 <= c <= protocol.MAX_C:
            return c
    return None


def check_frame(data: bytes) -> None:
    """Run one frame through everything a connection would do with it (see the module doc)."""
    try:
        msg = decode_frame(data)
    except CloseError as exc:
        ensure(exc.code in CLOSE_CODES, f"close code {exc.code}")
        ensure(len(exc.reason.encode()) <= 123, "close reason longer than 123 bytes")
        return
    ensure(type(msg) is dict, "decode_frame returned a non-map")

    try:
        hello = parse_hello(msg)
    except ProtocolError as exc:
        check_refusal(exc, MESSAGE_CODES, None)
    else:
        ensure(msg.get("t") == "hello" and msg.get("v") == 1, "a hello that is not one")
        ensure(1 <= len(hello.name) <= protocol.NAME_MAX, "hello name length")
        ensure(hello.name == hello.name.strip(), "hello name not trimmed")
        ensure(hello.since is None or (type(hello.since) is int and hello.since >= 0), "since")

    try:
        parsed = parse_message(msg, LIMITS)
    except ProtocolError as exc:
        check_refusal(exc, MESSAGE_CODES, None)
        return
    if isinstance(parsed, CursorMessage):
        xy = (parsed.x, parsed.y)
        ensure(
            xy == (None, None) or all(protocol.is_num(v) for v in xy),
            f"cursor accepted with {xy!r}",
        )
        return
    if isinstance(parsed, ViewMessage):
        x0, y0, x1, y1 = parsed.vp
        ensure(x0 < x1 and y0 < y1, f"view accepted with {parsed.vp!r}")
        return
    if isinstance(parsed, SummonMessage):
        ensure(msg.get("t") == "summon", "a summon that is not one")
        return

    raw_ops = msg["ops"]
    ensure(type(raw_ops) is list and len(parsed.items) == len(raw_ops), "ops item count")
    doc = Document.from_state(SEED.to_state(), SEED.limits)
    accepted: list[tuple[dict[str, Any], bytes]] = []
    for raw, item in zip(raw_ops, parsed.items, strict=True):
        if isinstance(item, ProtocolError):
            check_refusal(item, VALIDATION_CODES, valid_c(raw))
            continue
        ensure(item is raw, "validate_op did not return the op itself")
        apply_checked(doc, item, accepted)
    for sop, packed in accepted:
        ensure(pack(sop) == packed, f"logged op s={sop['s']} changed after it was accepted")
    check_document(doc)
    ensure(pack(SEED.to_state()) == SEED_STATE, "an op changed another document's elements")


def apply_checked(
    doc: Document, op: dict[str, Any], accepted: list[tuple[dict[str, Any], bytes]]
) -> None:
    before = pack(doc.to_state())
    seq = doc.seq
    result = doc.apply(op, seq + 1)
    if isinstance(result, ProtocolError):
        check_refusal(result, DOCUMENT_CODES, op["c"])
        ensure(doc.seq == seq, "a refused op moved seq")
        ensure(pack(doc.to_state()) == before, f"a refused op ({result.code}) changed the doc")
        return
    ensure(doc.seq == seq + 1, "an accepted op did not move seq by one")
    sop = dict(result)
    sop["s"] = doc.seq
    sop["by"] = 1
    if op["k"] == "delete":
        ensure(
            set(sop["ids"]) <= set(op["ids"]) and len(sop["ids"]) == len(set(sop["ids"])),
            "a delete broadcast ids it was not asked to delete, or one twice",
        )
    # What history and a restart do: the state before, plus the stored op.
    replay = Document.from_state(msgpack.unpackb(before), LIMITS)
    replay.apply_sop(msgpack.unpackb(pack(sop)))
    ensure(pack(replay.to_state()) == pack(doc.to_state()), f"replay of {op['k']} differs")
    accepted.append((sop, pack(sop)))


def check_document(doc: Document) -> None:
    ensure(len(doc) <= LIMITS.elements_per_board, "more elements than elements_per_board")
    elements = doc.elements()
    for e in elements:
        try:
            validate_element(e, LIMITS, in_op=False)
        except ProtocolError as exc:
            raise Failure(f"live element {e.get('id')!r} is invalid: {exc.msg}") from None

    def key(e: dict[str, Any]) -> tuple[float, int]:
        first = doc.first_seq(e["id"])
        assert first is not None
        return (e.get("z", first), first)

    ensure(elements == sorted(elements, key=key), "elements are not in stacking order")
    again = Document.from_state(msgpack.unpackb(pack(doc.to_state())), LIMITS)
    ensure(pack(again.to_state()) == pack(doc.to_state()), "checkpoint round trip differs")


# -- near-valid messages ----------------------------------------------------------------------


class Choices(Protocol):
    """Where the generator's decisions come from: libFuzzer bytes, hypothesis or a seed."""

    def below(self, n: int) -> int: ...
    def integer(self, lo: int, hi: int) -> int: ...
    def number(self) -> float: ...
    def text(self, n: int) -> str: ...
    def blob(self, n: int) -> bytes: ...


def pick(ch: Choices, options: Sequence[T]) -> T:
    return options[ch.below(len(options))]


class RandomChoices:
    """Decisions from a seeded ``random.Random``: the seed corpus, and a reproducible run."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def below(self, n: int) -> int:
        return self.rng.randrange(n)

    def integer(self, lo: int, hi: int) -> int:
        return self.rng.randint(lo, hi)

    def number(self) -> float:
        return pick(self, (self.rng.uniform(-2e7, 2e7), self.rng.uniform(-1, 1), math.nan))

    def text(self, n: int) -> str:
        return "".join(chr(self.rng.randint(32, 0x2FF)) for _ in range(self.rng.randint(0, n)))

    def blob(self, n: int) -> bytes:
        return self.rng.randbytes(self.rng.randint(0, n))


IDS = ("p", "q", "r", "o", "l", "a", "t", "gone", "n1", "n2", "n3")
COLORS = ("#000000", "#1e90ff", "#1E90FF80", "#abcdef")
KEYS: tuple[Any, ...] = (
    "t", "v", "name", "since", "key", "prev", "ops", "x", "y", "k", "c", "e", "id", "type",
    "stroke", "width", "fill", "z", "pts", "ps", "pr", "w", "h", "text", "size", "set", "ids",
    "zz", "", 1, -1, None, b"k", 1.5, True,
)  # fmt: skip
INTERESTING: tuple[Any, ...] = (
    None, True, False, 0, 1, -1, 3, 4, 64, 65, 255, 256, 400, 401,
    2**31 - 1, 2**31, -(2**31), -(2**31) - 1, 2**53 - 1, 2**53, 2**63 - 1, -(2**63), 2**64 - 1,
    0.0, -0.0, 0.1, 0.09999, 3.0, 200.0, 200.0001, 1e7, 1e7 + 1, -1e7, -1e7 - 1, 1e308, 5e-324,
    math.nan, math.inf, -math.inf,
    "", " ", "x", "  a  ", "#000000", "#00000g", "#0000000", "#000000\n", "a" * 32, "a" * 33,
    "x" * 24, "x" * 25, "pen", "line", "arrow", "rect", "ellipse", "text", "hello", "ops",
    "cursor", "add", "append", "update", "delete", "p", "gone", "n1", "id\n", "\u00e9",
    "\U0001f600", b"", b"x", [], {}, [1, 1], [1], [1.0, 1], [True, 1], {"k": "add"}, {"id": "p"},
)  # fmt: skip


def num(ch: Choices) -> float:
    return pick(ch, (0, 1, -7, 1e7, -1e7, 12.5)) if ch.below(3) else ch.integer(-100, 100)


def points(ch: Choices, n: int) -> list[int]:
    return [ch.integer(-5, 5) if ch.below(4) else pick(ch, (-(2**31), 2**31 - 1)) for _ in range(n)]


def valid_element(ch: Choices, eid: str) -> dict[str, Any]:
    etype = pick(ch, protocol.ELEMENT_TYPES)
    e: dict[str, Any] = {"id": eid, "type": etype, "x": num(ch), "y": num(ch)}
    e["stroke"] = pick(ch, COLORS)
    if etype != "text":
        e["width"] = pick(ch, (0.1, 1, 2.5, 200))
    if etype == "pen":
        n = ch.integer(1, 4)
        e["pts"] = points(ch, 2 * n)
        if ch.below(2):
            e["pr"] = [ch.integer(0, 255) for _ in range(n)]
        if ch.below(3) == 0:
            e["ps"] = ch.integer(1, 64)
    elif etype == "text":
        e["text"] = pick(ch, ("a", "hello", "x" * 24))
        e["size"] = pick(ch, (4, 16, 400, 12.5))
    else:
        e["w"], e["h"] = num(ch), num(ch)
        if etype in ("rect", "ellipse") and ch.below(2):
            e["fill"] = pick(ch, COLORS)
    if ch.below(3) == 0:
        e["z"] = pick(ch, (0, -1, 2.5, 1e9))
    return e


def valid_op(ch: Choices, c: int, focus: str = "n1") -> dict[str, Any]:
    """``focus`` is the id most ops of one frame share, so that a frame often adds, appends
    to, updates and deletes the same element (where ordering and aliasing bugs would be)."""
    kind = pick(ch, protocol.OP_KINDS)
    eid = focus if ch.below(2) else pick(ch, IDS)
    if kind == "add":
        return {"k": "add", "c": c, "e": valid_element(ch, eid)}
    if kind == "append":
        n = ch.integer(1, 3)
        op: dict[str, Any] = {"k": "append", "c": c, "id": pick(ch, ("p", "q", eid)),
                              "pts": points(ch, 2 * n)}  # fmt: skip
        if ch.below(2):
            op["pr"] = [ch.integer(0, 255) for _ in range(n)]
        return op
    if kind == "update":
        changes: dict[str, Any] = {}
        for _ in range(ch.integer(1, 3)):
            key = pick(ch, ("x", "y", "w", "h", "stroke", "fill", "width", "z", "text", "size"))
            changes[key] = {
                "x": num(ch), "y": num(ch), "w": num(ch), "h": num(ch),
                "stroke": pick(ch, COLORS), "fill": pick(ch, (None, *COLORS)),
                "width": pick(ch, (0.1, 7)), "z": pick(ch, (None, 0, 3.5)),
                "text": pick(ch, ("b", "y" * 24)), "size": pick(ch, (4, 400)),
            }[key]  # fmt: skip
        return {"k": "update", "c": c, "id": eid, "set": changes}
    return {"k": "delete", "c": c, "ids": [pick(ch, IDS) for _ in range(ch.integer(1, 3))]}


def valid_message(ch: Choices) -> dict[str, Any]:
    r = ch.below(8)
    if r == 0:
        hello: dict[str, Any] = {"t": "hello", "v": 1, "name": pick(ch, ("ann", " bo ", "x" * 40))}
        if ch.below(2):
            hello["since"] = ch.integer(0, 20)
        if ch.below(4) == 0:
            hello["key"] = "k" * 43
        if ch.below(4) == 0:
            hello["prev"] = {"id": 3, "token": "abc"}
        return hello
    if r == 1:
        if ch.below(4) == 0:
            return {"t": "cursor", "x": None, "y": None}
        return {"t": "cursor", "x": num(ch), "y": num(ch)}
    c0 = ch.integer(0, 2**53 - 10) if ch.below(4) == 0 else ch.integer(0, 100)
    focus = pick(ch, IDS)
    return {"t": "ops", "ops": [valid_op(ch, c0 + i, focus) for i in range(ch.integer(1, 6))]}


def interesting(ch: Choices) -> Any:
    r = ch.below(12)
    if r == 0:
        return ch.number()
    if r == 1:
        return ch.text(40)
    if r == 2:
        return ch.integer(-(2**63), 2**64 - 1)
    if r == 3:
        # Lengths around the (shrunk) limits, of ints or of something else.
        n = pick(ch, (0, 1, 2, 7, 8, 9, 31, 32, 33, 34, 95, 96, 97, 98))
        return [pick(ch, (1, 0, 300, 1.5, None))] * n
    if r == 4:
        return valid_element(ch, pick(ch, IDS))
    if r == 5:
        return valid_op(ch, ch.integer(0, 50))
    return copy.deepcopy(pick(ch, INTERESTING))  # the table's lists and maps stay pristine


def containers(obj: Any, out: list[Any]) -> list[Any]:
    if isinstance(obj, dict | list):
        out.append(obj)
        for v in obj.values() if isinstance(obj, dict) else obj:
            containers(v, out)
    return out


def mutate(ch: Choices, msg: dict[str, Any]) -> None:
    """Break one thing in place: delete, add, rename or replace a key, or edit a list."""
    nodes = containers(msg, [])
    node = pick(ch, nodes)
    action = ch.below(4)
    if isinstance(node, dict):
        keys = list(node)
        if action == 0 and keys:
            del node[pick(ch, keys)]
        elif action == 1 and keys:
            old = pick(ch, keys)
            node[pick(ch, KEYS)] = node.pop(old)
        elif action == 2 and keys:
            node[pick(ch, keys)] = interesting(ch)
        else:
            node[pick(ch, KEYS)] = interesting(ch)
    else:
        if action == 0 and node:
            del node[ch.below(len(node))]
        elif action == 1 and node:
            node.append(node[ch.below(len(node))])
        elif action == 2 and node:
            node[ch.below(len(node))] = interesting(ch)
        else:
            node.insert(ch.below(len(node) + 1), interesting(ch))


def near_valid_frame(ch: Choices) -> bytes:
    msg = valid_message(ch)
    for _ in range(ch.below(4)):
        mutate(ch, msg)
    try:
        data = pack(msg)
    except (OverflowError, TypeError, ValueError):
        data = pack(valid_message(ch))  # an unpackable mutation (an int too big for msgpack)
    if data and ch.below(10) == 0:  # and now and then damage the bytes themselves
        i = ch.below(len(data))
        data = data[:i] + bytes([ch.integer(0, 255)]) + data[i + 1 :]
    if data and ch.below(20) == 0:
        data = data[: ch.below(len(data))]
    return data


# -- bookkeeping ------------------------------------------------------------------------------


class Findings:
    """Failures, grouped by where they happened, each with the first input that caused it."""

    def __init__(self, save: Path | None) -> None:
        self.save = save
        self.groups: dict[str, tuple[int, bytes, str]] = {}
        self.tried = 0
        self.slowest = 0.0

    def run(self, data: bytes) -> None:
        self.tried += 1
        start = time.perf_counter()
        try:
            check_frame(data)
        except Exception as exc:
            self.record(data, exc)
        took = time.perf_counter() - start
        self.slowest = max(self.slowest, took)
        if took > 2.0:
            self.record(data, Failure(f"one input took {took:.1f} s"))

    def record(self, data: bytes, exc: BaseException) -> None:
        tb = traceback.extract_tb(exc.__traceback__)
        frames = [f for f in tb if "/whiteboard/" in f.filename] or list(tb)
        where = f"{frames[-1].filename.rsplit('/', 1)[-1]}:{frames[-1].lineno}" if frames else "-"
        group = f"{type(exc).__name__} at {where}: {str(exc)[:120]}"
        count, first, text = self.groups.get(group, (0, data, ""))
        if count == 0:
            text = "".join(traceback.format_exception(exc))
            print(f"\nFAILURE #{len(self.groups) + 1}: {group}", flush=True)
            print(f"input (base64): {base64.b64encode(data).decode()}", flush=True)
            print(text, flush=True)
            if self.save is not None:
                self.save.mkdir(parents=True, exist_ok=True)
                (self.save / f"finding-{len(self.groups) + 1}.bin").write_bytes(data)
        self.groups[group] = (count + 1, first, text)

    def report(self, engine: str, seconds: float) -> int:
        rate = f" ({self.tried / seconds:,.0f}/s)" if seconds > 0 else ""
        print(
            f"\n{engine}: {self.tried:,} inputs in {seconds:.0f} s{rate}, "
            f"slowest {self.slowest * 1000:.1f} ms, {len(self.groups)} distinct failure(s)",
            flush=True,
        )
        for group, (count, first, _) in self.groups.items():
            print(f"  {count:>8,} x {group}\n           first input: {base64.b64encode(first)!r}")
        return 1 if self.groups else 0


# -- engines ----------------------------------------------------------------------------------


def instrument_whiteboard(atheris: Any) -> None:
    """Add coverage instrumentation to the code under test only (protocol and document), in
    place, so the references other objects hold (the field-check table) are covered too."""
    for module in (protocol, document):
        for obj in list(vars(module).values()):
            if inspect.isfunction(obj) and obj.__module__ == module.__name__:
                atheris.instrument_func(obj)
            elif inspect.isclass(obj) and obj.__module__ == module.__name__:
                for attr in vars(obj).values():
                    fn = getattr(attr, "__func__", attr)
                    if inspect.isfunction(fn):
                        atheris.instrument_func(fn)


def seed_corpus(directory: Path, count: int = 200) -> None:
    """Valid and near-valid frames to start from: libFuzzer mutates these instead of having to
    discover msgpack maps and the protocol's key names byte by byte."""
    for i in range(count):
        ch = RandomChoices(i)
        frame = pack(valid_message(ch)) if i % 2 else near_valid_frame(ch)
        (directory / f"seed-raw-{i}").write_bytes(b"\x00" + frame)
        (directory / f"seed-structured-{i}").write_bytes(b"\x01" + RandomChoices(i).blob(256))


def run_atheris(seconds: float, findings: Findings, corpus: Path | None) -> int:
    import atheris

    class FdpChoices:
        def __init__(self, fdp: Any) -> None:
            self.fdp = fdp

        def below(self, n: int) -> int:
            return int(self.fdp.ConsumeIntInRange(0, n - 1))

        def integer(self, lo: int, hi: int) -> int:
            return int(self.fdp.ConsumeIntInRange(lo, hi))

        def number(self) -> float:
            return float(self.fdp.ConsumeFloat())

        def text(self, n: int) -> str:
            return str(self.fdp.ConsumeUnicodeNoSurrogates(self.below(n + 1)))

        def blob(self, n: int) -> bytes:
            return bytes(self.fdp.ConsumeBytes(self.below(n + 1)))

    start = time.monotonic()
    deadline = start + seconds

    def one_input(data: bytes) -> None:
        if not data:
            return
        if data[0] & 1:
            frame = near_valid_frame(FdpChoices(atheris.FuzzedDataProvider(data[1:])))
        else:
            frame = data[1:]
        findings.run(frame)
        if findings.tried % 512 == 0 and time.monotonic() >= deadline:
            code = findings.report("atheris", time.monotonic() - start)
            sys.stdout.flush()
            os._exit(code)  # libFuzzer would otherwise exit without our summary

    instrument_whiteboard(atheris)
    atheris.enabled_hooks.add("RegEx")
    atheris.enabled_hooks.add("str")
    directory = corpus or Path(tempfile.mkdtemp(prefix="fuzz-corpus-"))
    directory.mkdir(parents=True, exist_ok=True)
    if not any(directory.iterdir()):
        seed_corpus(directory)
    print(f"atheris: corpus in {directory}, {seconds:.0f} s", flush=True)
    args = [
        sys.argv[0], str(directory), "-max_len=8192", "-rss_limit_mb=3072", "-timeout=120",
        f"-max_total_time={int(seconds) + 120}", "-print_final_stats=0",
    ]  # fmt: skip
    atheris.Setup(args, one_input)
    atheris.Fuzz()
    return 0  # not reached: one_input exits


def run_hypothesis(seconds: float, findings: Findings) -> int:
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import strategies as st

    class DataChoices:
        def __init__(self, data: Any) -> None:
            self.data = data

        def below(self, n: int) -> int:
            return int(self.data.draw(st.integers(0, n - 1)))

        def integer(self, lo: int, hi: int) -> int:
            return int(self.data.draw(st.integers(lo, hi)))

        def number(self) -> float:
            return float(self.data.draw(st.floats()))

        def text(self, n: int) -> str:
            return str(self.data.draw(st.text(st.characters(codec="utf-8"), max_size=n)))

        def blob(self, n: int) -> bytes:
            return bytes(self.data.draw(st.binary(max_size=n)))

    scalars = (
        st.none() | st.booleans() | st.integers(-(2**63), 2**64 - 1) | st.floats()
        | st.text(st.characters(codec="utf-8"), max_size=12) | st.binary(max_size=8)
        | st.sampled_from(KEYS[:-5])
    )  # fmt: skip
    values = st.recursive(
        scalars,
        lambda inner: (
            st.lists(inner, max_size=6)
            | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=4), inner, max_size=6)
        ),
        max_leaves=30,
    )
    any_map = st.dictionaries(st.sampled_from(KEYS), values, max_size=6)

    start = time.monotonic()
    deadline = start + seconds

    @settings(
        max_examples=100, database=None, deadline=None, phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )  # fmt: skip
    @given(st.data())
    def batch(data: Any) -> None:
        # Draw before looking at the clock: hypothesis insists that a replay draws the same.
        mode = data.draw(st.integers(0, 2))
        if mode == 0:
            frame = data.draw(st.binary(max_size=512))
        elif mode == 1:
            frame = pack(data.draw(any_map))
        else:
            frame = near_valid_frame(DataChoices(data))
        if time.monotonic() < deadline:
            findings.run(frame)

    print(f"hypothesis: {seconds:.0f} s", flush=True)
    while time.monotonic() < deadline:
        batch()
    return findings.report("hypothesis", time.monotonic() - start)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=600, help="how long to fuzz (default 600)")
    ap.add_argument(
        "--engine", choices=("auto", "atheris", "hypothesis"), default="auto",
        help="auto: atheris when installed, else hypothesis",
    )  # fmt: skip
    ap.add_argument("--save", type=Path, help="write each failing input to this directory")
    ap.add_argument("--corpus", type=Path, help="atheris corpus directory (kept between runs)")
    ap.add_argument("--replay", type=Path, nargs="*", help="check these saved inputs and stop")
    args = ap.parse_args(argv)
    findings = Findings(args.save)
    if args.replay:
        for path in args.replay:
            findings.run(path.read_bytes())
        return findings.report("replay", 0)
    engine = args.engine
    if engine == "auto":
        try:
            import atheris  # noqa: F401
        except ImportError:
            engine = "hypothesis"
        else:
            engine = "atheris"
    runner: Callable[[], int]
    if engine == "atheris":
        runner = lambda: run_atheris(args.seconds, findings, args.corpus)  # noqa: E731
    else:
        runner = lambda: run_hypothesis(args.seconds, findings)  # noqa: E731
    return runner()


if __name__ == "__main__":
    sys.exit(main())
