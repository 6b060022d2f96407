/**
 * Labels (PROTOCOL.md 1.1 `text`/`size` on rect and ellipse): a double click on a shape types
 * a label centred in it; emptying the label removes it.
 */
import type { ShapeElement } from "../model/types";
import { LABEL_SIZE } from "../model/validate";
import { LABEL_PAD } from "../render/layout";
import type { ToolContext } from "./tool";

export async function editLabel(ctx: ToolContext, el: ShapeElement): Promise<void> {
  const x0 = Math.min(el.x, el.x + el.w);
  const y0 = Math.min(el.y, el.y + el.h);
  const text = await ctx.text.open({
    x: x0 + LABEL_PAD,
    y: y0,
    size: el.size ?? LABEL_SIZE,
    color: el.stroke,
    text: el.text ?? "",
    box: { w: Math.max(1, Math.abs(el.w) - 2 * LABEL_PAD), h: Math.abs(el.h) },
    hideTextOf: el.id,
  });
  const now = ctx.model.get(el.id);
  if (text === null || !now || (now.type !== "rect" && now.type !== "ellipse") || now.locked)
    return;
  if (text === (now.text ?? "")) return;
  ctx.editor.do({ k: "update", id: el.id, set: { text: text === "" ? null : text } });
}
