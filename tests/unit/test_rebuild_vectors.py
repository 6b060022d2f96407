"""The shared vectors of restore and pen splitting (tests/vectors/restore.json and split.json,
see their README) against ``whiteboard.history.rebuild``.

The browser computes the same ops when someone restores a past moment or undoes the delete of
a long stroke (static/src/replay/restore.ts, static/src/model/split.ts); its tests read the
same files, so the two sides cannot drift apart. Each case is also checked for what makes it
right, not only equal: every op passes the protocol's validation under the case's limits, and
applying the ops gives exactly the state asked for.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from whiteboard.document import Document
from whiteboard.history.rebuild import element_ops, restore_ops
from whiteboard.protocol import Limits, ProtocolError, validate_op

VECTORS = Path(__file__).resolve().parent.parent / "vectors"
RESTORE = json.loads((VECTORS / "restore.json").read_text(encoding="utf-8"))
SPLIT = json.loads((VECTORS / "split.json").read_text(encoding="utf-8"))


def apply_all(doc: Document, ops: list[dict[str, Any]]) -> None:
    """Applies client ops as the server would: validated, then one seq each."""
    for op in ops:
        sent = validate_op({**op, "c": doc.seq + 1}, doc.limits)
        result = doc.apply(sent, doc.seq + 1)
        assert not isinstance(result, ProtocolError), f"{op}: {result.code}: {result.msg}"


def replay(case: dict[str, Any], upto: int) -> Document:
    doc = Document(Limits(**case.get("limits", {})))
    apply_all(doc, case["log"][:upto])
    return doc


@pytest.mark.parametrize("case", RESTORE, ids=[c["name"] for c in RESTORE])
def test_restore_vector(case: dict[str, Any]) -> None:
    head = replay(case, len(case["log"]))
    assert head.elements() == case["current"], "the log gives `current`"
    assert replay(case, case["at"]).elements() == case["past"], "the log up to `at` gives `past`"

    ops = restore_ops(case["current"], case["past"], head.limits)
    assert ops == case["ops"]

    apply_all(head, ops)
    assert head.elements() == case["past"], "the ops bring the board back, stacking included"


@pytest.mark.parametrize("case", SPLIT, ids=[c["name"] for c in SPLIT])
def test_split_vector(case: dict[str, Any]) -> None:
    limits = Limits(**case.get("limits", {}))
    ops = element_ops(case["element"], limits)
    assert ops == case["ops"]

    doc = Document(limits)
    apply_all(doc, ops)
    assert doc.elements() == [case["element"]], "the ops build the element, points in order"


def test_split_vectors_reach_the_limit_they_respect() -> None:
    """At least one case splits, and none of its ops could carry one point more."""
    split = [c for c in SPLIT if len(c["ops"]) > 1]
    assert split
    for case in split:
        n = case["limits"]["values_per_op"]
        assert all(len(op.get("pts", op.get("e", {}).get("pts", []))) <= n for op in case["ops"])
        assert len(case["ops"][0]["e"]["pts"]) > n - 2
