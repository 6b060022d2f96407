"""SVG of PROTOCOL.md 1.1's structure elements, drawn as the app draws them
(``static/src/render/structure.ts``): notes, frames (below everything, their name above their
top left corner) and the centred labels of rectangles and ellipses."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final
from xml.sax.saxutils import escape, quoteattr

from whiteboard.export.layout import TextBlock, text_block, text_width

FONT_FAMILY: Final = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif'
"""The app's font (``render/geometry.ts``), so text is as wide here as on the canvas."""
FRAME_FILL: Final = "#ffffff"
FRAME_EDGE: Final = "#adb5bd"
FRAME_NAME_COLOR: Final = "#495057"
FRAME_NAME_SIZE: Final = 14
FRAME_NAME_GAP: Final = 6

Num = Callable[[float], str]


def text_block_svg(block: TextBlock, color: str, num: Num) -> str:
    """Centred lines on their baselines, as the canvas draws them."""
    font = quoteattr(FONT_FAMILY)
    return "".join(
        f'<text x="{num(block.cx)}" y="{num(block.line_y(i))}" font-size="{num(block.size)}"'
        f' font-family={font} fill={quoteattr(color)} text-anchor="middle"'
        f' xml:space="preserve">{escape(line)}</text>'
        for i, line in enumerate(block.lines)
        if line
    )


def label_svg(e: dict[str, Any], num: Num) -> str:
    """A rect's or ellipse's label, or nothing."""
    block = text_block(e)
    return text_block_svg(block, e["stroke"], num) if block else ""


def note_svg(e: dict[str, Any], num: Num) -> str:
    out = (
        f'<rect x="{num(e["x"])}" y="{num(e["y"])}" width="{num(e["w"])}"'
        f' height="{num(e["h"])}" fill={quoteattr(e["fill"])}/>'
    )
    block = text_block(e)
    return out + (text_block_svg(block, e["stroke"], num) if block else "")


def frame_svg(e: dict[str, Any], num: Num) -> str:
    return (
        f'<rect x="{num(e["x"])}" y="{num(e["y"])}" width="{num(e["w"])}"'
        f' height="{num(e["h"])}" fill="{FRAME_FILL}" stroke="{FRAME_EDGE}" stroke-width="1"/>'
        f'<text x="{num(e["x"])}" y="{num(e["y"] - FRAME_NAME_GAP)}"'
        f' font-size="{FRAME_NAME_SIZE}" font-family={quoteattr(FONT_FAMILY)}'
        f' fill="{FRAME_NAME_COLOR}" xml:space="preserve">{escape(str(e["name"]))}</text>'
    )


def structure_bounds(e: dict[str, Any]) -> tuple[float, float, float, float] | None:
    """The box of a note or a frame (with its name), or None for other types."""
    if e["type"] == "note":
        return e["x"], e["y"], e["x"] + e["w"], e["y"] + e["h"]
    if e["type"] == "frame":
        name = max(text_width(str(e["name"]), FRAME_NAME_SIZE), 24)
        top = e["y"] - FRAME_NAME_GAP - FRAME_NAME_SIZE
        return e["x"], top, e["x"] + max(e["w"], name), e["y"] + e["h"]
    return None
