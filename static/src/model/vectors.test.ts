/**
 * The shared test vectors (tests/vectors/document.json, see its README) run against the
 * TypeScript validation + Document, and against the Model's optimistic path: every op the
 * server accepts must be accepted locally with the same effect, every refusal refused with the
 * same code, so what the user sees never differs from what the server will hold.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { Document } from "./document";
import { Model } from "./model";
import type { Limits, Op, OpBody, ServerOp } from "./types";
import { DEFAULT_LIMITS } from "./types";
import { parseOp } from "./validate";

interface Case {
  name: string;
  limits?: Partial<Limits>;
  ops: unknown[];
  results: ({ sop: Record<string, unknown> } | { error: string })[];
  seq: number;
  elements: unknown[];
}

const cases = JSON.parse(readFileSync("tests/vectors/document.json", "utf8")) as Case[];

for (const cs of cases) {
  const limits = { ...DEFAULT_LIMITS, ...cs.limits };

  test(`document: ${cs.name}`, () => {
    const doc = new Document(limits);
    let seq = 0;
    cs.ops.forEach((raw, i) => {
      const expected = cs.results[i];
      const parsed = parseOp(structuredClone(raw), limits);
      let got: { sop: Record<string, unknown> } | { error: string };
      if (!parsed.ok) got = { error: parsed.code };
      else {
        const out = doc.apply(parsed.value, seq + 1);
        if (out.ok) {
          seq += 1;
          got = { sop: { ...out.op, s: seq, by: 1 } };
        } else got = { error: out.code };
      }
      assert.deepEqual(got, expected, `op ${i}: ${JSON.stringify(raw)}`);
    });
    assert.equal(seq, cs.seq);
    assert.deepEqual(doc.elements(), cs.elements);
  });

  test(`model, optimistic then acknowledged: ${cs.name}`, () => {
    const model = new Model();
    model.setLimits(limits);
    model.addClientId(1);
    cs.ops.forEach((raw, i) => {
      const expected = cs.results[i] as { sop?: ServerOp; error?: string };
      const parsed = parseOp(structuredClone(raw), limits);
      if (!parsed.ok) {
        assert.equal(parsed.code, expected.error);
        return;
      }
      const { c: _c, ...body } = parsed.value;
      const r = model.propose(body as OpBody);
      if (expected.error) {
        assert.equal(
          r.ok ? "accepted" : r.code,
          expected.error,
          `op ${i} should be refused locally`,
        );
        return;
      }
      assert.ok(r.ok, `op ${i} should be accepted locally: ${JSON.stringify(r)}`);
      const before = model.elements();
      model.receive([{ ...(expected.sop as ServerOp), c: (r.op as Op).c }]);
      assert.equal(model.pendingCount, 0);
      assert.deepEqual(
        model.elements(),
        before,
        `op ${i}: the acknowledgement changes nothing visible`,
      );
    });
    assert.equal(model.seq, cs.seq);
    assert.deepEqual(model.elements(), cs.elements);
  });
}
