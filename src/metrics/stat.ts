/**
 * A metric as both readers want it, updated in place on the request path (no allocation):
 * CloudWatch takes SampleCount/Sum/Minimum/Maximum per interval (`n`, `s`, `lo`, `hi`, reset by
 * each publication), Prometheus the running totals (`totalCount()`, `totalSum()`), which fold
 * each interval in as it is reset.
 */
export class Stat {
  n = 0;
  s = 0;
  lo = Infinity;
  hi = -Infinity;
  private foldedN = 0;
  private foldedS = 0;
  /** The last value added (gauges: iterator age, lag). */
  last = 0;

  add(value: number): void {
    this.n++;
    this.s += value;
    if (value < this.lo) this.lo = value;
    if (value > this.hi) this.hi = value;
    this.last = value;
  }

  totalCount(): number {
    return this.foldedN + this.n;
  }

  totalSum(): number {
    return this.foldedS + this.s;
  }

  /** Ends an interval: its values are kept in the totals. */
  reset(): void {
    this.foldedN += this.n;
    this.foldedS += this.s;
    this.n = 0;
    this.s = 0;
    this.lo = Infinity;
    this.hi = -Infinity;
  }
}
