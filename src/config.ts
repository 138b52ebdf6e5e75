import { parseArgs } from 'node:util';
import { isRegionName } from './protocol/region.js';

/** Everything a Millrace process can be told, from flags or the environment. */
export interface Config {
  host: string;
  port: number;
  /** Directory of the embedded store; undefined with `memory`. */
  dataDir?: string;
  memory: boolean;
  /** `nats://HOST:PORT[,HOST:PORT...]`: run as a stateless node over a NATS JetStream cluster (issue 7). */
  store?: string;
  /** JetStream replicas of every shard log and of the metadata bucket. */
  replicas: number;
  natsUser?: string;
  natsPass?: string;
  natsCreds?: string;
  natsTlsCa?: string;
  region: string;
  account: string;
  /** AWS-style account shard limit (KINESIS-SPEC §3.1, §3.21). */
  shardLimit: number;
  createStreamMs: number;
  deleteStreamMs: number;
  updateStreamMs: number;
  /** On-demand streams split a shard whose writes exceed either rate, averaged over the window (§5.3). */
  onDemandScaleRecords: number;
  onDemandScaleBytes: number;
  onDemandScaleSeconds: number;
  createConsumerMs: number;
  deleteConsumerMs: number;
  /** How long a SubscribeToShard response lasts before it completes normally (§6.4). */
  subscriptionLifetimeMs: number;
  tlsCert?: string;
  tlsKey?: string;
  /** Serve TLS with a self-signed certificate generated at startup when no --tls-cert is given. */
  tls: boolean;
  /** JSON array of {accessKeyId, secretAccessKey, accountId}, or a file holding it: verify SigV4 (§1.7). */
  credentials?: string;
  logLevel: string;
  /** How long a connection may take to send a request's headers before it is dropped. */
  headersTimeoutMs: number;
  bodyTimeoutMs: number;
  /** Enforce Kinesis's per-shard and control-plane rates (KINESIS-SPEC §4.9; kinesis/domain/throughput.ts). */
  enforceLimits: boolean;
  /** An S3-compatible server to keep objects in instead of the embedded object store (objects/external-objects.ts). */
  s3Endpoint?: string;
  s3AccessKeyId?: string;
  s3SecretAccessKey?: string;
  /** Region to sign external S3 calls for. */
  s3Region: string;
  /** Address external buckets as `bucket.host` instead of `host/bucket`. */
  s3VirtualHosted: boolean;
  /** A server that speaks Lambda's Invoke API (functions/lambda-endpoint.ts). */
  lambdaEndpoint?: string;
  /** Directory of `<function name>.mjs` modules run in worker threads (functions/local-modules.ts). */
  functionsDir?: string;
  /** How long a local function may run before it times out, as Lambda's function timeout. */
  functionTimeoutMs: number;
  /** Local function invocations running at once; more wait their turn. */
  functionConcurrency: number;
}

interface Setting {
  key: keyof Config;
  flag: string;
  env: string;
  kind: 'string' | 'integer' | 'boolean';
  fallback?: string | number | boolean;
  help: string;
}

/** One table for flags, environment variables, defaults and `--help`. */
export const SETTINGS: Setting[] = [
  { key: 'port', flag: 'port', env: 'MILLRACE_PORT', kind: 'integer', fallback: 4567, help: 'TCP port (0 picks a free one)' },
  { key: 'host', flag: 'host', env: 'MILLRACE_HOST', kind: 'string', fallback: '127.0.0.1', help: 'address to listen on' },
  { key: 'dataDir', flag: 'data', env: 'MILLRACE_DATA', kind: 'string', fallback: './millrace-data', help: 'directory of the durable store' },
  { key: 'memory', flag: 'memory', env: 'MILLRACE_MEMORY', kind: 'boolean', fallback: false, help: 'keep everything in memory (nothing on disk)' },
  { key: 'region', flag: 'region', env: 'MILLRACE_REGION', kind: 'string', fallback: 'us-east-1', help: 'region for unsigned requests' },
  { key: 'account', flag: 'account', env: 'MILLRACE_ACCOUNT', kind: 'string', fallback: '000000000000', help: 'account for access keys that are not 12 digits' },
  { key: 'shardLimit', flag: 'shard-limit', env: 'MILLRACE_SHARD_LIMIT', kind: 'integer', fallback: 500, help: 'open shards allowed per account and region' },
  { key: 'createStreamMs', flag: 'create-stream-ms', env: 'MILLRACE_CREATE_STREAM_MS', kind: 'integer', fallback: 0, help: 'time a stream spends CREATING' },
  { key: 'deleteStreamMs', flag: 'delete-stream-ms', env: 'MILLRACE_DELETE_STREAM_MS', kind: 'integer', fallback: 0, help: 'time a stream spends DELETING' },
  { key: 'updateStreamMs', flag: 'update-stream-ms', env: 'MILLRACE_UPDATE_STREAM_MS', kind: 'integer', fallback: 0, help: 'time a stream spends UPDATING' },
  { key: 'onDemandScaleRecords', flag: 'on-demand-scale-records', env: 'MILLRACE_ON_DEMAND_SCALE_RECORDS', kind: 'integer', fallback: 1000, help: 'records/s per shard above which an on-demand stream splits it' },
  { key: 'onDemandScaleBytes', flag: 'on-demand-scale-bytes', env: 'MILLRACE_ON_DEMAND_SCALE_BYTES', kind: 'integer', fallback: 1_048_576, help: 'bytes/s per shard above which an on-demand stream splits it' },
  { key: 'onDemandScaleSeconds', flag: 'on-demand-scale-seconds', env: 'MILLRACE_ON_DEMAND_SCALE_SECONDS', kind: 'integer', fallback: 30, help: 'seconds a shard must stay above those rates' },
  { key: 'createConsumerMs', flag: 'create-consumer-ms', env: 'MILLRACE_CREATE_CONSUMER_MS', kind: 'integer', fallback: 0, help: 'time a stream consumer spends CREATING' },
  { key: 'deleteConsumerMs', flag: 'delete-consumer-ms', env: 'MILLRACE_DELETE_CONSUMER_MS', kind: 'integer', fallback: 0, help: 'time a stream consumer spends DELETING' },
  { key: 'subscriptionLifetimeMs', flag: 'subscription-lifetime-ms', env: 'MILLRACE_SUBSCRIPTION_LIFETIME_MS', kind: 'integer', fallback: 300000, help: 'lifetime of a SubscribeToShard response' },
  { key: 'tlsCert', flag: 'tls-cert', env: 'MILLRACE_TLS_CERT', kind: 'string', help: 'PEM certificate file: also serve TLS on the same port' },
  { key: 'tlsKey', flag: 'tls-key', env: 'MILLRACE_TLS_KEY', kind: 'string', help: 'PEM private key file for --tls-cert' },
  { key: 'headersTimeoutMs', flag: 'headers-timeout-ms', env: 'MILLRACE_HEADERS_TIMEOUT_MS', kind: 'integer', fallback: 60_000, help: 'drop connections whose request headers take longer' },
  { key: 'bodyTimeoutMs', flag: 'body-timeout-ms', env: 'MILLRACE_BODY_TIMEOUT_MS', kind: 'integer', fallback: 60_000, help: 'drop requests whose body stalls (no bytes arrive) for longer' },
  { key: 'tls', flag: 'tls', env: 'MILLRACE_TLS', kind: 'boolean', fallback: false, help: 'also serve TLS on the same port (self-signed for localhost unless --tls-cert)' },
  { key: 'credentials', flag: 'credentials', env: 'MILLRACE_CREDENTIALS', kind: 'string', help: 'JSON array of {accessKeyId, secretAccessKey, accountId} or a file holding it: verify SigV4 signatures' },
  { key: 'enforceLimits', flag: 'enforce-limits', env: 'MILLRACE_ENFORCE_LIMITS', kind: 'boolean', fallback: false, help: 'throttle as Kinesis does: 1 MiB/s and 1,000 records/s in, 2 MiB/s and 5 reads/s out per shard, control-plane TPS' },
  { key: 'store', flag: 'store', env: 'MILLRACE_STORE', kind: 'string', help: 'nats://HOST:PORT[,HOST:PORT...]: keep everything in a NATS JetStream cluster (distributed mode)' },
  { key: 'replicas', flag: 'replicas', env: 'MILLRACE_REPLICAS', kind: 'integer', fallback: 3, help: 'JetStream replicas of each shard log and of the metadata (distributed mode)' },
  { key: 'natsUser', flag: 'nats-user', env: 'MILLRACE_NATS_USER', kind: 'string', help: 'user for the NATS connection' },
  { key: 'natsPass', flag: 'nats-pass', env: 'MILLRACE_NATS_PASS', kind: 'string', help: 'password for --nats-user' },
  { key: 'natsCreds', flag: 'nats-creds', env: 'MILLRACE_NATS_CREDS', kind: 'string', help: 'NATS .creds file (JWT and nkey seed)' },
  { key: 'natsTlsCa', flag: 'nats-tls-ca', env: 'MILLRACE_NATS_TLS_CA', kind: 'string', help: 'PEM CA file: connect to NATS over TLS' },
  { key: 's3Endpoint', flag: 's3-endpoint', env: 'MILLRACE_S3_ENDPOINT', kind: 'string', help: 'URL of an S3-compatible server to keep objects in (default: the embedded object store)' },
  { key: 's3AccessKeyId', flag: 's3-access-key-id', env: 'MILLRACE_S3_ACCESS_KEY_ID', kind: 'string', help: 'access key for --s3-endpoint (default: the AWS environment and profile chain)' },
  { key: 's3SecretAccessKey', flag: 's3-secret-access-key', env: 'MILLRACE_S3_SECRET_ACCESS_KEY', kind: 'string', help: 'secret key for --s3-access-key-id' },
  { key: 's3Region', flag: 's3-region', env: 'MILLRACE_S3_REGION', kind: 'string', fallback: 'us-east-1', help: 'region to sign --s3-endpoint calls for' },
  { key: 's3VirtualHosted', flag: 's3-virtual-hosted', env: 'MILLRACE_S3_VIRTUAL_HOSTED', kind: 'boolean', fallback: false, help: 'address --s3-endpoint buckets as bucket.host, not host/bucket' },
  { key: 'lambdaEndpoint', flag: 'lambda-endpoint', env: 'MILLRACE_LAMBDA_ENDPOINT', kind: 'string', help: 'URL of a server speaking the Lambda Invoke API (sam local start-lambda, LocalStack, AWS)' },
  { key: 'functionsDir', flag: 'functions', env: 'MILLRACE_FUNCTIONS', kind: 'string', help: 'directory of DIR/<function name>.mjs handlers to run as Lambda functions' },
  { key: 'functionTimeoutMs', flag: 'function-timeout-ms', env: 'MILLRACE_FUNCTION_TIMEOUT_MS', kind: 'integer', fallback: 3000, help: 'timeout of a --functions invocation (Lambda default 3 s)' },
  { key: 'functionConcurrency', flag: 'function-concurrency', env: 'MILLRACE_FUNCTION_CONCURRENCY', kind: 'integer', fallback: 4, help: '--functions invocations running at once' },
  { key: 'logLevel', flag: 'log-level', env: 'MILLRACE_LOG_LEVEL', kind: 'string', fallback: 'info', help: 'fatal, error, warn, info, debug or trace' },
];

export class ConfigError extends Error {}

/** pino's levels; anything else would only fail later, inside the logger. */
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export const DEFAULT_CONFIG: Config = Object.fromEntries(
  SETTINGS.filter((s) => s.fallback !== undefined).map((s) => [s.key, s.fallback]),
) as unknown as Config;

/** Flags win over environment variables, which win over defaults. */
export function parseConfig(argv: string[], env: NodeJS.ProcessEnv): Config & { help: boolean } {
  const options = Object.fromEntries(SETTINGS.map((s) => [s.flag, { type: s.kind === 'boolean' ? 'boolean' : 'string' }] as const));
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: false });
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
  const config: Record<string, unknown> = { ...DEFAULT_CONFIG };
  for (const setting of SETTINGS) {
    const raw = (parsed.values as Record<string, unknown>)[setting.flag] ?? env[setting.env];
    if (raw === undefined) continue;
    config[setting.key] = convert(setting, raw);
  }
  if (config.memory) delete config.dataDir;
  if (!isRegionName(String(config.region))) throw new ConfigError(`--region must be an AWS region name such as us-east-1, got ${config.region}`);
  if (!/^\d{12}$/.test(String(config.account))) throw new ConfigError(`--account must be 12 digits, got ${config.account}`);
  if (Boolean(config.tlsCert) !== Boolean(config.tlsKey)) throw new ConfigError('--tls-cert and --tls-key go together');
  if (!LOG_LEVELS.includes(String(config.logLevel))) throw new ConfigError(`--log-level must be one of ${LOG_LEVELS.join(', ')}, got ${config.logLevel}`);
  if (config.store !== undefined && !/^(nats|tls):\/\/[^,\s]+(,[^,\s]+)*$/.test(String(config.store))) {
    throw new ConfigError(`--store takes nats://HOST:PORT[,HOST:PORT...], got ${config.store}`);
  }
  if (config.store !== undefined && (config.replicas as number) < 1) throw new ConfigError('--replicas must be at least 1');
  return { ...(config as unknown as Config), help: Boolean(parsed.values.help) };
}

function convert(setting: Setting, raw: unknown): unknown {
  if (setting.kind === 'boolean') return raw === true || /^(1|true|yes)$/i.test(String(raw));
  if (setting.kind === 'integer') {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 0) throw new ConfigError(`--${setting.flag} takes a whole number ≥ 0, got ${raw}`);
    return n;
  }
  return String(raw);
}

export function helpText(): string {
  const lines = SETTINGS.map((s) => {
    const flag = `--${s.flag}${s.kind === 'boolean' ? '' : ' VALUE'}`;
    const fallback = s.fallback !== undefined && s.kind !== 'boolean' ? ` (default ${s.fallback})` : '';
    return `  ${flag.padEnd(26)} ${s.help}${fallback}  [${s.env}]`;
  });
  return ['Usage: millrace [options]', '', 'A Kinesis-compatible server.', '', ...lines, '  --help                     this text', ''].join('\n');
}
