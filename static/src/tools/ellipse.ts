/** Ellipse: inscribed in the box the drag spans (fill optional). */
import { DragShapeTool } from "./drag-shape";

export class EllipseTool extends DragShapeTool {
  readonly name = "ellipse" as const;
}
