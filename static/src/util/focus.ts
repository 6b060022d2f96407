/** The keyboard focus is in something that takes typing (a field, an editable text, or a
 * list with its own arrow keys): board shortcuts, copy and paste leave it alone. */
export const typing = (t: EventTarget | null): boolean =>
  t instanceof HTMLInputElement ||
  t instanceof HTMLTextAreaElement ||
  t instanceof HTMLSelectElement ||
  (t instanceof HTMLElement && t.isContentEditable);
