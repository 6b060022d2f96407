/**
 * The one translation layer: every sentence the app shows goes through `t()` (i18next), and
 * numbers, dates and durations through Intl in the same language.
 *
 * A language is one file, `locales/<code>.json` (BCP 47 code, e.g. `pt`, `zh-CN`). build.mjs
 * lists the files in `__LOCALES__`, and the dynamic import below gives each one a chunk of its
 * own: a visitor downloads English (the fallback, in the main bundle) and their own language
 * only. Plural forms follow i18next's suffixes (`_one`, `_other`, and `_zero`, `_two`, `_few`,
 * `_many` where the language has them, as Intl.PluralRules says).
 */
import i18next from "i18next";
import { load, save } from "../util/storage";
import en from "./locales/en.json";

export type Messages = Record<string, unknown>;

const KEY = "wb.lang";
/** Languages written right to left (by their primary subtag). */
const RTL = new Set(["ar", "fa", "he", "ps", "ur", "yi"]);

/** Every language the app ships: the files in locales/ (build.mjs fills this in). */
export const LANGUAGES: readonly string[] = __LOCALES__;

let current = "en";

/** The language for this visitor: the one picked in this browser, else the browser's own. */
export function chooseLanguage(
  wanted: readonly string[],
  saved: unknown,
  available: readonly string[] = LANGUAGES,
): string {
  const lower = new Map(available.map((c) => [c.toLowerCase(), c]));
  if (typeof saved === "string" && lower.has(saved.toLowerCase()))
    return lower.get(saved.toLowerCase()) as string;
  for (const tag of wanted) {
    const exact = lower.get(tag.toLowerCase());
    if (exact) return exact;
    const base = tag.toLowerCase().split("-")[0] as string;
    const same = available.find((c) => c.toLowerCase().split("-")[0] === base);
    if (same) return same;
  }
  return "en";
}

async function messages(code: string): Promise<Messages> {
  if (code === "en") return en;
  const mod = (await import(`./locales/${code}.json`)) as { default: Messages };
  return mod.default;
}

/**
 * Loads the visitor's language and sets `<html lang dir>`. Resolves in English if the file
 * cannot be loaded (offline before it was ever cached): better English than no page.
 */
export async function initI18n(lang?: string): Promise<void> {
  const code = lang ?? chooseLanguage(navigator.languages ?? [navigator.language], load(KEY, null));
  let resources: Record<string, { translation: Messages }> = { en: { translation: en } };
  let chosen = code;
  try {
    if (code !== "en") resources = { ...resources, [code]: { translation: await messages(code) } };
  } catch {
    chosen = "en";
  }
  await i18next.init({
    lng: chosen,
    fallbackLng: "en",
    resources,
    // Text goes in through textContent, never markup (ui/dom.ts): escaping would show "&amp;".
    interpolation: { escapeValue: false },
    returnNull: false,
  });
  current = chosen;
  document.documentElement.lang = chosen;
  document.documentElement.dir = direction(chosen);
}

export function direction(code: string): "rtl" | "ltr" {
  return RTL.has(code.toLowerCase().split("-")[0] as string) ? "rtl" : "ltr";
}

/** The language shown. */
export function language(): string {
  return current;
}

/** Remembers the visitor's pick and reloads, so every part of the page speaks it. */
export function setLanguage(code: string): void {
  save(KEY, code);
  location.reload();
}

/** A language's name in that language ("Deutsch", "日本語"), for the picker. */
export function languageName(code: string): string {
  try {
    const name = new Intl.DisplayNames([code], { type: "language" }).of(code) ?? code;
    return name.charAt(0).toLocaleUpperCase(code) + name.slice(1);
  } catch {
    return code;
  }
}

/** The sentence `key` in the current language, with `{{name}}` placeholders filled in. */
export function t(key: string, vars?: Record<string, unknown>): string {
  return i18next.t(key, vars ?? {}) as string;
}

export function formatNumber(n: number, opts?: Intl.NumberFormatOptions): string {
  return new Intl.NumberFormat(current, opts).format(n);
}

/** "100%", "100 %", "١٠٠٪؜": a zoom factor as the language writes percentages. */
export function formatPercent(fraction: number): string {
  return formatNumber(fraction, { style: "percent", maximumFractionDigits: 0, useGrouping: false });
}

export function formatDate(ts: number, opts: Intl.DateTimeFormatOptions): string {
  return new Intl.DateTimeFormat(current, opts).format(ts);
}

/** "2 hours", "15 Minuten": the length of a pause, roughly. */
export function formatDuration(ms: number): string {
  const min = ms / 60_000;
  const [value, unit] =
    min < 60
      ? [Math.max(1, Math.round(min)), "minute"]
      : min < 48 * 60
        ? [Math.round(min / 60), "hour"]
        : [Math.round(min / 1440), "day"];
  return formatNumber(value, { style: "unit", unit, unitDisplay: "long" });
}

/** "3 minutes ago", "vor 3 Minuten", "gestern". */
export function formatAgo(ms: number, now = Date.now()): string {
  const s = Math.max(0, (now - ms) / 1000);
  const rtf = new Intl.RelativeTimeFormat(current, { numeric: "auto" });
  if (s < 60) return rtf.format(0, "second");
  if (s < 3600) return rtf.format(-Math.floor(s / 60), "minute");
  if (s < 86400) return rtf.format(-Math.floor(s / 3600), "hour");
  return formatDate(ms, { dateStyle: "medium" });
}

/**
 * Why the server refused an HTTP request, as a clause ("it is too large for this server.").
 * The server's `{error}` sentence is English: it is shown as it is to English readers (it says
 * the most), and every other language gets the sentence for the status code.
 */
export function httpReason(status: number, serverSentence: string | null): string {
  if (serverSentence && current === "en") return serverSentence;
  const known = [400, 403, 404, 413, 429, 503];
  return known.includes(status) ? t(`http.${status}`) : t("http.other", { status });
}
