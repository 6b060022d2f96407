"""A big board's decode holds the garbage collector off (``gil.collector_paused``); the gain
is measured on the 100,000-element board (docs/scaling.md, "Loading"). Here, the rule: held
while any pass holds it, in any thread, and given back as it was found."""

from __future__ import annotations

import gc
import threading

import pytest

from whiteboard import gil
from whiteboard.document import Document
from whiteboard.history import checkpoint
from whiteboard.live.registry import _decode
from whiteboard.protocol import Limits
from whiteboard.store.base import LoadedBoard


def test_held_off_while_any_pass_holds_it_and_given_back_after_the_last() -> None:
    assert gc.isenabled()
    entered, leave = threading.Event(), threading.Event()

    def other_pass() -> None:
        with gil.collector_paused():
            entered.set()
            leave.wait(10)

    t = threading.Thread(target=other_pass)
    with gil.collector_paused():
        assert not gc.isenabled()
        t.start()
        assert entered.wait(10)
    assert not gc.isenabled()  # the other thread's pass still holds it
    leave.set()
    t.join(10)
    assert gc.isenabled()


def test_a_collector_disabled_before_stays_disabled() -> None:
    gc.disable()
    try:
        with gil.collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_given_back_when_the_pass_fails() -> None:
    try:
        with gil.collector_paused():
            raise ValueError("a damaged checkpoint")
    except ValueError:
        pass
    assert gc.isenabled()


def test_a_board_load_holds_it_and_the_document_is_the_same(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    doc = Document(Limits())
    for i in range(50):
        pen = {"id": f"p{i}", "type": "pen", "pts": list(range(40)), "pr": [9] * 20,
               "stroke": "#112233", "width": 2}  # fmt: skip
        doc.apply_sop({"k": "add", "e": pen, "s": i + 1, "by": 1, "c": i + 1})
    cp = checkpoint.build(doc)
    seen: list[bool] = []
    real = checkpoint.load

    def load(packed: bytes, limits: Limits) -> Document:
        seen.append(gc.isenabled())
        return real(packed, limits)

    monkeypatch.setattr(checkpoint, "load", load)
    loaded = _decode(LoadedBoard(checkpoint=cp, rows=[]), Limits())
    assert seen == [False] and gc.isenabled()
    assert loaded.to_state() == doc.to_state()
