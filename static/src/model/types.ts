/**
 * The element and op shapes of PROTOCOL.md, as TypeScript types.
 *
 * These mirror the wire format exactly (same keys, same optionality) so that an element can be
 * sent, stored and compared without any translation layer: what the model holds is what the
 * server holds.
 */

export type ElementType =
  "pen" | "line" | "arrow" | "rect" | "ellipse" | "text" | "image" | "note" | "frame";

/** What every element has (PROTOCOL.md, common fields). */
interface Placed {
  id: string;
  x: number;
  y: number;
  z?: number;
  /** PROTOCOL.md 1.1: only `{locked: false}` may change a locked element; nothing deletes it. */
  locked?: boolean;
}

interface ElementBase extends Placed {
  stroke: string;
}

export interface PenElement extends ElementBase {
  type: "pen";
  width: number;
  /** Delta-encoded integer points in units of 1/ps; see model/points.ts. */
  pts: number[];
  ps?: number;
  pr?: number[];
}

export interface LineElement extends ElementBase {
  type: "line" | "arrow";
  width: number;
  w: number;
  h: number;
  /** PROTOCOL.md 1.1: the ids of the elements the start and the end are attached to. */
  from?: string;
  to?: string;
}

export interface ShapeElement extends ElementBase {
  type: "rect" | "ellipse";
  width: number;
  w: number;
  h: number;
  fill?: string;
  /** PROTOCOL.md 1.1: a label centred inside, in `size` (LABEL_SIZE when absent). */
  text?: string;
  size?: number;
  /** Radians about the centre, -π to π (PROTOCOL.md 1.1). */
  angle?: number;
}

export interface TextElement extends ElementBase {
  type: "text";
  text: string;
  size: number;
  angle?: number;
}

/** A picture (PROTOCOL.md 1.1): `blob` names bytes stored on the board; no stroke. */
export interface ImageElement extends Placed {
  type: "image";
  /** Size on the board, > 0 (the picture is stretched to it). */
  w: number;
  h: number;
  blob: string;
  angle?: number;
}

/** PROTOCOL.md 1.1: a sticky note; `fill` is its colour, `stroke` its text's. */
export interface NoteElement extends ElementBase {
  type: "note";
  w: number;
  h: number;
  fill: string;
  /** May be empty. */
  text: string;
  /** Absent: the text is fitted to the note. */
  size?: number;
  angle?: number;
}

/** PROTOCOL.md 1.1: a named area (a slide, a section), drawn below everything else. */
export interface FrameElement extends Placed {
  type: "frame";
  w: number;
  h: number;
  name: string;
}

export type Element =
  PenElement | LineElement | ShapeElement | TextElement | ImageElement | NoteElement | FrameElement;

/** The types that may be turned (carry `angle`). */
export type Rotatable = ShapeElement | TextElement | ImageElement | NoteElement;

/** Fields an `update` may carry; `null` removes an optional field. */
export type UpdateSet = { [key: string]: string | number | boolean | null };

export interface AddOp {
  k: "add";
  c: number;
  e: Element;
}

export interface AppendOp {
  k: "append";
  c: number;
  id: string;
  pts: number[];
  pr?: number[];
}

export interface UpdateOp {
  k: "update";
  c: number;
  id: string;
  set: UpdateSet;
}

export interface DeleteOp {
  k: "delete";
  c: number;
  ids: string[];
}

export type Op = AddOp | AppendOp | UpdateOp | DeleteOp;

/** An op without its `c`: what tools produce; the model numbers it when it becomes pending. */
export type OpBody =
  Omit<AddOp, "c"> | Omit<AppendOp, "c"> | Omit<UpdateOp, "c"> | Omit<DeleteOp, "c">;

/** An op as the server broadcasts it: accepted, numbered and attributed. */
export type ServerOp = Op & { s: number; by: number; ts?: number };

export type ErrorCode =
  | "bad_message"
  | "bad_op"
  | "not_found"
  | "exists"
  | "too_large"
  | "rate_limited"
  | "board_full"
  | "read_only"
  | "locked";

/**
 * The limits announced in `welcome.limits`; the defaults are PROTOCOL.md's, held to the
 * server's by tests/unit/test_ts_constants.py.
 */
export interface Limits {
  frame_bytes: number;
  ops_per_frame: number;
  values_per_op: number;
  values_per_element: number;
  elements_per_board: number;
  text_chars: number;
  ops_per_s: number;
  ops_burst: number;
  backlog_bytes: number;
  /** Largest image upload, bytes (PROTOCOL.md 1.1, Blobs). */
  blob_bytes: number;
  /** Most pixels in one image. */
  image_pixels: number;
  /** Most bytes of images stored on one board in all. */
  board_blob_bytes: number;
}

export const DEFAULT_LIMITS: Limits = {
  frame_bytes: 1 << 20,
  ops_per_frame: 256,
  values_per_op: 10_000,
  values_per_element: 100_000,
  elements_per_board: 100_000,
  text_chars: 10_000,
  ops_per_s: 1000,
  ops_burst: 5000,
  backlog_bytes: 8 << 20,
  blob_bytes: 10 << 20,
  image_pixels: 40_000_000,
  board_blob_bytes: 1 << 30,
};

export interface Peer {
  id: number;
  name: string;
  color: string;
  /** Version 1.1: the board rectangle [x0, y0, x1, y1] it sees, once it has said. */
  vp?: [number, number, number, number];
}
