"""A board as SVG: every element type, user text escaped, nothing executable."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from whiteboard.export.bindings import resolve_line
from whiteboard.export.structure_svg import (
    frame_svg,
    label_svg,
    note_svg,
    structure_bounds,
)

MARGIN = 20.0


def _num(v: float) -> str:
    return f"{v:.2f}".rstrip("0").rstrip(".") if isinstance(v, float) else str(v)


def pen_points(e: dict[str, Any]) -> list[tuple[float, float]]:
    """Absolute board coordinates of a pen element's delta-encoded points."""
    scale = 1.0 / e.get("ps", 1)
    x, y = float(e["x"]), float(e["y"])
    pts = e["pts"]
    out = []
    for i in range(0, len(pts) - 1, 2):
        x += pts[i] * scale
        y += pts[i + 1] * scale
        out.append((x, y))
    return out


def bounds(e: dict[str, Any]) -> tuple[float, float, float, float]:
    t = e["type"]
    box = structure_bounds(e)
    if box is not None:
        return box
    pad = float(e.get("width", 0)) / 2
    if t == "pen":
        pts = pen_points(e)
        xs = [p[0] for p in pts]
        ys = [p[1] for p in pts]
        return min(xs) - pad, min(ys) - pad, max(xs) + pad, max(ys) + pad
    if t == "text":
        lines = str(e["text"]).split("\n")
        size = float(e["size"])
        width = max(len(line) for line in lines) * size * 0.6
        return e["x"], e["y"], e["x"] + width, e["y"] + len(lines) * size * 1.25
    x0, y0 = float(e["x"]), float(e["y"])
    x1, y1 = x0 + float(e["w"]), y0 + float(e["h"])
    if t == "arrow":
        pad += 12 + float(e["width"]) * 2
    return min(x0, x1) - pad, min(y0, y1) - pad, max(x0, x1) + pad, max(y0, y1) + pad


def _stroke_attrs(e: dict[str, Any]) -> str:
    return (
        f' stroke={quoteattr(e["stroke"])} stroke-width="{_num(float(e["width"]))}"'
        ' stroke-linecap="round" stroke-linejoin="round"'
    )


def element_svg(e: dict[str, Any]) -> str:
    t = e["type"]
    if t == "pen":
        pts = pen_points(e)
        if len(pts) == 1:
            x, y = pts[0]
            r = _num(float(e["width"]) / 2)
            return f'<circle cx="{_num(x)}" cy="{_num(y)}" r="{r}" fill={quoteattr(e["stroke"])}/>'
        d = " ".join(f"{_num(x)},{_num(y)}" for x, y in pts)
        return f'<polyline points="{d}" fill="none"{_stroke_attrs(e)}/>'
    if t in ("line", "arrow"):
        x0, y0 = float(e["x"]), float(e["y"])
        x1, y1 = x0 + float(e["w"]), y0 + float(e["h"])
        out = (
            f'<line x1="{_num(x0)}" y1="{_num(y0)}" x2="{_num(x1)}" y2="{_num(y1)}"'
            f"{_stroke_attrs(e)}/>"
        )
        if t == "arrow" and (x1 != x0 or y1 != y0):
            # The app's head (render/shapes.ts): max(10, 4 * width), at most half the shaft.
            angle = math.atan2(y1 - y0, x1 - x0)
            width = float(e["width"])
            size = min(max(10, width * 4), math.hypot(x1 - x0, y1 - y0) * 0.5 + width)
            wings = []
            for side in (-1, 1):
                a = angle + math.pi - side * math.pi / 7
                wings.append((x1 + size * math.cos(a), y1 + size * math.sin(a)))
            (ax, ay), (bx, by) = wings
            out += (
                f'<polyline points="{_num(ax)},{_num(ay)} {_num(x1)},{_num(y1)}'
                f' {_num(bx)},{_num(by)}" fill="none"{_stroke_attrs(e)}/>'
            )
        return out
    fill = quoteattr(e["fill"]) if "fill" in e else '"none"'
    if t == "rect":
        x, w = (e["x"], e["w"]) if e["w"] >= 0 else (e["x"] + e["w"], -e["w"])
        y, h = (e["y"], e["h"]) if e["h"] >= 0 else (e["y"] + e["h"], -e["h"])
        return (
            f'<rect x="{_num(x)}" y="{_num(y)}" width="{_num(w)}" height="{_num(h)}"'
            f" fill={fill}{_stroke_attrs(e)}/>" + label_svg(e, _num)
        )
    if t == "ellipse":
        cx, cy = e["x"] + e["w"] / 2, e["y"] + e["h"] / 2
        return (
            f'<ellipse cx="{_num(cx)}" cy="{_num(cy)}" rx="{_num(abs(e["w"]) / 2)}"'
            f' ry="{_num(abs(e["h"]) / 2)}" fill={fill}{_stroke_attrs(e)}/>' + label_svg(e, _num)
        )
    if t == "text":
        size = float(e["size"])
        lines = str(e["text"]).split("\n")
        spans = "".join(
            f'<tspan x="{_num(e["x"])}" dy="{_num(size * (1.25 if i else 1.0))}">'
            f"{escape(line) or ' '}</tspan>"
            for i, line in enumerate(lines)
        )
        return (
            f'<text x="{_num(e["x"])}" y="{_num(e["y"])}" font-size="{_num(size)}"'
            f' font-family="sans-serif" fill={quoteattr(e["stroke"])}'
            f' xml:space="preserve">{spans}</text>'
        )
    if t == "note":
        return note_svg(e, _num)
    if t == "frame":
        return frame_svg(e, _num)
    return ""


def drawn(elements: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The elements in drawing order (frames first, a stable sort) with lines resolved."""
    live = list(elements)
    by_id = {e["id"]: e for e in live}
    out = [e for e in live if e["type"] == "frame"]
    for e in live:
        if e["type"] in ("line", "arrow"):
            out.append(resolve_line(e, by_id.get))
        elif e["type"] != "frame":
            out.append(e)
    return out


def render(elements: Iterable[dict[str, Any]]) -> str:
    """A standalone SVG document whose view box fits every element (or a small empty page).

    As in the app: frames first (below everything, whatever their z), attached line ends on
    their elements' outlines (PROTOCOL.md 1.1)."""
    els = drawn(elements)
    if els:
        boxes = [bounds(e) for e in els]
        x0 = min(b[0] for b in boxes) - MARGIN
        y0 = min(b[1] for b in boxes) - MARGIN
        x1 = max(b[2] for b in boxes) + MARGIN
        y1 = max(b[3] for b in boxes) + MARGIN
    else:
        x0, y0, x1, y1 = 0.0, 0.0, 100.0, 100.0
    w, h = x1 - x0, y1 - y0
    body = "\n".join(element_svg(e) for e in els)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="{_num(x0)} {_num(y0)} {_num(w)}'
        f' {_num(h)}" width="{_num(w)}" height="{_num(h)}">\n'
        f'<rect x="{_num(x0)}" y="{_num(y0)}" width="{_num(w)}" height="{_num(h)}"'
        ' fill="#ffffff"/>\n'
        f"{body}\n</svg>\n"
    )
