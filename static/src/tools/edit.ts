/**
 * Editing what an element says in words (a text, a note, a shape's label, a frame's name): one
 * place for the select tool's double click, Enter on a selection and Enter in the element list,
 * so a keyboard reaches everything a pointer does.
 */
import type { Element } from "../model/types";
import { renameFrame } from "./frame";
import { editLabel } from "./label";
import { editNote } from "./note";
import { editText } from "./text";
import type { ToolContext } from "./tool";

/** Opens the editor for `el`'s words; false when it has none to edit (or is locked). */
export function editElement(ctx: ToolContext, el: Element): boolean {
  if (el.locked === true) return false;
  if (el.type === "text") void editText(ctx, el);
  else if (el.type === "note") void editNote(ctx, el);
  else if (el.type === "rect" || el.type === "ellipse") void editLabel(ctx, el);
  else if (el.type === "frame") void renameFrame(ctx, el);
  else return false;
  return true;
}
