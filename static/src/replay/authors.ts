/**
 * Who drew what: for every element id, the authors of the ops that touched it, as of any seq.
 *
 * Only changes of author are kept (a stroke of 500 appends by one person is one entry), so the
 * index stays about as small as the number of elements while answering "who last touched this
 * at seq S" and "did this person touch it by seq S" for any S with a binary search.
 */
export class AuthorIndex {
  /** Per id: [seq0, by0, seq1, by1, ...], seqs increasing, consecutive authors different. */
  private readonly changes = new Map<string, number[]>();

  /** Records that op `seq` by client `by` touched `id`; ops must come in seq order. */
  record(id: string, seq: number, by: number): void {
    const list = this.changes.get(id);
    if (!list) this.changes.set(id, [seq, by]);
    else if (list[list.length - 1] !== by) list.push(seq, by);
  }

  /** The client id of the last op up to `at` that touched `id` (undefined: none). */
  lastAuthor(id: string, at: number): number | undefined {
    const list = this.changes.get(id);
    if (!list) return undefined;
    // The last pair whose seq is <= at.
    let lo = 0;
    let hi = list.length / 2 - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if ((list[2 * mid] as number) <= at) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found < 0 ? undefined : list[2 * found + 1];
  }

  /** Whether any op up to `at` by one of `authors` touched `id`. */
  touchedBy(id: string, at: number, authors: ReadonlySet<number>): boolean {
    const list = this.changes.get(id);
    if (!list) return false;
    for (let i = 0; i < list.length && (list[i] as number) <= at; i += 2) {
      if (authors.has(list[i + 1] as number)) return true;
    }
    return false;
  }
}
