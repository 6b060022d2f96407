/**
 * Refusals in words, in the visitor's language. The server's `msg` is an English sentence for
 * developers and logs; what a person reads is chosen here by the refusal's `code`, with the
 * limits the server announced.
 */
import { t } from "../i18n/i18n";
import type { Limits } from "../model/types";

const KNOWN = new Set([
  "too_large",
  "rate_limited",
  "read_only",
  "not_found",
  "exists",
  "locked",
  "bad_op",
]);

export function refusalText(code: string, limits: Limits): string {
  if (code === "board_full") return t("refusal.board_full", { count: limits.elements_per_board });
  return t(KNOWN.has(code) ? `refusal.${code}` : "refusal.other");
}
