"""The shared vectors of notes, labels and attached ends (tests/vectors/layout.json and
bindings.json): export.svg breaks lines, fits notes and places attached ends exactly as the app
does (static/src/render/structure-vectors.test.ts runs the same files)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from whiteboard.export.bindings import resolve_line
from whiteboard.export.layout import fit_size, text_block, wrap

VECTORS = Path(__file__).resolve().parent.parent / "vectors"
LAYOUT: dict[str, list[dict[str, Any]]] = json.loads((VECTORS / "layout.json").read_text("utf-8"))
BINDINGS: list[dict[str, Any]] = json.loads((VECTORS / "bindings.json").read_text("utf-8"))


@pytest.mark.parametrize("case", LAYOUT["wrap"], ids=lambda c: c["name"])
def test_wrap(case: dict[str, Any]) -> None:
    assert wrap(case["text"], case["size"], case["width"]) == case["lines"]


@pytest.mark.parametrize("case", LAYOUT["fit"], ids=lambda c: c["name"])
def test_fit(case: dict[str, Any]) -> None:
    assert fit_size(case["text"], case["width"], case["height"]) == case["size"]


@pytest.mark.parametrize("case", LAYOUT["blocks"], ids=lambda c: c["name"])
def test_text_block(case: dict[str, Any]) -> None:
    block = text_block(case["element"])
    got = None
    if block is not None:
        got = {k: getattr(block, k) for k in ("lines", "size", "cx", "cy")}
        got["baselines"] = [block.line_y(i) for i in range(len(block.lines))]
    assert got == case["block"]


@pytest.mark.parametrize("case", BINDINGS, ids=lambda c: c["name"])
def test_attached_ends(case: dict[str, Any]) -> None:
    live = {e["id"]: e for e in case["elements"]}
    drawn = resolve_line(case["line"], live.get)
    for k in ("x", "y", "w", "h"):
        assert drawn[k] == pytest.approx(case["drawn"][k], abs=1e-9)
