/** Arrow: a line with a head at the end where the drag is released. */
import { DragShapeTool } from "./drag-shape";

export class ArrowTool extends DragShapeTool {
  readonly name = "arrow" as const;
}
