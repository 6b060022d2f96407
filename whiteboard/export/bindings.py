"""Attached line and arrow ends (PROTOCOL.md 1.1 ``from``/``to``), as the app draws them.

The same rule as ``static/src/render/bindings.ts``: an attached end lies where the ray from its
element's centre towards the other end (the other element's centre when that end is attached
too, else its stored point) leaves the element's outline. Elements without an outline and ids
that are not live leave the end where it is stored. ``tests/vectors/bindings.json`` holds both
implementations to the same points, so ``export.svg`` draws attached ends where the app does.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, Final

BINDABLE: Final = frozenset({"rect", "ellipse", "note", "frame", "image"})
"""The types an end may attach to: those with a box or an ellipse for an outline."""

Point = tuple[float, float]


def _bindable(e: dict[str, Any] | None) -> dict[str, Any] | None:
    return e if e is not None and e.get("type") in BINDABLE else None


def centre(e: dict[str, Any]) -> Point:
    return (e["x"] + e["w"] / 2, e["y"] + e["h"] / 2)


def outline_point(e: dict[str, Any], toward: Point) -> Point | None:
    """Where the ray from the element's centre towards ``toward`` crosses its outline (a turned
    element turned about its centre); None when ``toward`` is the centre."""
    cx, cy = centre(e)
    dx = toward[0] - cx
    dy = toward[1] - cy
    if dx == 0 and dy == 0:
        return None
    lx, ly = dx, dy
    a = e.get("angle", 0)
    if a != 0:
        cos, sin = math.cos(a), math.sin(a)
        lx = dx * cos + dy * sin
        ly = dy * cos - dx * sin
    rx = abs(e["w"]) / 2
    ry = abs(e["h"]) / 2
    if e["type"] == "ellipse":
        t = (
            0.0
            if rx == 0 or ry == 0
            else 1 / math.sqrt((lx * lx) / (rx * rx) + (ly * ly) / (ry * ry))
        )
    else:
        tx = math.inf if lx == 0 else rx / abs(lx)
        ty = math.inf if ly == 0 else ry / abs(ly)
        t = min(tx, ty)
    return (cx + dx * t, cy + dy * t)


def resolve_line(e: dict[str, Any], get: Callable[[str], dict[str, Any] | None]) -> dict[str, Any]:
    """The line as drawn: ``e`` itself when no end is attached to a live element with an
    outline, else a copy whose ``x``, ``y``, ``w``, ``h`` put attached ends on the outlines."""
    fid, tid = e.get("from"), e.get("to")
    start_on = _bindable(get(fid)) if fid is not None and fid != e["id"] else None
    end_on = _bindable(get(tid)) if tid is not None and tid != e["id"] else None
    if start_on is None and end_on is None:
        return e
    p0 = (e["x"], e["y"])
    p1 = (e["x"] + e["w"], e["y"] + e["h"])
    start = p0
    if start_on is not None:
        start = outline_point(start_on, centre(end_on) if end_on is not None else p1) or p0
    end = p1
    if end_on is not None:
        end = outline_point(end_on, centre(start_on) if start_on is not None else p0) or p1
    return {**e, "x": start[0], "y": start[1], "w": end[0] - start[0], "h": end[1] - start[1]}
