/**
 * The video's clock: when each op of the range appears, and how long the video lasts, from the
 * ops' times, the speed and idle skipping (video.ts `schedule`).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { HOLD_MS, LEAD_MS, schedule, type VideoRange } from "./video";

// Ops 1..5 at these board times (ms): a pause of ten seconds before op 4.
const TS = [0, 1000, 1500, 2500, 12_500, 13_000];
const ts = (seq: number): number | undefined => TS[seq];
const range = (r: Partial<VideoRange>): VideoRange => ({
  from: 0,
  to: 5,
  speed: 1,
  skipIdle: false,
  captions: false,
  width: 640,
  ...r,
});

test("at 1x the ops keep their spacing, after the lead and before the hold", () => {
  const { at, total } = schedule(range({}), ts);
  assert.deepEqual(at, [
    LEAD_MS,
    LEAD_MS + 500,
    LEAD_MS + 1500,
    LEAD_MS + 11_500,
    LEAD_MS + 12_000,
  ]);
  assert.equal(total, LEAD_MS + 12_000 + HOLD_MS);
});

test("faster speeds shorten the gaps; idle skipping caps the long pause", () => {
  assert.deepEqual(schedule(range({ speed: 4 }), ts).at, [500, 625, 875, 3375, 3500]);
  const skipped = schedule(range({ skipIdle: true }), ts);
  assert.deepEqual(skipped.at, [500, 1000, 1600, 2200, 2700]);
  assert.equal(skipped.total, 2700 + HOLD_MS);
});

test("a range from a later change starts the clock at its first op", () => {
  const { at, total } = schedule(range({ from: 3, to: 5 }), ts);
  assert.deepEqual(at, [LEAD_MS, LEAD_MS + 500]);
  assert.equal(total, LEAD_MS + 500 + HOLD_MS);
});
