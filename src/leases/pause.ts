/**
 * Resolves after `ms`, or at once when `signal` aborts: the wait between two rounds of background work
 * held by a lease, which must end as soon as the lease (or the node) goes. The timer does not keep the
 * process alive.
 */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms).unref();
    signal.addEventListener('abort', done, { once: true });
  });
}
