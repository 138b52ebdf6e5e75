/**
 * Records/s and bytes/s into each stream, from how far its shard logs' tips moved between two
 * looks (the console polls; nothing on the write path). A cache of observations, not state:
 * another node, or a restart, simply starts measuring again.
 */

/** Observations older than this are not used for a rate. */
const MAX_SAMPLE_AGE_MS = 10_000;
/** A rate needs observations at least this far apart. */
const MIN_SAMPLE_SPAN_MS = 900;
/** Streams remembered at most (the oldest observations are forgotten first). */
const MAX_TRACKED = 10_000;

interface Sample {
  at: number;
  records: number;
}

export class TipRates {
  private readonly samples = new Map<string, Sample[]>();

  /** Records this stream incarnation's logs hold in total now (sum of tips); returns records/s, or undefined until measurable. */
  observe(streamId: string, records: number, at = Date.now()): number | undefined {
    let list = this.samples.get(streamId);
    if (!list) {
      if (this.samples.size >= MAX_TRACKED) this.samples.delete(this.samples.keys().next().value!);
      this.samples.set(streamId, (list = []));
    }
    while (list.length > 0 && at - list[0].at > MAX_SAMPLE_AGE_MS) list.shift();
    // The oldest sample at least MIN_SAMPLE_SPAN_MS back, kept; the newest replaces samples closer than that.
    const last = list[list.length - 1];
    if (!last || at - last.at >= MIN_SAMPLE_SPAN_MS) list.push({ at, records });
    let base: Sample | undefined;
    for (let i = list.length - 1; i >= 0 && !base; i--) if (at - list[i].at >= MIN_SAMPLE_SPAN_MS) base = list[i];
    if (!base) return undefined;
    return Math.max(0, ((records - base.records) * 1000) / (at - base.at));
  }
}
