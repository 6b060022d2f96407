/** Line: a straight segment from where the drag starts to where it ends. */
import { DragShapeTool } from "./drag-shape";

export class LineTool extends DragShapeTool {
  readonly name = "line" as const;
}
