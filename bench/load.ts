/**
 * Closed-loop load: `concurrency` producers each run `step` back to back until the time or request
 * budget is spent. Every step's latency is kept, so percentiles are exact.
 */
export interface LoadBudget {
  concurrency: number;
  seconds: number;
  /** Stop earlier once this many steps have started. */
  maxRequests: number;
}

export interface StepResult {
  /** Records (or requests) this step moved. */
  units: number;
  /** Payload bytes (record data) this step moved. */
  bytes: number;
}

export interface LoadResult {
  requests: number;
  units: number;
  bytes: number;
  seconds: number;
  /** Sorted, milliseconds. */
  latencies: Float64Array;
  errors: number;
  firstError?: string;
}

export async function drive(budget: LoadBudget, step: (producer: number) => Promise<StepResult>): Promise<LoadResult> {
  const deadline = performance.now() + budget.seconds * 1000;
  const latencies: number[] = [];
  let started = 0;
  let units = 0;
  let bytes = 0;
  let errors = 0;
  let firstError: string | undefined;
  const begin = performance.now();
  const producer = async (index: number) => {
    while (started < budget.maxRequests && performance.now() < deadline) {
      started++;
      const t0 = performance.now();
      try {
        const result = await step(index);
        latencies.push(performance.now() - t0);
        units += result.units;
        bytes += result.bytes;
      } catch (err) {
        errors++;
        firstError ??= (err as Error).message;
      }
    }
  };
  await Promise.all(Array.from({ length: budget.concurrency }, (_, i) => producer(i)));
  const seconds = (performance.now() - begin) / 1000;
  const sorted = Float64Array.from(latencies).sort();
  return { requests: latencies.length, units, bytes, seconds, latencies: sorted, errors, firstError };
}

export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
