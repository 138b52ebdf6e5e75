/** A failure of a running job, with the Flink exception class its ErrorInfo and log name. */
export class JobError extends Error {
  constructor(
    readonly flinkClass: string,
    message: string,
  ) {
    super(message);
    this.name = 'JobError';
  }
}

/** How a job's failure reads in the operation's ErrorInfo and the log: `<Flink class>: <message>`. */
export function describeFailure(err: unknown): string {
  const e = err as { flinkClass?: string; message?: string };
  if (e && typeof e.flinkClass === 'string') return `${e.flinkClass}: ${e.message}`;
  return `java.lang.RuntimeException: ${(err as Error)?.message ?? String(err)}`;
}
