/**
 * Every language file has every sentence of the English one, in every plural form its
 * language has (Intl.PluralRules), with the same placeholders, and nothing else.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { test } from "node:test";
import { chooseLanguage, direction, LANGUAGES } from "./i18n";

const DIR = "static/src/i18n/locales";
const PLURAL = /_(zero|one|two|few|many|other)$/;

type Tree = { [k: string]: string | Tree };

function flat(tree: Tree, prefix = ""): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(tree)) {
    if (typeof v === "string") out.set(prefix + k, v);
    else for (const [kk, vv] of flat(v, `${prefix}${k}.`)) out.set(kk, vv);
  }
  return out;
}

const load = (code: string): Map<string, string> =>
  flat(JSON.parse(readFileSync(`${DIR}/${code}.json`, "utf8")) as Tree);

const placeholders = (s: string): string[] =>
  [...s.matchAll(/\{\{\s*(\w+)/g)].map((m) => m[1] as string).sort();

const codes = readdirSync(DIR)
  .filter((f) => f.endsWith(".json"))
  .map((f) => f.slice(0, -5))
  .sort();

test("the app offers exactly the language files there are, the eight it ships among them", () => {
  assert.deepEqual([...LANGUAGES], codes);
  for (const c of ["en", "de", "fr", "es", "pt", "zh-CN", "ja", "ar"]) assert.ok(codes.includes(c));
});

const en = load("en");
const plurals = new Set(
  [...en.keys()].filter((k) => PLURAL.test(k)).map((k) => k.replace(PLURAL, "")),
);

for (const code of codes) {
  test(`${code}: every key, every plural form, the same placeholders`, () => {
    const messages = load(code);
    const forms = new Intl.PluralRules(code).resolvedOptions().pluralCategories;
    const expected = new Set<string>();
    for (const k of en.keys()) {
      const base = k.replace(PLURAL, "");
      if (plurals.has(base)) for (const f of forms) expected.add(`${base}_${f}`);
      else expected.add(k);
    }
    assert.deepEqual(
      [...expected].filter((k) => !messages.has(k)),
      [],
      "missing",
    );
    assert.deepEqual(
      [...messages.keys()].filter((k) => !expected.has(k)),
      [],
      "not in English",
    );
    for (const [k, v] of messages) {
      assert.ok(v.trim().length > 0, `${k} is empty`);
      const base = k.replace(PLURAL, "");
      const ref = en.get(k) ?? (en.get(`${base}_other`) as string);
      const mine = placeholders(v);
      // A plural form may say its number in words ("عنصران"), so it may drop {{count}}.
      const theirs = placeholders(ref).filter((p) => !(plurals.has(base) && p === "count"));
      for (const p of theirs) assert.ok(mine.includes(p), `${code} ${k} lacks {{${p}}}`);
      for (const p of mine) assert.ok(placeholders(ref).includes(p), `${code} ${k}: {{${p}}}?`);
    }
  });
}

test("the browser's languages choose, a saved pick wins, English is the last resort", () => {
  const have = ["ar", "de", "en", "zh-CN"];
  assert.equal(chooseLanguage(["de-AT", "en"], null, have), "de");
  assert.equal(chooseLanguage(["zh"], null, have), "zh-CN");
  assert.equal(chooseLanguage(["ZH-cn"], null, have), "zh-CN");
  assert.equal(chooseLanguage(["fi", "sv"], null, have), "en");
  assert.equal(chooseLanguage(["de"], "ar", have), "ar");
  assert.equal(chooseLanguage(["de"], "xx", have), "de");
  assert.equal(direction("ar"), "rtl");
  assert.equal(direction("de"), "ltr");
});
