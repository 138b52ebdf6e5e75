import type { Store } from '../store/store.js';
import { VERSION } from '../version.js';
import { sendHtml, sendJson, type Page } from './pages.js';

/** A store that has not answered a read in this long counts as unreachable. */
export const HEALTH_PROBE_TIMEOUT_MS = 2_000;
/** A key no one writes: reading it costs the store one look-up and proves it answers. */
const PROBE_KEY = 'health/probe';

export interface HealthSources {
  store: Store;
  /** The services served on this endpoint, e.g. `kinesis`, `s3`. */
  services: () => string[];
  /** Other parts to describe, e.g. `{ objects: 'fs', functions: 'local' }`. */
  parts?: () => Record<string, string>;
  /** This node's id and the work leases it holds (leases/leases.ts), with their terms. */
  leases?: { readonly node: string; held(): { name: string; term: number; acquiredAt: number; expiresAt: number }[] };
}

/** Whether the store answers a read within HEALTH_PROBE_TIMEOUT_MS, and how long it took. */
async function probe(store: Store): Promise<{ reachable: boolean; latencyMs?: number; error?: string }> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${HEALTH_PROBE_TIMEOUT_MS} ms`)), HEALTH_PROBE_TIMEOUT_MS);
  });
  try {
    await Promise.race([store.meta.get(PROBE_KEY), timeout]);
    return { reachable: true, latencyMs: Math.round((performance.now() - started) * 100) / 100 };
  } catch (err) {
    return { reachable: false, error: err instanceof Error ? err.message : String(err) };
  } finally {
    clearTimeout(timer);
  }
}

/** `GET /_millrace/health`: for container health checks; 503 while the store is unreachable. */
export function healthPage(sources: HealthSources): Page {
  return async (_req, res) => {
    const store = await probe(sources.store);
    sendJson(res, store.reachable ? 200 : 503, {
      status: store.reachable ? 'ok' : 'unavailable',
      version: VERSION,
      services: sources.services(),
      store: { kind: sources.store.kind, ...store },
      ...sources.parts?.(),
      ...(sources.leases && { node: sources.leases.node, leases: sources.leases.held() }),
    });
  };
}

/** `GET /_millrace/`: what this endpoint serves and where to look, until the console takes the path. */
export function indexPage(sources: HealthSources, endpoint: () => string): Page {
  return (_req, res) => {
    const services = sources.services().map((s) => `<li><code>${s}</code></li>`).join('');
    sendHtml(
      res,
      200,
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Millrace</title></head><body>` +
        `<h1>Millrace ${VERSION}</h1><p>Endpoint <code>${endpoint()}</code>, store <code>${sources.store.kind}</code>.</p>` +
        `<h2>Services</h2><ul>${services}</ul>` +
        `<p>Point any AWS client at the endpoint, e.g. <code>export AWS_ENDPOINT_URL=${endpoint()}</code>.</p>` +
        `<p><a href="health">health</a></p></body></html>`,
    );
  };
}
