/**
 * The producer-timestamp index of one stream incarnation (issue 16 §3): its fragments' producer
 * start times in log order, split into runs where producer time never goes back. A PutMedia
 * connection's fragments form one run (its timecodes only grow: VIDEO-SPEC §2), so a stream has
 * about as many runs as producer sessions, and a lookup by producer time costs a walk over the
 * runs and a binary search inside one, where a scan of every retained fragment was needed before.
 *
 * Kept in memory per node and extended from where it stopped each time it is used (fragment-store.ts),
 * so every node builds its own from the shared log; fragments that retention removed are dropped
 * from its front.
 */

export interface ProducerTimeEntry {
  /** The fragment's index in its log. */
  index: number;
  /** Producer start time (epoch ms). */
  pt: number;
  /** FragmentLengthInMilliseconds. */
  len: number;
}

interface Run {
  /** Positions [start, end) in the entry arrays. */
  start: number;
  end: number;
}

/** Entries dropped from the front are compacted away once they are this many and half the arrays. */
const COMPACT_AFTER = 1024;

export class ProducerTimes {
  private indices: number[] = [];
  private pts: number[] = [];
  private lens: number[] = [];
  private committed: number[] = [];
  private runs: Run[] = [];
  /** The first live position (entries before it were trimmed by retention). */
  private first = 0;
  /** The log index the next extension reads from. */
  next = 0;

  get size(): number {
    return this.indices.length - this.first;
  }

  /** Appends fragments read from the log, in log order, from `next` on. */
  extend(fragments: ReadonlyArray<ProducerTimeEntry & { committed: number }>, nextIndex: number): void {
    for (const f of fragments) {
      const at = this.indices.length;
      const last = this.runs[this.runs.length - 1];
      if (last && last.end === at && this.pts[at - 1]! <= f.pt) last.end = at + 1;
      else this.runs.push({ start: at, end: at + 1 });
      this.indices.push(f.index);
      this.pts.push(f.pt);
      this.lens.push(f.len);
      this.committed.push(f.committed);
    }
    this.next = nextIndex;
  }

  /** Forgets the fragments committed before `horizon` (retention: the log dropped or skips them). */
  dropBefore(horizon: number): void {
    while (this.first < this.indices.length && this.committed[this.first]! < horizon) this.first++;
    while (this.runs.length > 0 && this.runs[0]!.end <= this.first) this.runs.shift();
    if (this.runs.length > 0 && this.runs[0]!.start < this.first) this.runs[0]!.start = this.first;
    if (this.first >= COMPACT_AFTER && this.first * 2 >= this.indices.length) this.compact();
  }

  private compact(): void {
    const shift = this.first;
    this.indices = this.indices.slice(shift);
    this.pts = this.pts.slice(shift);
    this.lens = this.lens.slice(shift);
    this.committed = this.committed.slice(shift);
    for (const run of this.runs) {
      run.start -= shift;
      run.end -= shift;
    }
    this.first = 0;
  }

  private entry(at: number): ProducerTimeEntry {
    return { index: this.indices[at]!, pt: this.pts[at]!, len: this.lens[at]! };
  }

  /** The first position in [start, end) of a run whose producer time is above `ms` (or at it, unless `strict`); end when none. */
  private search(run: Run, ms: number, strict: boolean): number {
    let lo = run.start;
    let hi = run.end;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const pt = this.pts[mid]!;
      if (strict ? pt > ms : pt >= ms) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /**
   * In log order, the first fragment starting after `ms` and the one just before it (which starts at
   * or before `ms`); `after` is undefined when no fragment starts after `ms`.
   */
  around(ms: number): { before?: ProducerTimeEntry; after?: ProducerTimeEntry } {
    let before: ProducerTimeEntry | undefined;
    for (const run of this.runs) {
      if (this.pts[run.end - 1]! <= ms) {
        before = this.entry(run.end - 1);
        continue;
      }
      const at = this.search(run, ms, true);
      if (at > run.start) before = this.entry(at - 1);
      return { before, after: this.entry(at) };
    }
    return { before };
  }

  /**
   * Log indices, in log order, of the fragments at or after log index `fromIndex` whose producer start
   * lies in [from, to]; `limit` at most.
   */
  inRange(from: number, to: number, fromIndex: number, limit: number): number[] {
    const out: number[] = [];
    for (const run of this.runs) {
      if (this.indices[run.end - 1]! < fromIndex) continue;
      if (this.pts[run.start]! > to || this.pts[run.end - 1]! < from) continue;
      for (let at = this.search(run, from, false); at < run.end && this.pts[at]! <= to; at++) {
        if (this.indices[at]! < fromIndex) continue;
        out.push(this.indices[at]!);
        if (out.length >= limit) return out;
      }
    }
    return out;
  }
}
