import { networkInterfaces } from 'node:os';
import { resolve } from 'node:path';
import type { Config } from './config.js';
import type { Millrace } from './server.js';
import { VERSION } from './version.js';
import { consoleMode } from './console/access.js';

/** What a person needs to start using the server, on stdout once it listens. */
export function banner(config: Config, server: Pick<Millrace, 'port' | 'secureEndpoint' | 'certificateFile' | 'imagesDecoder'>): string {
  const port = server.port;
  const urls = (scheme: string) => reachableHosts(config.host).map((host) => `${scheme}://${host}:${port}`);
  const http = urls('http');
  const lines = [`Millrace ${VERSION}: the Amazon Kinesis family on one endpoint`];
  const row = (label: string, text: string) => lines.push(`  ${label.padEnd(12)} ${text}`);
  row('endpoint', http.join('  '));
  // The certificate names localhost, 127.0.0.1 and ::1; another certificate names what it names.
  if (server.secureEndpoint) row('https', `${server.certificateFile ? `https://localhost:${port}  ` : ''}${urls('https').join('  ')} (same port)`);
  // Where the console is, or why it is not served (issue 18 §3, §6).
  const mode = consoleMode(config);
  if (!mode.served) row('console', mode.reason);
  else row('console', `${http[0]}/_millrace/${mode.token ? ' (needs --console-token: open it with ?token=TOKEN)' : ''}${mode.readOnly ? ' (read-only)' : ''}`);
  row('metrics', `${http[0]}/_millrace/metrics (Prometheus; also /metrics)`);
  // The services server.ts routes to on this port.
  row('services', 'Kinesis Data Streams, Data Firehose, Managed Flink / Data Analytics, Video Streams, Glue catalog, S3 (objects), Lambda Invoke (functions), CloudWatch metrics');
  // Which GetImages decoder was chosen at start-up (--images-decoder), and so which streams it takes.
  if (server.imagesDecoder) row('images', `GetImages decodes with ${server.imagesDecoder}`);
  row('data', config.store ? `NATS JetStream at ${config.store}` : config.memory || !config.dataDir ? 'in memory (gone when it stops)' : resolve(config.dataDir));
  if (server.certificateFile) row('certificate', `${server.certificateFile} (self-signed for localhost, 127.0.0.1, ::1)`);
  const declared = config.streams ?? [];
  if (declared.length) row('streams', declared.map((s) => s.name).join(', '));
  lines.push('', 'Point the AWS CLI, the SDKs and boto3 at it (every service is on this endpoint):');
  lines.push(`  export AWS_ENDPOINT_URL=${server.certificateFile ? `https://localhost:${port}` : http[0]}`);
  if (server.certificateFile) lines.push(`  export AWS_CA_BUNDLE=${server.certificateFile} NODE_EXTRA_CA_CERTS=${server.certificateFile}`);
  // With --credentials, the keys are the user's own; without, any keys are accepted.
  if (!config.credentials) lines.push(`  export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=${config.region} AWS_REGION=${config.region}`);
  return `${lines.join('\n')}\n\n`;
}

/**
 * Hosts a client can use for the listening address: itself, or for every-interface addresses
 * (0.0.0.0, ::) the loopback address and then the machine's own addresses.
 */
export function reachableHosts(host: string): string[] {
  const wrap = (address: string) => (address.includes(':') ? `[${address}]` : address);
  if (host !== '0.0.0.0' && host !== '::' && host !== '') return [wrap(host)];
  const ipv6 = host === '::';
  const own = Object.values(networkInterfaces())
    .flatMap((addresses) => addresses ?? [])
    .filter((a) => !a.internal && (a.family === 'IPv4' || (ipv6 && a.family === 'IPv6' && !a.address.startsWith('fe80'))))
    .map((a) => wrap(a.address));
  return ['127.0.0.1', ...own];
}
