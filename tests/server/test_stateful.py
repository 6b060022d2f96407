"""Random sessions of 2 to 4 clients against a real server, checked after every step.

Why: each rule of the protocol has its own example test, but the bugs that lose work live
between the rules -- a reconnect while another client draws, an undo that re-adds a deleted id,
a refused op in the middle of a batch, a socket dropped without a close frame just before a
resume. A hypothesis state machine walks those paths at random, shrinks whatever fails to a
short story, and after every step checks the promises of the Reliability issue:

- the server is healthy (``/healthz``) and its HTTP snapshot is what an independent model of
  the rules (``Model``, not the server's ``Document``) says the board must be;
- every connected client has caught up to that ``seq`` with no gap and no duplicate, and its
  document -- a ``Document`` built from its ``welcome`` and then only from the ``ops`` frames
  it received -- equals the server's;
- every refusal came with the right code, with the op's ``c`` exactly when the op had a valid
  one, and every accepted op was broadcast exactly as the model predicted;
- joins, leaves and cursors reach the others.

Shape: the server runs as a subprocess (``ServerProcess``) and the clients are blocking sockets
(``wsclient.WsClient``), because hypothesis calls rules synchronously while pytest-tornado
would run a server in this very thread. Nothing sleeps: every read waits for a message, with a
timeout generous enough for a loaded machine, and each step waits for every answer it caused
before the next one starts, so the model knows the order the server saw.
"""

from __future__ import annotations

import copy
import functools
import http.client
import itertools
import math
import os
import re
import reprlib
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

import msgpack
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from tests.server.subprocess_server import ServerProcess
from tests.server.wsclient import OP_BINARY, OP_TEXT, WsClient
from whiteboard.document import Document
from whiteboard.protocol import FIELDS, Limits

TIMEOUT = 15.0  # only ever reached when something is wrong: reads return as soon as data comes
LIMITS = Limits()  # the server runs with the default limits
MAX_C = 2**53 - 1
IDS = ("a", "b", "c", "d")  # few ids, so adds collide and deletes find their target
NAMES = ("ann", "  bob  ", "x" * 40, "Zoë")
BARRIER_ID = "never-used"
_boards = itertools.count(1)
_SHORT = reprlib.Repr()
_SHORT.maxlist, _SHORT.maxstring, _SHORT.maxother = 8, 40, 40
F = TypeVar("F", bound=Callable[..., None])


def counted(rule_fn: F) -> F:
    """Count how often each rule ran (the summary line shows what a run really exercised) and
    note whether it finished: after a failed step, ``teardown`` must not add a failure of its
    own on top of the real one."""

    @functools.wraps(rule_fn)
    def wrapper(self: BoardSessions, *args: Any, **kwargs: Any) -> None:
        self.tally["rule " + rule_fn.__name__] += 1
        self.failed = True
        rule_fn(self, *args, **kwargs)
        self.failed = False

    return wrapper  # type: ignore[return-value]


# -- HTTP ------------------------------------------------------------------------------------


def http_call(url: str, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
    host, port = url.removeprefix("http://").rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=TIMEOUT)
    try:
        headers = {"Accept": "application/msgpack"}
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


# -- the model -------------------------------------------------------------------------------


class Model:
    """The board as PROTOCOL.md describes it, written apart from ``whiteboard.document`` so
    that the server is checked against the text and not against itself.

    Only one client acts per step and each step waits for all its answers, so the order in
    which the model applies ops is the order the server applied them.
    """

    def __init__(self) -> None:
        self.seq = 0
        self.live: dict[str, dict[str, Any]] = {}
        self.first: dict[str, int] = {}
        self.log: list[dict[str, Any]] = []  # every server op, as broadcast (without ts)

    def outcome(self, op: dict[str, Any]) -> str | dict[str, Any]:
        """The refusal code for a well-formed op, or the op the server must broadcast."""
        k = op["k"]
        if k == "add":
            return "exists" if op["e"]["id"] in self.live else op
        if k == "delete":
            deleted = [i for i in dict.fromkeys(op["ids"]) if i in self.live]
            if not deleted:
                return "not_found"
            return op if len(deleted) == len(op["ids"]) else {**op, "ids": deleted}
        el = self.live.get(op["id"])
        if el is None:
            return "not_found"
        if k == "append":
            if el["type"] != "pen" or ("pr" in op) != ("pr" in el):
                return "bad_op"
            return op
        if any(key not in FIELDS[el["type"]] for key in op["set"]):
            return "bad_op"
        return op

    def commit(self, op: dict[str, Any], by: int) -> dict[str, Any]:
        self.seq += 1
        sop = {**copy.deepcopy(op), "s": self.seq, "by": by}
        self.log.append(sop)
        k = op["k"]
        if k == "add":
            e = copy.deepcopy(op["e"])
            self.live[e["id"]] = e
            self.first.setdefault(e["id"], self.seq)
        elif k == "delete":
            for i in op["ids"]:
                self.live.pop(i, None)
        elif k == "append":
            el = self.live[op["id"]]
            el["pts"] = el["pts"] + op["pts"]
            if "pr" in op:
                el["pr"] = el["pr"] + op["pr"]
        else:
            el = self.live[op["id"]]
            for key, value in op["set"].items():
                if value is None:
                    el.pop(key, None)
                else:
                    el[key] = value
        return sop

    def elements(self) -> list[dict[str, Any]]:
        """Stacking order: ``z`` where set, else the first add's seq; ties by that seq."""

        def key(e: dict[str, Any]) -> tuple[float, int]:
            first = self.first[e["id"]]
            return (e.get("z", first), first)

        return sorted(self.live.values(), key=key)


# -- what clients send -------------------------------------------------------------------------

VALID_C = object()
"""``Spec.c`` for "give the op a fresh, valid ``c``"."""
NO_C = object()
"""``Spec.c`` for "send the op without ``c``"."""


@dataclass(repr=False)
class Spec:
    """One op to send: ``code`` is the refusal validation must give (None: well-formed, the
    board decides); ``c`` is VALID_C, NO_C or the exact (invalid) value to send."""

    op: Any
    code: str | None = None
    c: Any = VALID_C

    def build(self, c: int) -> Any:
        if not isinstance(self.op, dict):
            return self.op
        op = copy.deepcopy(self.op)
        if self.c is VALID_C:
            op["c"] = c
        elif self.c is not NO_C:
            op["c"] = self.c
        return op

    def refused_with_c(self) -> bool:
        return isinstance(self.op, dict) and self.c is VALID_C

    def __repr__(self) -> str:
        # Short, so a failing story stays readable (and hypothesis does not warn about it).
        c = "" if self.c is VALID_C else f", c={'absent' if self.c is NO_C else self.c!r}"
        code = "" if self.code is None else f", {self.code!r}"
        return f"Spec({_SHORT.repr(self.op)}{code}{c})"


ids = st.sampled_from(IDS)
colors = st.sampled_from(("#000000", "#1e90ff", "#FF00AA80", "#abcdef"))
coords = st.integers(-(10**7), 10**7) | st.floats(-1e7, 1e7)
widths = st.floats(0.1, 200) | st.integers(1, 200)
sizes = st.integers(4, 400) | st.floats(4, 400)
zs = st.integers(-3, 3) | st.floats(-1e6, 1e6)
texts = st.text(st.characters(codec="utf-8"), min_size=1, max_size=12)
point_values = st.integers(-50, 50) | st.sampled_from((-(2**31), 2**31 - 1))


@st.composite
def points(draw: st.DrawFn, n: int) -> list[int]:
    return draw(st.lists(point_values, min_size=2 * n, max_size=2 * n))


@st.composite
def elements(draw: st.DrawFn, eid: str | None = None) -> dict[str, Any]:
    etype = draw(st.sampled_from(("pen", "pen", "pen", "line", "arrow", "rect", "ellipse", "text")))
    e: dict[str, Any] = {"id": eid or draw(ids), "type": etype, "x": draw(coords)}
    e["y"] = draw(coords)
    e["stroke"] = draw(colors)
    if etype != "text":
        e["width"] = draw(widths)
    if etype == "pen":
        n = draw(st.integers(1, 4))
        e["pts"] = draw(points(n))
        if draw(st.booleans()):
            e["pr"] = draw(st.lists(st.integers(0, 255), min_size=n, max_size=n))
        if draw(st.booleans()):
            e["ps"] = draw(st.integers(1, 64))
    elif etype == "text":
        e["text"] = draw(texts)
        e["size"] = draw(sizes)
    else:
        e["w"], e["h"] = draw(coords), draw(coords)
        if etype in ("rect", "ellipse") and draw(st.booleans()):
            e["fill"] = draw(colors)
    if draw(st.integers(0, 3)) == 0:
        e["z"] = draw(zs)
    return e


SET_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "x": coords, "y": coords, "w": coords, "h": coords, "stroke": colors,
    "fill": colors | st.none(), "width": widths, "z": zs | st.none(), "text": texts,
    "size": sizes,
}  # fmt: skip


@st.composite
def well_formed_ops(draw: st.DrawFn) -> dict[str, Any]:
    """Ops validation accepts; the board may still refuse them (exists, not_found, bad_op)."""
    kind = draw(st.sampled_from(("add", "add", "append", "append", "update", "delete")))
    if kind == "add":
        return {"k": "add", "e": draw(elements())}
    if kind == "append":
        n = draw(st.integers(1, 3))
        op: dict[str, Any] = {"k": "append", "id": draw(ids), "pts": draw(points(n))}
        if draw(st.booleans()):
            op["pr"] = draw(st.lists(st.integers(0, 255), min_size=n, max_size=n))
        return op
    if kind == "update":
        keys = draw(st.lists(st.sampled_from(sorted(SET_VALUES)), min_size=1, max_size=3))
        return {"k": "update", "id": draw(ids), "set": {k: draw(SET_VALUES[k]) for k in keys}}
    return {"k": "delete", "ids": draw(st.lists(ids, min_size=1, max_size=3))}


def _with(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in changes.items():
        if value is _DROP:
            out.pop(key, None)
        else:
            out[key] = value
    return out


_DROP = object()
_RECT = {"id": "a", "type": "rect", "x": 0, "y": 0, "stroke": "#000000", "width": 1,
         "w": 5, "h": 5}  # fmt: skip
_PEN = {"id": "b", "type": "pen", "x": 0, "y": 0, "stroke": "#000000", "width": 1,
        "pts": [1, 1]}  # fmt: skip
_TEXT = {"id": "c", "type": "text", "x": 0, "y": 0, "stroke": "#000000", "text": "t",
         "size": 12}  # fmt: skip

MALFORMED_OPS: list[Spec] = [
    # No valid c: refused without one.
    *(Spec({"k": "delete", "ids": ["a"]}, "bad_op", c) for c in
      (NO_C, -1, MAX_C + 1, 1.5, 3.0, True, "7", None)),
    *(Spec(op, "bad_op", NO_C) for op in (5, "add", [1], None)),
    # A valid c and one thing wrong: refused with it.
    Spec({"k": "move", "id": "a"}, "bad_op"),
    Spec({"id": "a", "ids": ["a"]}, "bad_op"),
    Spec({"k": "delete", "ids": ["a"], "zz": 1}, "bad_op"),
    Spec({"k": "add", "e": _with(_RECT, zz=1)}, "bad_op"),
    Spec({"k": "add", "e": _with(_PEN, fill="#000000")}, "bad_op"),
    Spec({"k": "add", "e": _with(_TEXT, width=2)}, "bad_op"),
    Spec({"k": "add", "e": _with(_RECT, stroke=_DROP)}, "bad_op"),
    Spec({"k": "add", "e": _with(_RECT, x=1e7 + 1)}, "bad_op"),
    Spec({"k": "add", "e": _with(_RECT, x=True)}, "bad_op"),
    Spec({"k": "add", "e": _with(_RECT, y=math.nan)}, "bad_op"),
    Spec({"k": "add", "e": _with(_RECT, h=-math.inf)}, "bad_op"),
    Spec({"k": "add", "e": _with(_RECT, width=0)}, "bad_op"),
    Spec({"k": "add", "e": _with(_RECT, width=200.5)}, "bad_op"),
    Spec({"k": "add", "e": _with(_RECT, stroke="red")}, "bad_op"),
    Spec({"k": "add", "e": _with(_RECT, stroke="#000000\n")}, "bad_op"),
    Spec({"k": "add", "e": _with(_RECT, id="has space")}, "bad_op"),
    Spec({"k": "add", "e": _with(_RECT, id="x" * 33)}, "bad_op"),
    Spec({"k": "add", "e": _with(_RECT, type="circle")}, "bad_op"),
    Spec({"k": "add", "e": _with(_TEXT, size=3)}, "bad_op"),
    Spec({"k": "add", "e": _with(_TEXT, text="")}, "bad_op"),
    Spec({"k": "add", "e": _with(_TEXT, text="x" * 10_001)}, "too_large"),
    Spec({"k": "add", "e": _with(_PEN, ps=0)}, "bad_op"),
    Spec({"k": "add", "e": _with(_PEN, ps=2.0)}, "bad_op"),
    Spec({"k": "add", "e": _with(_PEN, pts=[1])}, "bad_op"),
    Spec({"k": "add", "e": _with(_PEN, pts=[])}, "bad_op"),
    Spec({"k": "add", "e": _with(_PEN, pts=[1.0, 2])}, "bad_op"),
    Spec({"k": "add", "e": _with(_PEN, pts=[2**31, 0])}, "bad_op"),
    Spec({"k": "add", "e": _with(_PEN, pr=[1, 2])}, "bad_op"),
    Spec({"k": "add", "e": _with(_PEN, pts=[1, 1] * 5_001)}, "too_large"),
    Spec({"k": "append", "id": "b", "pts": [1, 1, 1]}, "bad_op"),
    Spec({"k": "append", "id": "b", "pts": [1, 1], "pr": [256]}, "bad_op"),
    Spec({"k": "append", "id": "b", "pts": [0, 0] * 5_001}, "too_large"),
    Spec({"k": "append", "id": "", "pts": [1, 1]}, "bad_op"),
    Spec({"k": "update", "id": "a", "set": {}}, "bad_op"),
    Spec({"k": "update", "id": "a", "set": {"id": "z"}}, "bad_op"),
    Spec({"k": "update", "id": "a", "set": {"type": "rect"}}, "bad_op"),
    Spec({"k": "update", "id": "a", "set": {"pts": [1, 1]}}, "bad_op"),
    Spec({"k": "update", "id": "a", "set": {"nope": 1}}, "bad_op"),
    Spec({"k": "update", "id": "a", "set": {"width": None}}, "bad_op"),
    Spec({"k": "update", "id": "a", "set": {"x": "1"}}, "bad_op"),
    Spec({"k": "update", "id": "a", "set": {"text": "x" * 10_001}}, "too_large"),
    Spec({"k": "delete", "ids": []}, "bad_op"),
    Spec({"k": "delete", "ids": "a"}, "bad_op"),
    Spec({"k": "delete", "ids": ["bad id"]}, "bad_op"),
    Spec({"k": "delete", "ids": ["a"] * 1025}, "bad_op"),
]  # fmt: skip

op_specs = st.one_of(
    *[well_formed_ops().map(Spec)] * 4,
    st.sampled_from(MALFORMED_OPS),
)

BAD_MESSAGES: list[Any] = [
    {"t": "ops"}, {"t": "ops", "ops": []}, {"t": "ops", "ops": {}}, {"t": "ops", "ops": "x"},
    {"t": "ops", "ops": [5] * 257},
    {"t": "cursor", "x": 1}, {"t": "cursor", "x": "1", "y": 2}, {"t": "cursor", "x": 1, "y": None},
    {"t": "cursor", "x": math.nan, "y": 0}, {"t": "cursor", "x": math.inf, "y": 0},
    {"t": "cursor", "x": True, "y": 0},
    {"t": "nope"}, {"t": 5}, {}, {"t": None}, {"t": "hello", "v": 1, "name": "again"},
]  # fmt: skip

BAD_HELLOS: list[Any] = [
    {"t": "hello", "v": 2, "name": "a"}, {"t": "hello", "v": "1", "name": "a"},
    {"t": "hello", "name": "a"}, {"t": "hello", "v": 1, "name": ""},
    {"t": "hello", "v": 1, "name": "   "}, {"t": "hello", "v": 1, "name": "x" * 41},
    {"t": "hello", "v": 1, "name": 5}, {"t": "hello", "v": 1, "name": "a", "since": -1},
    {"t": "hello", "v": 1, "name": "a", "since": 1.5}, {"t": "hello", "v": 1, "v2": 1},
    {"t": "hi", "v": 1, "name": "a"}, {"t": "cursor", "x": 1, "y": 1},
    {"t": "ops", "ops": [{"k": "delete", "c": 1, "ids": ["a"]}]},
]  # fmt: skip

FATAL_FRAMES: list[tuple[str, int, bytes | None]] = [
    ("text frame", 1003, None),
    ("not msgpack", 1007, b"\xc1"),
    ("empty frame", 1007, b""),
    ("truncated map", 1007, b"\x81\xa1t"),
    ("an array", 1007, msgpack.packb([1, 2])),
    ("a string", 1007, msgpack.packb("ops")),
    ("too big", 1009, None),
]


# -- a simulated client ----------------------------------------------------------------------


@dataclass
class Slot:
    """One person: at most one socket at a time, and the document it has seen so far."""

    name: str
    key: str | None  # the hello.key it sends (on a protected board)
    readonly: bool
    ws: WsClient | None = None
    me: int = 0
    token: str = ""
    mirror: Document | None = None
    acks: dict[int, str] = field(default_factory=dict)  # c -> "ok" or the refusal code
    no_c: Counter[str] = field(default_factory=Counter)  # refusals expected without c
    joins: set[int] = field(default_factory=set)
    leaves: set[int] = field(default_factory=set)
    cursors: set[tuple[int, Any, Any]] = field(default_factory=set)

    @property
    def live(self) -> bool:
        return self.ws is not None

    def waiting(self) -> bool:
        return bool(self.acks or +self.no_c or self.joins or self.leaves or self.cursors)


class BoardSessions(RuleBasedStateMachine):
    url = ""  # set by the test: the server is shared by every run of the machine
    tally: Counter[str] = Counter()  # rules run, refusals seen..., for the summary line
    keys: list[str] = []  # edit keys of protected boards: none may ever reach the server log

    def __init__(self) -> None:
        super().__init__()
        self.board = ""
        self.slots: list[Slot] = []
        self.model = Model()
        self.cs = itertools.count(1)
        self.all_ids: set[int] = set()  # every client id this board gave, to check uniqueness
        self.sockets: list[WsClient] = []  # every socket opened, all closed by teardown
        self.gone: set[int] = set()  # ids of connections this machine closed or dropped
        self.failed = False  # a step (rule, invariant) raised: set by ``counted``

    # -- set-up and tear-down -------------------------------------------------------------

    @initialize(
        n=st.integers(2, 4),
        protected=st.booleans(),
        keyed=st.lists(st.sampled_from(("key", "none", "wrong")), min_size=4, max_size=4),
    )
    @counted
    def open_board(self, n: int, protected: bool, keyed: list[str]) -> None:
        key = None
        if protected:
            status, body = http_call(self.url, "POST", "/api/boards", b'{"protected": true}')
            assert status == 201, body
            created = msgpack.unpackb(body)
            self.board, key = created["board"], created["key"]
            self.keys.append(key)
        else:
            self.board = f"stateful-{os.getpid()}-{next(_boards)}"
        keyed[0] = "key"  # someone can always draw
        for i in range(n):
            sent = {"key": key, "none": None, "wrong": "not-the-key"}[keyed[i]]
            readonly = protected and keyed[i] != "key"
            self.slots.append(Slot(NAMES[i], sent, readonly))
        for slot in self.slots:
            self._join(slot, since=None)

    def teardown(self) -> None:
        """Prove no answer is still unread (a barrier op each), then close every socket.

        After a failed step the sockets are only closed, so that the report shows the step's
        own failure rather than the confusion it left behind."""
        try:
            if self.failed:
                return
            for slot in self.slots:
                if slot.ws is not None and self.board:
                    c = next(self.cs)
                    slot.acks[c] = "read_only" if slot.readonly else "not_found"
                    slot.ws.send(
                        {"t": "ops", "ops": [{"k": "delete", "c": c, "ids": [BARRIER_ID]}]}
                    )
                    self._settle(slot)
        finally:
            for ws in self.sockets:
                ws.abort()

    # -- helpers --------------------------------------------------------------------------

    def _open(self) -> WsClient:
        ws = WsClient.connect(self.url, f"/ws/{self.board}", timeout=TIMEOUT)
        self.sockets.append(ws)
        return ws

    def _connected(self) -> list[int]:
        return [i for i, s in enumerate(self.slots) if s.live]

    def _disconnected(self) -> list[int]:
        return [i for i, s in enumerate(self.slots) if not s.live]

    def _others(self, slot: Slot) -> list[Slot]:
        return [s for s in self.slots if s.live and s is not slot]

    def _expect(self, slot: Slot, spec: Spec, early: list[dict[str, Any]] | None = None) -> Any:
        """Build the op and predict the answer; an accepted op is applied to the model now,
        so the next op of the same batch is judged against the board it will meet. Ops sent
        before the welcome go to ``early``: their author's id is not known yet."""
        c = next(self.cs)
        op = spec.build(c)
        if spec.code is not None:
            if spec.refused_with_c():
                slot.acks[c] = spec.code
            else:
                slot.no_c[spec.code] += 1
        elif slot.readonly:
            slot.acks[c] = "read_only"
        else:
            result = self.model.outcome(op)
            if isinstance(result, str):
                slot.acks[c] = result
            else:
                sop = self.model.commit(result, slot.me)
                if early is not None:
                    early.append(sop)
                slot.acks[c] = "ok"
        return op

    def _handle(self, slot: Slot, msg: dict[str, Any]) -> None:
        """Check one message against what this client was promised."""
        t = msg.get("t")
        if t == "ops":
            assert type(msg["ts"]) is int
            assert slot.mirror is not None
            for sop in msg["ops"]:
                self._apply(slot, sop)
        elif t == "err":
            code, c = msg["code"], msg.get("c")
            assert isinstance(msg["msg"], str) and msg["msg"], msg
            self.tally[f"refused {code}"] += 1
            if c is None:
                assert slot.no_c[code] > 0, f"{slot.name}: unexpected refusal {msg}"
                slot.no_c[code] -= 1
            else:
                assert slot.acks.get(c) == code, (
                    f"{slot.name}: op c={c} refused with {code!r} ({msg['msg']}), "
                    f"expected {slot.acks.get(c)!r}"
                )
                del slot.acks[c]
        elif t == "presence":
            connected = {s.me for s in self.slots if s.live}
            for peer in msg.get("join", []):
                assert peer["id"] in slot.joins, f"{slot.name}: unexpected join {peer}"
                assert peer["id"] != slot.me
                slot.joins.discard(peer["id"])
            for cid in msg.get("leave", []):
                # The receiver may hear of the connection it replaced itself; never of one
                # still connected.
                assert cid not in connected or cid in slot.leaves, f"leave of live {cid}"
                slot.leaves.discard(cid)
            for cid, x, y in msg.get("cur", []):
                assert cid != slot.me, f"{slot.name} got its own cursor"
                slot.cursors.discard((cid, x, y))
        else:
            raise AssertionError(f"{slot.name}: unexpected message {msg}")

    def _apply(self, slot: Slot, sop: dict[str, Any]) -> None:
        assert slot.mirror is not None
        s = sop["s"]
        assert s == slot.mirror.seq + 1, f"{slot.name}: got s={s} after {slot.mirror.seq}"
        expected = self.model.log[s - 1] if s <= len(self.model.log) else None
        plain = {k: v for k, v in sop.items() if k != "ts"}
        assert plain == expected, f"server op {plain} differs from the model's {expected}"
        slot.mirror.apply_sop(sop)
        if sop["by"] == slot.me and sop["c"] in slot.acks:
            assert slot.acks.pop(sop["c"]) == "ok", f"{slot.name}: op {sop} should be refused"
            self.tally[f"accepted {sop['k']}"] += 1

    def _read(self, slot: Slot) -> dict[str, Any]:
        assert slot.ws is not None
        try:
            msg = slot.ws.recv(TIMEOUT)
        except TimeoutError:
            seq = slot.mirror.seq if slot.mirror is not None else None
            raise AssertionError(
                f"{slot.name} (id {slot.me}, at seq {seq} of {self.model.seq}) waited "
                f"{TIMEOUT} s in vain for: acks {slot.acks}, refusals {dict(+slot.no_c)}, "
                f"joins {slot.joins}, leaves {slot.leaves}, cursors {slot.cursors}"
            ) from None
        assert msg is not None, f"{slot.name} was closed ({slot.ws.close_code})"
        return msg

    def _settle(self, slot: Slot) -> None:
        """Read until every answer this client is owed has come."""
        while slot.waiting():
            self._handle(slot, self._read(slot))

    def _catch_up(self, slot: Slot) -> None:
        assert slot.mirror is not None
        while slot.mirror.seq < self.model.seq or slot.waiting():
            self._handle(slot, self._read(slot))

    def _join(
        self, slot: Slot, since: int | None, prev: bool = False, early: list[Spec] | None = None
    ) -> None:
        """Connect, say hello (maybe with ops right behind it), check the welcome."""
        ws = self._open()
        hello: dict[str, Any] = {"t": "hello", "v": 1, "name": slot.name, "zz": "ignored"}
        if since is not None:
            hello["since"] = since
        if slot.key is not None:
            hello["key"] = slot.key
        if prev:
            hello["prev"] = {"id": slot.me, "token": slot.token}
        ws.send(hello)
        # What the welcome must hold, copied before the early ops change the model.
        head, elements = self.model.seq, copy.deepcopy(self.model.elements())
        log = list(self.model.log)
        accepted: list[dict[str, Any]] = []
        if early:
            ws.send({"t": "ops", "ops": [self._expect(slot, s, accepted) for s in early]})
        while True:  # refusals of the early ops may come before the welcome
            msg = ws.recv(TIMEOUT)
            assert msg is not None, f"closed ({ws.close_code}) before the welcome"
            if msg["t"] == "welcome":
                break
            self._handle(slot, msg)
        self._check_welcome(slot, msg, since, head, elements, log)
        for sop in accepted:
            sop["by"] = msg["me"]
        for other in self._others(slot):
            other.joins.add(msg["me"])
        slot.ws = ws
        self._settle(slot)

    def _check_welcome(
        self,
        slot: Slot,
        w: dict[str, Any],
        since: int | None,
        head: int,
        elements: list[dict[str, Any]],
        log: list[dict[str, Any]],
    ) -> None:
        assert w["v"] == 1 and w["board"] == self.board and w["seq"] == head
        assert w["me"] not in self.all_ids, "a client id was given twice"
        self.all_ids.add(w["me"])
        assert w["readonly"] is slot.readonly
        others = {s.me: s.name.strip() for s in self._others(slot)}
        peers = {p["id"]: p["name"] for p in w["peers"]}
        assert {i: peers.get(i) for i in others} == others, f"peers {peers}, expected {others}"
        for i in set(peers) - set(others):
            # A socket we closed a moment ago whose end the server has not processed yet:
            # allowed, as long as its leave follows.
            assert i in self.gone, f"welcome lists a peer {i} that is not connected"
            slot.leaves.add(i)
        assert re.fullmatch(r"#[0-9a-f]{6}", w["color"])
        assert w["limits"]["ops_per_frame"] == LIMITS.ops_per_frame
        slot.me, slot.token = w["me"], w["token"]
        if since == head:
            assert w["ops"] == [], "a resume at the head must get ops: []"
        self.tally["welcome with " + ("ops" if w["ops"] is not None else "elements")] += 1
        if w["ops"] is not None:
            assert w["elements"] is None and since is not None and since <= head
            assert [{k: v for k, v in o.items() if k != "ts"} for o in w["ops"]] == log[since:]
            if slot.mirror is None or slot.mirror.seq != since:
                assert since == 0, "ops after a seq this client never had"
                slot.mirror = Document(LIMITS)
            for sop in w["ops"]:
                self._apply(slot, sop)
        else:
            assert w["elements"] == elements
            firsts = {e["id"]: f for e, f in zip(w["elements"], w["first"], strict=True)}
            assert firsts == {e["id"]: self.model.first[e["id"]] for e in elements}
            # welcome.gone: where every deleted id goes should it be added again.
            gone = {i: f for i, f in w["gone"]}
            deleted = {i: f for i, f in self.model.first.items() if i not in firsts}
            assert gone == {i: f for i, f in deleted.items() if f <= w["seq"]}
            state = {"seq": w["seq"], "elements": w["elements"], "first": {**gone, **firsts}}
            slot.mirror = Document.from_state(state, LIMITS)

    def _leave(self, slot: Slot) -> None:
        self.gone.add(slot.me)
        for other in self._others(slot):
            other.leaves.add(slot.me)
        slot.ws = None

    # -- rules ----------------------------------------------------------------------------

    @precondition(lambda self: bool(self._connected()))
    @rule(data=st.data(), specs=st.lists(op_specs, min_size=1, max_size=6))
    @counted
    def send_ops(self, data: st.DataObject, specs: list[Spec]) -> None:
        slot = self.slots[data.draw(st.sampled_from(self._connected()), label="slot")]
        assert slot.ws is not None
        slot.ws.send({"t": "ops", "ops": [self._expect(slot, spec) for spec in specs]})
        self._settle(slot)

    @precondition(lambda self: bool(self._connected()))
    @rule(data=st.data(), eid=ids, n=st.integers(1, 5), same_frame=st.booleans())
    @counted
    def draw_stroke(self, data: st.DataObject, eid: str, n: int, same_frame: bool) -> None:
        """What a pen does: an add, then appends as the pointer moves (maybe all in one frame,
        as when the browser batches an animation frame's worth)."""
        slot = self.slots[data.draw(st.sampled_from(self._connected()), label="slot")]
        assert slot.ws is not None
        pen = data.draw(elements(eid).filter(lambda e: e["type"] == "pen"), label="pen")
        specs = [Spec({"k": "add", "e": pen})]
        for _ in range(n):
            op = {"k": "append", "id": eid, "pts": data.draw(points(1), label="pts")}
            if "pr" in pen:
                op["pr"] = [data.draw(st.integers(0, 255), label="pr")]
            specs.append(Spec(op))
        frames = [specs] if same_frame else [[spec] for spec in specs]
        for frame in frames:
            slot.ws.send({"t": "ops", "ops": [self._expect(slot, spec) for spec in frame]})
        self._settle(slot)

    @precondition(lambda self: bool(self._connected()) and bool(self.model.first))
    @rule(data=st.data(), kind=st.sampled_from(("update", "update", "delete", "undo")))
    @counted
    def edit_existing(self, data: st.DataObject, kind: str) -> None:
        """Edits aimed at ids the board has (had): moves, restyles, deletes, and the undo of
        a delete, which re-adds an id and must put it back in its old place in the stack."""
        slot = self.slots[data.draw(st.sampled_from(self._connected()), label="slot")]
        assert slot.ws is not None
        live = sorted(self.model.live)
        gone = sorted(set(self.model.first) - set(live))
        op: dict[str, Any]
        if kind == "update" and live:
            eid = data.draw(st.sampled_from(live), label="id")
            fields = sorted(set(SET_VALUES) & FIELDS[self.model.live[eid]["type"]])
            keys = data.draw(st.lists(st.sampled_from(fields), min_size=1, max_size=3))
            op = {"k": "update", "id": eid, "set": {k: data.draw(SET_VALUES[k]) for k in keys}}
        elif kind == "undo" and gone:
            eid = data.draw(st.sampled_from(gone), label="id")
            op = {"k": "add", "e": data.draw(elements(eid), label="element")}
        else:
            pool = sorted(self.model.first)
            op = {"k": "delete", "ids": data.draw(st.lists(st.sampled_from(pool), min_size=1))}
        slot.ws.send({"t": "ops", "ops": [self._expect(slot, Spec(op))]})
        self._settle(slot)

    @precondition(lambda self: bool(self._connected()))
    @rule(data=st.data(), msg=st.sampled_from(BAD_MESSAGES))
    @counted
    def send_bad_message(self, data: st.DataObject, msg: Any) -> None:
        slot = self.slots[data.draw(st.sampled_from(self._connected()), label="slot")]
        assert slot.ws is not None
        slot.no_c["bad_message"] += 1
        slot.ws.send(msg)
        self._settle(slot)

    @precondition(lambda self: bool(self._connected()))
    @rule(data=st.data(), hidden=st.booleans(), x=st.floats(-1e9, 1e9), y=st.integers(-9, 9))
    @counted
    def move_cursor(self, data: st.DataObject, hidden: bool, x: float, y: int) -> None:
        slot = self.slots[data.draw(st.sampled_from(self._connected()), label="slot")]
        assert slot.ws is not None
        pos: tuple[Any, Any] = (None, None) if hidden else (x, y)
        slot.ws.send({"t": "cursor", "x": pos[0], "y": pos[1], "zz": "unknown keys are ignored"})
        for other in self._others(slot):
            other.cursors.add((slot.me, *pos))

    @precondition(lambda self: bool(self._connected()))
    @rule(data=st.data(), abrupt=st.booleans())
    @counted
    def disconnect(self, data: st.DataObject, abrupt: bool) -> None:
        slot = self.slots[data.draw(st.sampled_from(self._connected()), label="slot")]
        assert slot.ws is not None
        if abrupt:
            slot.ws.abort()  # the TCP connection ends without a close frame
        else:
            code = slot.ws.close(1000)
            assert code == 1000, code
        self._leave(slot)

    @precondition(lambda self: bool(self._disconnected()))
    @rule(
        data=st.data(),
        how=st.sampled_from(("fresh", "resume", "resume", "partial", "from0", "ahead")),
        prev=st.booleans(),
        early=st.lists(op_specs, max_size=2),
    )
    @counted
    def connect(self, data: st.DataObject, how: str, prev: bool, early: list[Spec]) -> None:
        slot = self.slots[data.draw(st.sampled_from(self._disconnected()), label="slot")]
        since = {
            "fresh": None,
            "resume": slot.mirror.seq if slot.mirror is not None else None,
            "from0": 0,
            "ahead": self.model.seq + 3,
            "partial": data.draw(st.integers(0, self.model.seq), label="since"),
        }[how]
        if how == "partial":
            # A client that has applied ops 1..since, wherever that falls in the server's
            # ticks (its frames may hold several ops); the history API must agree with it.
            slot.mirror = Document(LIMITS)
            for sop in self.model.log[:since]:
                slot.mirror.apply_sop(copy.deepcopy(sop))
            status, body = http_call(self.url, "GET", f"/api/boards/{self.board}?at={since}")
            assert status == 200, body
            past = msgpack.unpackb(body)
            assert past["seq"] == since and past["elements"] == slot.mirror.elements()
        self._join(slot, since, prev=prev and slot.me > 0, early=early)

    @precondition(lambda self: bool(self._connected()))
    @rule(data=st.data())
    @counted
    def reconnect_in_place(self, data: st.DataObject) -> None:
        """A new socket with ``hello.prev`` while the old one is still open: the server
        drops the old one (1000) before it welcomes the new one."""
        slot = self.slots[data.draw(st.sampled_from(self._connected()), label="slot")]
        old = slot.ws
        assert old is not None and slot.mirror is not None
        self._leave(slot)
        self._join(slot, slot.mirror.seq, prev=True)
        assert old.expect_close(TIMEOUT) == 1000
        old.abort()

    @precondition(lambda self: bool(self._connected()))
    @rule(data=st.data(), fatal=st.sampled_from(FATAL_FRAMES))
    @counted
    def send_fatal_frame(self, data: st.DataObject, fatal: tuple[str, int, bytes | None]) -> None:
        slot = self.slots[data.draw(st.sampled_from(self._connected()), label="slot")]
        ws = slot.ws
        assert ws is not None
        what, code, payload = fatal
        if what == "text frame":
            ws.send_frame(OP_TEXT, b'{"t":"ops"}')
        elif what == "too big":
            # Only the header of a 2 MiB frame: the server refuses it from the length alone.
            ws.send_raw(bytes([0x80 | OP_BINARY, 0x80 | 127]) + (2 << 20).to_bytes(8, "big"))
        else:
            assert payload is not None
            ws.send_frame(OP_BINARY, payload)
        self._settle(slot)  # nothing is owed, but nothing unexpected may come first
        assert ws.expect_close(TIMEOUT) == code, f"{what}: closed with {ws.close_code}"
        ws.abort()
        self._leave(slot)

    @precondition(lambda self: bool(self._disconnected()))
    @rule(hello=st.sampled_from(BAD_HELLOS))
    @counted
    def send_bad_hello(self, hello: Any) -> None:
        ws = self._open()
        try:
            ws.send(hello)
            err = ws.recv(TIMEOUT)
            assert err is not None and err["t"] == "err", err
            assert err["code"] == "bad_message" and "c" not in err, err
            assert ws.expect_close(TIMEOUT) == 1008
        finally:
            ws.abort()

    # -- the checks after every step ------------------------------------------------------

    @invariant()
    @counted
    def everyone_agrees_with_the_server(self) -> None:
        if not self.board:
            return
        status, body = http_call(self.url, "GET", "/healthz")
        assert status == 200 and body.strip() == b"ok", (status, body)
        status, body = http_call(self.url, "GET", f"/api/boards/{self.board}")
        assert status == 200, body
        snap = msgpack.unpackb(body)
        assert snap["seq"] == self.model.seq
        assert snap["elements"] == self.model.elements()
        by_id = {e["id"]: e for e in snap["elements"]}
        for slot in self.slots:
            if slot.ws is None:
                continue
            self._catch_up(slot)
            assert slot.mirror is not None and slot.mirror.seq == snap["seq"]
            mine = slot.mirror.elements()
            assert {e["id"]: e for e in mine} == by_id, f"{slot.name}'s document differs"
            # A client that loaded the board fresh knows where an id deleted before its welcome
            # and re-added since belongs: welcome.gone told it.
            assert all(slot.mirror.first_seq(i) == self.model.first[i] for i in by_id)
            assert mine == snap["elements"], f"{slot.name}'s stacking order differs"


# -- the test --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One server for every run of the machine (each run uses a board of its own). Small
    ticks keep steps fast; a short idle unload and frequent checkpoints make resumes meet
    boards reloaded from the store as well as boards in memory."""
    data = str(tmp_path_factory.mktemp("stateful"))
    # Every run creates boards from one address: no creation allowance here.
    args = ("--tick-ms", "2", "--idle-unload-s", "0.05", "--checkpoint-every", "5",
            "--creations-per-min", "1000000")  # fmt: skip
    proc = ServerProcess(data, *args).start()
    yield proc
    proc.terminate()
    assert proc.wait(30) == 0
    log = proc.output()
    assert "Traceback" not in log and " ERROR " not in log, log[-4000:]


def test_random_sessions_stay_consistent(server: ServerProcess) -> None:
    BoardSessions.url = server.url
    start = time.monotonic()
    run_state_machine_as_test(
        BoardSessions,
        settings=settings(
            max_examples=100,
            stateful_step_count=40,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        ),
    )
    took = time.monotonic() - start
    log = "".join(server.log)
    assert "Traceback" not in log and " ERROR " not in log, log[-4000:]
    assert BoardSessions.keys and not any(key in log for key in BoardSessions.keys)
    tally = BoardSessions.tally
    runs, checks = tally["rule open_board"], tally["rule everyone_agrees_with_the_server"]
    print(f"stateful: {runs} runs, {checks} checked steps in {took:.1f} s")
    print("  " + ", ".join(f"{k}: {v}" for k, v in sorted(tally.items())))
