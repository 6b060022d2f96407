/**
 * Refusals in words. The server's `msg` is a readable sentence too, but these say what it means
 * for the person at the board, with the limits the server announced.
 */
import type { Limits } from "../model/types";

const fmt = (n: number): string => n.toLocaleString("en-US");

export function refusalText(code: string, limits: Limits, serverMsg?: string): string {
  switch (code) {
    case "board_full":
      return `This board is full: ${fmt(limits.elements_per_board)} elements.`;
    case "too_large":
      return "That is too large for one element; the change was undone.";
    case "rate_limited":
      return "Too many changes at once; some were undone. Slow down a little.";
    case "read_only":
      // A view-only connection is refused before anything is sent (see app.ts); a refusal from
      // the server means the board cannot be written now (its disk is full): say so as it does.
      return serverMsg || "This board cannot be changed right now; your change was undone.";
    case "not_found":
      return "Someone else removed that element in the meantime.";
    case "exists":
      return "That element already exists on the board.";
    case "locked":
      return "That element is locked: unlock it first (Ctrl+Shift+L, or Unlock all).";
    case "bad_op":
      return "The server refused a change it could not understand; it was undone.";
    default:
      return serverMsg || "The server refused a message.";
  }
}
