"""Property: for any log, ``?at=S`` is the state after applying ops 1..S to an empty board, for
every S, whatever the checkpoint spacing.

Random logs reach the server two ways: as board files (hypothesis writes the log, rows of
several ops included) and drawn live through a socket (checkpoints written by the Board's
ticks). The oracle is a ``Document`` replaying the same ops from empty.
"""

from __future__ import annotations

import functools
import json
import random
from typing import Any

import msgpack
import pytest
import tornado.ioloop
from hypothesis import HealthCheck, given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from tests.server.conftest import Client, connect, fetch
from whiteboard.codec import pack
from whiteboard.config import Settings
from whiteboard.document import Document
from whiteboard.history import boardfile
from whiteboard.protocol import Limits, ProtocolError

SPACINGS = range(1, 8)
MP = {"Accept": "application/msgpack"}


@pytest.fixture(params=SPACINGS, ids=[f"every{n}" for n in SPACINGS])
def settings(request: pytest.FixtureRequest, tmp_path: Any) -> Settings:
    return Settings(
        data=str(tmp_path / "data"), idle_unload_s=0.2, tick_ms=1, checkpoint_every=request.param
    )


Intent = tuple[int, int, int, int, int]
intents = st.lists(
    st.tuples(
        st.integers(0, 3),  # kind: add, append, update, delete
        st.integers(0, 5),  # which id
        st.integers(-3, 3),  # a small value
        st.integers(1, 3),  # author
        st.integers(0, 1),  # 1: a new tick (new ts), 0: same tick as the previous op
    ),
    max_size=30,
)


def _op(intent: Intent) -> dict[str, Any]:
    """A client op from an intent; it may well be refused (not live, exists): that is the
    point, the oracle keeps only what a Document accepts."""
    kind, idx, v, _, _ = intent
    id = f"e{idx}"
    if kind == 0:
        e: dict[str, Any] = {"id": id, "x": v, "y": 0, "stroke": "#000000"}
        if v % 3 == 0:
            e |= {"type": "pen", "width": 1, "pts": [v, 1] * (1 + abs(v))}
            if v < 0:
                e["pr"] = [7] * (1 + abs(v))
        elif v % 3 == 1:
            e |= {"type": "rect", "width": 2, "w": 3, "h": v, "fill": "#ff0000"}
        else:
            e |= {"type": "text", "text": "t" * (4 + v), "size": 10}
        if v in (2, -1):
            e["z"] = v + 0.5 if v > 0 else 4
        return {"k": "add", "e": e}
    if kind == 1:
        op: dict[str, Any] = {"k": "append", "id": id, "pts": [v, -v, 1, 1]}
        if v < 0:
            op["pr"] = [1, 2]
        return op
    if kind == 2:
        choices: list[dict[str, Any]] = [{"x": v * 1.5}, {"z": v}, {"z": None}, {"y": v}]
        changes = choices[abs(v) % 4]
        return {"k": "update", "id": id, "set": changes}
    return {"k": "delete", "ids": [id, f"e{(idx + 1) % 6}"]}


def _oracle(ops: list[tuple[dict[str, Any], int, int]]) -> tuple[list[Any], list[Any]]:
    """The accepted server ops and the state after each (index S: after op S)."""
    doc = Document(Limits())
    sops: list[dict[str, Any]] = []
    states: list[Any] = [[]]
    for c, (op, by, ts) in enumerate(ops):
        result = doc.apply({**op, "c": c}, doc.seq + 1)
        if isinstance(result, ProtocolError):
            continue
        sops.append({**result, "s": doc.seq, "by": by, "ts": ts})
        states.append(msgpack.unpackb(pack(doc.elements())))
    return sops, states


async def _check_every_s(url: str, board: str, states: list[Any]) -> None:
    for s, expected in enumerate(states):
        resp = await fetch(url, f"/api/boards/{board}?at={s}", headers=MP)
        assert resp.code == 200, resp.body
        assert msgpack.unpackb(resp.body)["elements"] == expected, f"at={s}"


@hyp_settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(log=intents)
def test_at_equals_replay_from_empty_for_imported_logs(
    io_loop: tornado.ioloop.IOLoop, url: str, settings: Settings, log: list[Intent]
) -> None:
    ts = 1_700_000_000_000
    ops = []
    for intent in log:
        ts += intent[4]
        ops.append((_op(intent), intent[3], ts))
    sops, states = _oracle(ops)
    names = {by: f"author {by}" for by in sorted({sop["by"] for sop in sops})}  # authors only
    data = boardfile.encode("src", len(sops), states[-1], sops, names)

    async def run() -> None:
        resp = await fetch(url, "/api/boards/import", method="POST", body=data)
        assert resp.code == 201, resp.body
        await _check_every_s(url, json.loads(resp.body)["board"], states)

    io_loop.run_sync(run, timeout=30)


@pytest.mark.gen_test(timeout=30)
async def test_at_equals_replay_from_empty_for_live_drawing(
    url: str, board: str, settings: Settings
) -> None:
    rng = random.Random(settings.checkpoint_every)
    authors: list[Client] = [await connect(url, board, name=f"a{i}") for i in range(2)]
    ops: list[tuple[dict[str, Any], int, int]] = []
    for _ in range(30):
        who = rng.choice(authors)
        frame = [
            _op((rng.randint(0, 3), rng.randint(0, 5), rng.randint(-3, 3), 0, 0))
            for _ in range(rng.randint(1, 4))
        ]
        cs = await who.ops(*(dict(op) for op in frame))
        # Wait for each op's fate (ack or refusal) so the oracle sees the server's order.
        for op, c in zip(frame, cs, strict=True):
            msg = await who.expect(functools.partial(_fate, who=who, c=c))
            if msg["t"] == "ops":
                who.inbox.insert(0, msg)
                ops.append((op, who.welcome["me"], 0))
    _, states = _oracle(ops)
    assert len(states) > 12
    await _check_every_s(url, board, states)


def _fate(msg: dict[str, Any], *, who: Client, c: int) -> bool:
    if msg.get("t") == "err":
        return bool(msg.get("c") == c)
    if msg.get("t") == "ops":
        return any(sop["by"] == who.welcome["me"] and sop["c"] == c for sop in msg["ops"])
    return False
