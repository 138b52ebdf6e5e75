import { SETTINGS } from '../../config.js';
import { VERSION } from '../../version.js';
import type { ConsoleDeps } from '../deps.js';
import type { ConsoleScope } from './params.js';

/** Settings whose values are secrets: the server page shows that they are set, never what they are. */
const SECRET_SETTINGS = new Set(['credentials', 'natsPass', 's3SecretAccessKey', 'consoleToken']);
const startedAt = Date.now();

/** `GET /api/v1/server`: what the home and server pages show. */
export function serverInfo(deps: ConsoleDeps, readOnly: boolean, tokenRequired: boolean) {
  const config = deps.config as unknown as Record<string, unknown>;
  const memory = process.memoryUsage();
  return {
    version: VERSION,
    endpoint: deps.endpoint(),
    store: deps.kinesis.store.kind,
    account: deps.config.account,
    region: deps.config.region,
    services: deps.services(),
    readOnly,
    tokenRequired,
    enforceLimits: deps.config.enforceLimits,
    startedAt,
    uptimeMs: Date.now() - startedAt,
    node: process.version,
    pid: process.pid,
    memory: { rss: memory.rss, heapUsed: memory.heapUsed, external: memory.external },
    settings: SETTINGS.map((s) => ({
      flag: `--${s.flag}`,
      env: s.env,
      value: SECRET_SETTINGS.has(s.key) ? (config[s.key] ? '(set)' : undefined) : s.key === 'streams' ? undefined : config[s.key],
      default: s.fallback,
      help: s.help,
    })),
  };
}

/** `GET /api/v1/scopes`: the account/region pairs that hold streams or delivery streams, and the default. */
export async function scopes(deps: ConsoleDeps, defaults: ConsoleScope) {
  const found = new Map<string, ConsoleScope>([[`${defaults.account}/${defaults.region}`, defaults]]);
  const streams = await deps.kinesis.streams.listAll();
  for (const s of streams) found.set(`${s.account}/${s.region}`, { account: s.account, region: s.region });
  for (const d of await deps.firehose.streams.listAll()) found.set(`${d.account}/${d.region}`, { account: d.account, region: d.region });
  return { default: defaults, scopes: [...found.values()].sort((a, b) => (a.account + a.region).localeCompare(b.account + b.region)) };
}
