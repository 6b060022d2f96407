/** The cached scene's arithmetic (damage.ts): what a pan or an edit makes it paint again. */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  DAMAGE_MARGIN_PX,
  exposed,
  merge,
  type PixelRect,
  repaintAll,
  toBoard,
  toPixels,
  wholeShift,
} from "./damage";

const at = (originX: number, originY: number, scale: number) => ({ originX, originY, scale });
const area = (rs: PixelRect[]): number => rs.reduce((a, r) => a + (r.x1 - r.x0) * (r.y1 - r.y0), 0);

test("a box lands on whole device pixels, with the margin, clipped to the canvas", () => {
  const r = toPixels({ minX: 10.2, minY: 20, maxX: 30.5, maxY: 40 }, at(0, 0, 2), 1000, 800);
  const m = DAMAGE_MARGIN_PX;
  assert.deepEqual(r, { x0: 20 - m, y0: 40 - m, x1: 61 + m, y1: 80 + m });
  // Partly off the canvas: the part on it; wholly off: nothing.
  assert.deepEqual(toPixels({ minX: -50, minY: -50, maxX: 5, maxY: 5 }, at(0, 0, 1), 100, 100), {
    x0: 0,
    y0: 0,
    x1: 5 + m,
    y1: 5 + m,
  });
  assert.equal(toPixels({ minX: 200, minY: 0, maxX: 300, maxY: 10 }, at(0, 0, 1), 100, 100), null);
  // The origin moves the box: board 110 at origin 100, scale 0.5, is device 5.
  const moved = toPixels({ minX: 110, minY: 110, maxX: 120, maxY: 120 }, at(100, 100, 0.5), 99, 99);
  assert.deepEqual(moved, { x0: 5 - m, y0: 5 - m, x1: 10 + m, y1: 10 + m });
});

test("device pixels map back to the board box they cover", () => {
  const b = toBoard({ x0: 10, y0: 20, x1: 30, y1: 40 }, at(100, 50, 0.1));
  assert.deepEqual(b, { minX: 200, minY: 250, maxX: 400, maxY: 450 });
});

test("a pan by whole device pixels shifts the picture; anything else repaints", () => {
  // 6 screen pixels right at 10 % is 60 board units.
  assert.deepEqual(wholeShift(at(1000, 500, 0.1), at(940, 500, 0.1)), { dx: 6, dy: 0 });
  assert.deepEqual(wholeShift(at(0, 0, 2), at(3, -1.5, 2)), { dx: -6, dy: 3 });
  // Float noise of many small pans still counts as whole.
  assert.deepEqual(wholeShift(at(0.1 + 0.2, 0, 10), at(0.3, 0, 10)), { dx: 0, dy: 0 });
  assert.equal(wholeShift(at(0, 0, 1), at(0.5, 0, 1)), null, "half a pixel");
  assert.equal(wholeShift(at(0, 0, 1), at(0, 0, 1.01)), null, "a zoom");
});

test("a shift uncovers strips on the sides it moved away from", () => {
  assert.deepEqual(exposed(6, 0, 100, 80), [{ x0: 0, y0: 0, x1: 6, y1: 80 }]);
  assert.deepEqual(exposed(-6, -3, 100, 80), [
    { x0: 94, y0: 0, x1: 100, y1: 80 },
    { x0: 0, y0: 77, x1: 100, y1: 80 },
  ]);
  assert.deepEqual(exposed(0, 0, 100, 80), []);
});

test("pieces merge where their union costs no more pixels; others stay apart", () => {
  const a = { x0: 0, y0: 0, x1: 10, y1: 10 };
  const b = { x0: 2, y0: 0, x1: 12, y1: 10 }; // a moved 2 px right: one piece
  const far = { x0: 50, y0: 50, x1: 60, y1: 60 };
  // c merges only with the union of a and b, which reaches it.
  const c = { x0: 0, y0: 10, x1: 12, y1: 14 };
  assert.deepEqual(merge([a, far, b, c]), [far, { x0: 0, y0: 0, x1: 12, y1: 14 }]);
  assert.equal(area(merge([a, a])), 100, "the same piece twice is painted once");
  // The two strips of a diagonal pan meet at a corner: merged they would be the whole screen.
  const strips = exposed(-3, -2, 1200, 800);
  assert.deepEqual(merge(strips), strips);
  assert.equal(repaintAll(merge(strips), 1200, 800), false);
});

test("many pieces, or most of the screen, repaint everything", () => {
  const small = { x0: 0, y0: 0, x1: 10, y1: 10 };
  assert.equal(repaintAll([small], 100, 100), false);
  assert.equal(repaintAll([{ x0: 0, y0: 0, x1: 100, y1: 60 }], 100, 100), true);
  const many = Array.from({ length: 60 }, (_, i) => ({ x0: i, y0: 0, x1: i + 1, y1: 1 }));
  assert.equal(repaintAll(many, 1000, 1000), true);
});
