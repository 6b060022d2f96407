/** The connection's copy of the server's rate limits (budget.ts). */
import assert from "node:assert/strict";
import { test } from "node:test";
import { SendBudget } from "./budget";

test("the send budget paces ops and bytes like the server's buckets, with a margin", () => {
  const b = new SendBudget(
    { ops_per_s: 100, ops_burst: 1000, bytes_per_s: 1000, bytes_burst: 10_000 },
    0,
  );
  assert.equal(b.opsAvailable(0), 900);
  b.spend(900, 8000);
  assert.equal(b.opsAvailable(0), 0);
  assert.equal(b.fits(1000, 0), true);
  assert.equal(b.fits(2000, 0), false);
  assert.equal(b.waitMs(0), Math.ceil(1000 / 90));
  assert.equal(b.opsAvailable(1000), 90, "refilled at 90 % of the server's rate");
  assert.equal(b.fits(50_000, 1000), false, "a frame larger than the bucket waits for it full");
  assert.equal(b.fits(50_000, 100_000), true);
});
