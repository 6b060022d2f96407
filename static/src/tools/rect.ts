/** Rectangle: the drag's start and end are opposite corners (fill optional). */
import { DragShapeTool } from "./drag-shape";

export class RectTool extends DragShapeTool {
  readonly name = "rect" as const;
}
