/**
 * The one abortable wait of Firehose's retry loops (Lambda invocations, destination backoff, S3
 * retries): resolves after `ms`, or rejects with the signal's reason the moment it aborts (the lease
 * was lost or the server stops), so no retry outlives its work. A leaf module: processing and
 * delivery both import it, it imports nothing.
 */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
