/**
 * "New shape in the middle": adds an element of the active tool's kind at the centre of the
 * view, selected, so a board can be drawn on without a pointer (Enter with a shape or text
 * tool, or the menu). Arrow keys then move it, the style panel restyles it.
 */
import type { Element, TextElement } from "../model/types";
import { frameName } from "./frame";
import { dropNote } from "./note";
import { fillFor } from "./style";
import type { ToolContext, ToolName } from "./tool";

const SIZE = { w: 160, h: 100 };
const FRAME = { w: 480, h: 320 };

/** Adds the element; true when something was added or a text box opened. */
export function addAtCentre(ctx: ToolContext, kind: ToolName): boolean {
  const vp = ctx.viewport;
  const c = vp.toBoard(vp.width / 2, vp.height / 2);
  const { style } = ctx;
  const id = ctx.newId();
  if (kind === "text") {
    const at = { x: c.x - 40, y: c.y - (style.textSize * 1.25) / 2 };
    void ctx.text
      .open({ x: at.x, y: at.y, size: style.textSize, color: style.stroke, text: "" })
      .then((text) => {
        if (!text) return;
        const el: TextElement = {
          id,
          type: "text",
          ...at,
          stroke: style.stroke,
          text,
          size: style.textSize,
        };
        if (ctx.editor.do({ k: "add", e: el })) {
          ctx.setTool("select");
          ctx.selection.set([id]);
        }
      });
    return true;
  }
  let el: Element;
  const base = { id, stroke: style.stroke, width: style.width };
  if (kind === "rect" || kind === "ellipse") {
    el = { ...base, type: kind, x: c.x - SIZE.w / 2, y: c.y - SIZE.h / 2, ...SIZE };
    if (style.fill) el.fill = fillFor(style.stroke);
  } else if (kind === "line" || kind === "arrow") {
    el = { ...base, type: kind, x: c.x - SIZE.w / 2, y: c.y, w: SIZE.w, h: 0 };
  } else if (kind === "note") {
    return dropNote(ctx, c);
  } else if (kind === "frame") {
    const at = { x: c.x - FRAME.w / 2, y: c.y - FRAME.h / 2 };
    el = { id, type: "frame", ...at, ...FRAME, name: frameName(ctx) };
  } else return false;
  if (!ctx.editor.do({ k: "add", e: el })) return false;
  ctx.setTool("select");
  ctx.selection.set([id]);
  return true;
}
