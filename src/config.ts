import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { extname } from 'node:path';
import { parseArgs } from 'node:util';
import { isRegionName } from './protocol/region.js';

/** The YAML parser, loaded only for a YAML config file: it is a good part of a start's module loading. */
const parseYaml = (text: string): unknown => (createRequire(import.meta.url)('yaml') as typeof import('yaml')).parse(text);

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
  /** Time a Firehose delivery stream spends CREATING / DELETING (FIREHOSE-SPEC §3). */
  createDeliveryStreamMs: number;
  deleteDeliveryStreamMs: number;
  /** Time a Kinesis video stream spends CREATING / UPDATING / DELETING (VIDEO-SPEC §2.3). */
  createVideoStreamMs: number;
  updateVideoStreamMs: number;
  deleteVideoStreamMs: number;
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
  /** ffmpeg for GetImages (video/images/ffmpeg-decoder.ts); looked up on PATH when not given. */
  ffmpeg?: string;
  /** GetImages' decoder (video/images/choose-decoder.ts): ffmpeg when found (auto), or forced. */
  imagesDecoder: 'auto' | 'ffmpeg' | 'npm';
  /** STUN/TURN servers GetIceServerConfig answers with (video/signaling/ice-servers.ts); none by default. */
  iceServers?: string;
  /** An S3-compatible server to keep objects in instead of the embedded object store (objects/external-objects.ts). */
  s3Endpoint?: string;
  s3AccessKeyId?: string;
  s3SecretAccessKey?: string;
  /** Region to sign external S3 calls for. */
  s3Region: string;
  /** Address external buckets as `bucket.host` instead of `host/bucket`. */
  s3VirtualHosted: boolean;
  /** A Flink JobManager's REST API that JAR applications are run on (analytics/flink-rest/). */
  flinkRest?: string;
  /** Where --flink-rest savepoints go (the cluster's state.savepoints.dir when unset). */
  flinkSavepointDir?: string;
  /** A server that speaks Lambda's Invoke API (functions/lambda-endpoint.ts). */
  lambdaEndpoint?: string;
  /** Directory of `<function name>.mjs` modules run in worker threads (functions/local-modules.ts). */
  functionsDir?: string;
  /** How long a local function may run before it times out, as Lambda's function timeout. */
  functionTimeoutMs: number;
  /** Local function invocations running at once; more wait their turn. */
  functionConcurrency: number;
  /** PEM CA file trusted (besides the public roots) by Firehose's https destinations: HTTP endpoint, OpenSearch, Splunk. */
  destinationCa?: string;
  /** Streams that exist, ACTIVE, before the port opens (created when missing, left alone when present). */
  streams: StreamDeclaration[];
  /** Where `--tls` keeps the certificate it generates and its key; default DATA/tls, or a temp directory. */
  tlsDir?: string;
  /** pretty (human) or json; unset: pretty when stderr is a terminal, JSON otherwise. */
  logFormat?: 'json' | 'pretty';
  /** Secret the web console asks for; required to serve it on a non-loopback address (console/access.ts). */
  consoleToken?: string;
  /** Serve no web console at all. */
  noConsole: boolean;
  /** The console shows everything and changes nothing. */
  consoleReadOnly: boolean;
}

/** A stream declared at start-up (`--stream NAME[:SHARDS]`, MILLRACE_STREAMS, the config file's `streams`). */
export interface StreamDeclaration {
  name: string;
  mode: 'PROVISIONED' | 'ON_DEMAND';
  /** PROVISIONED only; 1 when not given. */
  shards?: number;
  /** Retention beyond the default 24 hours. */
  retentionHours?: number;
  /** Enhanced fan-out consumers registered on the stream. */
  consumers: string[];
}

interface Setting {
  key: keyof Config;
  flag: string;
  env: string;
  kind: 'string' | 'integer' | 'boolean';
  fallback?: string | number | boolean;
  help: string;
  /** What the value is, in `--help` (`--data DIR`); VALUE when unset. */
  value?: string;
  /** Largest value an integer setting takes. */
  max?: number;
  /** Values a string setting takes. */
  choices?: readonly string[];
}

/** The largest TCP port. */
const MAX_PORT = 65_535;

/** One table for flags, environment variables, config-file keys, defaults, `--help` and the README's options. */
export const SETTINGS: Setting[] = [
  { key: 'port', flag: 'port', env: 'MILLRACE_PORT', kind: 'integer', value: 'N', max: MAX_PORT, fallback: 4567, help: 'TCP port (0 picks a free one)' },
  { key: 'host', flag: 'host', env: 'MILLRACE_HOST', kind: 'string', value: 'ADDR', fallback: '127.0.0.1', help: 'address to listen on (0.0.0.0 or :: for every interface)' },
  { key: 'dataDir', flag: 'data', env: 'MILLRACE_DATA', kind: 'string', value: 'DIR', fallback: './millrace-data', help: 'directory of the durable store' },
  { key: 'memory', flag: 'memory', env: 'MILLRACE_MEMORY', kind: 'boolean', fallback: false, help: 'keep everything in memory (nothing on disk)' },
  { key: 'region', flag: 'region', env: 'MILLRACE_REGION', kind: 'string', value: 'REGION', fallback: 'us-east-1', help: 'region for requests whose signature names none, and of --stream streams' },
  { key: 'account', flag: 'account', env: 'MILLRACE_ACCOUNT', kind: 'string', value: 'ID', fallback: '000000000000', help: 'account for access keys that are not 12 digits, and of --stream streams' },
  { key: 'streams', flag: 'stream', env: 'MILLRACE_STREAMS', kind: 'string', value: 'NAME[:SHARDS]', help: 'create this stream (1 shard unless given) before the port opens, unless it exists; repeatable; the variable takes a comma list' },
  { key: 'shardLimit', flag: 'shard-limit', env: 'MILLRACE_SHARD_LIMIT', kind: 'integer', value: 'N', fallback: 500, help: 'open shards allowed per account and region' },
  { key: 'createStreamMs', flag: 'create-stream-ms', env: 'MILLRACE_CREATE_STREAM_MS', kind: 'integer', value: 'MS', fallback: 0, help: 'time a stream spends CREATING' },
  { key: 'deleteStreamMs', flag: 'delete-stream-ms', env: 'MILLRACE_DELETE_STREAM_MS', kind: 'integer', value: 'MS', fallback: 0, help: 'time a stream spends DELETING' },
  { key: 'updateStreamMs', flag: 'update-stream-ms', env: 'MILLRACE_UPDATE_STREAM_MS', kind: 'integer', value: 'MS', fallback: 0, help: 'time a stream spends UPDATING' },
  { key: 'createDeliveryStreamMs', flag: 'create-delivery-stream-ms', env: 'MILLRACE_CREATE_DELIVERY_STREAM_MS', kind: 'integer', value: 'MS', fallback: 0, help: 'time a Firehose delivery stream spends CREATING' },
  { key: 'deleteDeliveryStreamMs', flag: 'delete-delivery-stream-ms', env: 'MILLRACE_DELETE_DELIVERY_STREAM_MS', kind: 'integer', value: 'MS', fallback: 0, help: 'time a Firehose delivery stream spends DELETING' },
  { key: 'createVideoStreamMs', flag: 'create-video-stream-ms', env: 'MILLRACE_CREATE_VIDEO_STREAM_MS', kind: 'integer', value: 'MS', fallback: 0, help: 'time a Kinesis video stream or signaling channel spends CREATING' },
  { key: 'updateVideoStreamMs', flag: 'update-video-stream-ms', env: 'MILLRACE_UPDATE_VIDEO_STREAM_MS', kind: 'integer', value: 'MS', fallback: 0, help: 'time a Kinesis video stream or signaling channel spends UPDATING' },
  { key: 'deleteVideoStreamMs', flag: 'delete-video-stream-ms', env: 'MILLRACE_DELETE_VIDEO_STREAM_MS', kind: 'integer', value: 'MS', fallback: 0, help: 'time a Kinesis video stream or signaling channel spends DELETING' },
  { key: 'onDemandScaleRecords', flag: 'on-demand-scale-records', env: 'MILLRACE_ON_DEMAND_SCALE_RECORDS', kind: 'integer', value: 'N', fallback: 1000, help: 'records/s per shard above which an on-demand stream splits it' },
  { key: 'onDemandScaleBytes', flag: 'on-demand-scale-bytes', env: 'MILLRACE_ON_DEMAND_SCALE_BYTES', kind: 'integer', value: 'N', fallback: 1_048_576, help: 'bytes/s per shard above which an on-demand stream splits it' },
  { key: 'onDemandScaleSeconds', flag: 'on-demand-scale-seconds', env: 'MILLRACE_ON_DEMAND_SCALE_SECONDS', kind: 'integer', value: 'S', fallback: 30, help: 'seconds a shard must stay above those rates' },
  { key: 'createConsumerMs', flag: 'create-consumer-ms', env: 'MILLRACE_CREATE_CONSUMER_MS', kind: 'integer', value: 'MS', fallback: 0, help: 'time a stream consumer spends CREATING' },
  { key: 'deleteConsumerMs', flag: 'delete-consumer-ms', env: 'MILLRACE_DELETE_CONSUMER_MS', kind: 'integer', value: 'MS', fallback: 0, help: 'time a stream consumer spends DELETING' },
  { key: 'subscriptionLifetimeMs', flag: 'subscription-lifetime-ms', env: 'MILLRACE_SUBSCRIPTION_LIFETIME_MS', kind: 'integer', value: 'MS', fallback: 300000, help: 'lifetime of a SubscribeToShard response' },
  { key: 'tls', flag: 'tls', env: 'MILLRACE_TLS', kind: 'boolean', fallback: false, help: 'also serve https on the same port, with a self-signed certificate for localhost unless --tls-cert' },
  { key: 'tlsDir', flag: 'tls-dir', env: 'MILLRACE_TLS_DIR', kind: 'string', value: 'DIR', help: 'where --tls keeps its certificate (kept across restarts) and key (default DATA/tls; a temp directory with --memory)' },
  { key: 'tlsCert', flag: 'tls-cert', env: 'MILLRACE_TLS_CERT', kind: 'string', value: 'FILE', help: 'PEM certificate file: also serve https on the same port' },
  { key: 'tlsKey', flag: 'tls-key', env: 'MILLRACE_TLS_KEY', kind: 'string', value: 'FILE', help: 'PEM private key file for --tls-cert' },
  { key: 'headersTimeoutMs', flag: 'headers-timeout-ms', env: 'MILLRACE_HEADERS_TIMEOUT_MS', kind: 'integer', value: 'MS', fallback: 60_000, help: 'drop connections whose request headers take longer' },
  { key: 'bodyTimeoutMs', flag: 'body-timeout-ms', env: 'MILLRACE_BODY_TIMEOUT_MS', kind: 'integer', value: 'MS', fallback: 60_000, help: 'drop requests whose body stalls (no bytes arrive) for longer' },
  { key: 'credentials', flag: 'credentials', env: 'MILLRACE_CREDENTIALS', kind: 'string', value: 'JSON|FILE', help: 'JSON array of {accessKeyId, secretAccessKey, accountId} or a file holding it: verify SigV4 signatures' },
  { key: 'enforceLimits', flag: 'enforce-limits', env: 'MILLRACE_ENFORCE_LIMITS', kind: 'boolean', fallback: false, help: 'throttle as Kinesis does: 1 MiB/s and 1,000 records/s in, 2 MiB/s and 5 reads/s out per shard, control-plane TPS; and Firehose DirectPut quotas per delivery stream' },
  { key: 'ffmpeg', flag: 'ffmpeg', env: 'MILLRACE_FFMPEG', kind: 'string', value: 'PATH', help: 'ffmpeg binary GetImages decodes with (default: ffmpeg on PATH)' },
  { key: 'imagesDecoder', flag: 'images-decoder', env: 'MILLRACE_IMAGES_DECODER', kind: 'string', value: 'DECODER', choices: ['auto', 'ffmpeg', 'npm'], fallback: 'auto', help: 'GetImages decoder: auto (ffmpeg when found, else npm), ffmpeg, or npm (tinyh264 WASM, H.264 Baseline only)' },
  { key: 'iceServers', flag: 'ice-servers', env: 'MILLRACE_ICE_SERVERS', kind: 'string', value: 'URIS', help: 'STUN/TURN servers for GetIceServerConfig: comma list of turn:user:pass@host:port / stun:host:port URIs, or a JSON IceServerList (default none)' },
  { key: 'store', flag: 'store', env: 'MILLRACE_STORE', kind: 'string', value: 'URL', help: 'nats://HOST:PORT[,HOST:PORT...]: keep everything in a NATS JetStream cluster (distributed mode)' },
  { key: 'replicas', flag: 'replicas', env: 'MILLRACE_REPLICAS', kind: 'integer', value: 'N', fallback: 3, help: 'JetStream replicas of each shard log and of the metadata (distributed mode)' },
  { key: 'natsUser', flag: 'nats-user', env: 'MILLRACE_NATS_USER', kind: 'string', value: 'USER', help: 'user for the NATS connection' },
  { key: 'natsPass', flag: 'nats-pass', env: 'MILLRACE_NATS_PASS', kind: 'string', value: 'PASSWORD', help: 'password for --nats-user' },
  { key: 'natsCreds', flag: 'nats-creds', env: 'MILLRACE_NATS_CREDS', kind: 'string', value: 'FILE', help: 'NATS .creds file (JWT and nkey seed)' },
  { key: 'natsTlsCa', flag: 'nats-tls-ca', env: 'MILLRACE_NATS_TLS_CA', kind: 'string', value: 'FILE', help: 'PEM CA file: connect to NATS over TLS' },
  { key: 's3Endpoint', flag: 's3-endpoint', env: 'MILLRACE_S3_ENDPOINT', kind: 'string', value: 'URL', help: 'URL of an S3-compatible server to keep objects in (default: the embedded object store)' },
  { key: 's3AccessKeyId', flag: 's3-access-key-id', env: 'MILLRACE_S3_ACCESS_KEY_ID', kind: 'string', value: 'KEY', help: 'access key for --s3-endpoint (default: the AWS environment and profile chain)' },
  { key: 's3SecretAccessKey', flag: 's3-secret-access-key', env: 'MILLRACE_S3_SECRET_ACCESS_KEY', kind: 'string', value: 'SECRET', help: 'secret key for --s3-access-key-id' },
  { key: 's3Region', flag: 's3-region', env: 'MILLRACE_S3_REGION', kind: 'string', value: 'REGION', fallback: 'us-east-1', help: 'region to sign --s3-endpoint calls for' },
  { key: 's3VirtualHosted', flag: 's3-virtual-hosted', env: 'MILLRACE_S3_VIRTUAL_HOSTED', kind: 'boolean', fallback: false, help: 'address --s3-endpoint buckets as bucket.host, not host/bucket' },
  { key: 'flinkRest', flag: 'flink-rest', env: 'MILLRACE_FLINK_REST', kind: 'string', value: 'URL', help: "a Flink cluster's REST API (http://jobmanager:8081): run JAR (DataStream/Table API) analytics applications there" },
  { key: 'flinkSavepointDir', flag: 'flink-savepoint-dir', env: 'MILLRACE_FLINK_SAVEPOINT_DIR', kind: 'string', value: 'URI', help: "where --flink-rest jobs' savepoints go, per application under it (default: the cluster's state.savepoints.dir)" },
  { key: 'lambdaEndpoint', flag: 'lambda-endpoint', env: 'MILLRACE_LAMBDA_ENDPOINT', kind: 'string', value: 'URL', help: 'URL of a server speaking the Lambda Invoke API (sam local start-lambda, LocalStack, AWS)' },
  { key: 'functionsDir', flag: 'functions', env: 'MILLRACE_FUNCTIONS', kind: 'string', value: 'DIR', help: 'directory of DIR/<function name>.mjs handlers to run as Lambda functions' },
  { key: 'functionTimeoutMs', flag: 'function-timeout-ms', env: 'MILLRACE_FUNCTION_TIMEOUT_MS', kind: 'integer', value: 'MS', fallback: 3000, help: 'timeout of a --functions invocation (Lambda default 3 s)' },
  { key: 'functionConcurrency', flag: 'function-concurrency', env: 'MILLRACE_FUNCTION_CONCURRENCY', kind: 'integer', value: 'N', fallback: 4, help: '--functions invocations running at once' },
  { key: 'destinationCa', flag: 'destination-ca', env: 'MILLRACE_DESTINATION_CA', kind: 'string', value: 'FILE', help: 'PEM CA file trusted, besides the public roots, by Firehose https destinations (HTTP endpoint, OpenSearch, Splunk)' },
  { key: 'consoleToken', flag: 'console-token', env: 'MILLRACE_CONSOLE_TOKEN', kind: 'string', value: 'SECRET', help: 'secret the web console at /_millrace/ asks for; needed to serve it when --host is not a loopback address' },
  { key: 'noConsole', flag: 'no-console', env: 'MILLRACE_NO_CONSOLE', kind: 'boolean', fallback: false, help: 'serve no web console (and no console API)' },
  { key: 'consoleReadOnly', flag: 'console-read-only', env: 'MILLRACE_CONSOLE_READ_ONLY', kind: 'boolean', fallback: false, help: 'the web console shows everything and changes nothing (no put, reshard or other writes)' },
  { key: 'logLevel', flag: 'log-level', env: 'MILLRACE_LOG_LEVEL', kind: 'string', value: 'LEVEL', choices: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], fallback: 'info', help: 'fatal, error, warn, info, debug (a line per request), trace or silent' },
  { key: 'logFormat', flag: 'log-format', env: 'MILLRACE_LOG_FORMAT', kind: 'string', value: 'FORMAT', choices: ['pretty', 'json'], help: 'pretty or json (default: pretty when stderr is a terminal, JSON otherwise)' },
];

/** The flags that act on the command itself rather than configure the server. */
export const COMMAND_OPTIONS = [
  { flag: 'config', env: 'MILLRACE_CONFIG', value: 'FILE', help: 'read settings from a JSON or YAML file (flags, then variables, win over it)' },
  { flag: 'help', short: 'h', help: 'print this text and exit' },
  { flag: 'version', short: 'v', help: 'print the version and exit' },
] as const;

export class ConfigError extends Error {}

const STREAM_MODES = ['PROVISIONED', 'ON_DEMAND'] as const;

export const DEFAULT_CONFIG: Config = {
  ...(Object.fromEntries(SETTINGS.filter((s) => s.fallback !== undefined).map((s) => [s.key, s.fallback])) as unknown as Config),
  streams: [],
};

export type ParsedCommand = Config & { help: boolean; version: boolean; configFile?: string };

/** Where each setting came from, most important first: flags, then environment variables, then the config file, then defaults. */
export function parseConfig(argv: string[], env: NodeJS.ProcessEnv): ParsedCommand {
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }> = Object.fromEntries(
    SETTINGS.map((s) => [s.flag, { type: s.kind === 'boolean' ? 'boolean' : 'string', multiple: s.key === 'streams' }]),
  );
  options.config = { type: 'string' };
  options.help = { type: 'boolean', short: 'h' };
  options.version = { type: 'boolean', short: 'v' };
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, strict: true, allowPositionals: false });
  } catch (err) {
    throw new ConfigError(argumentError(err as Error & { code?: string }));
  }
  const flags = parsed.values as Record<string, unknown>;
  const configFile = (flags.config as string | undefined) ?? (env.MILLRACE_CONFIG || undefined);
  const file = configFile === undefined ? {} : readConfigFile(configFile);

  const config: Record<string, unknown> = { ...DEFAULT_CONFIG };
  for (const setting of SETTINGS) {
    if (flags[setting.flag] !== undefined) config[setting.key] = convert(setting, flags[setting.flag], `--${setting.flag}`);
    else if (env[setting.env] !== undefined && env[setting.env] !== '') config[setting.key] = convert(setting, env[setting.env], setting.env);
    else if (file[setting.key] !== undefined) config[setting.key] = convert(setting, file[setting.key], setting.key === 'streams' ? configFile! : `${configFile}: ${setting.flag}`);
  }
  if (config.memory) delete config.dataDir;
  if (!isRegionName(String(config.region))) throw new ConfigError(`--region must be an AWS region name such as us-east-1, got ${config.region}`);
  if (!/^\d{12}$/.test(String(config.account))) throw new ConfigError(`--account must be 12 digits, got ${config.account}`);
  if (Boolean(config.tlsCert) !== Boolean(config.tlsKey)) throw new ConfigError('--tls-cert and --tls-key go together');
  if (config.store !== undefined && !/^(nats|tls):\/\/[^,\s]+(,[^,\s]+)*$/.test(String(config.store))) {
    throw new ConfigError(`--store takes nats://HOST:PORT[,HOST:PORT...], got ${config.store}`);
  }
  if (config.flinkRest !== undefined && !/^https?:\/\/[^\s/]+(\/\S*)?$/.test(String(config.flinkRest))) {
    throw new ConfigError(`--flink-rest takes the http(s):// URL of a Flink JobManager's REST API, got ${config.flinkRest}`);
  }
  if (config.flinkSavepointDir !== undefined && config.flinkRest === undefined) throw new ConfigError('--flink-savepoint-dir needs --flink-rest');
  if (config.store !== undefined && (config.replicas as number) < 1) throw new ConfigError('--replicas must be at least 1');
  const names = (config.streams as StreamDeclaration[]).map((s) => s.name);
  const twice = names.find((name, i) => names.indexOf(name) !== i);
  if (twice !== undefined) throw new ConfigError(`stream ${twice} is declared twice`);
  return { ...(config as unknown as Config), help: Boolean(flags.help), version: Boolean(flags.version), configFile };
}

/** parseArgs's messages, in the words of this command. */
function argumentError(err: Error & { code?: string }): string {
  const option = /'(-[^']*)'/.exec(err.message)?.[1];
  switch (err.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option ${option ?? err.message}`;
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument ${/'([^']*)'/.exec(err.message)?.[1] ?? ''} (options start with --)`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return option && /argument missing/.test(err.message) ? `${option.split(' ')[0]} needs a value` : err.message;
    default:
      return err.message;
  }
}

/** A setting's value from a flag, a variable or the config file, checked against its kind. */
function convert(setting: Setting, raw: unknown, source: string): unknown {
  if (setting.key === 'streams') return streamDeclarations(raw, source);
  if (setting.kind === 'boolean') {
    if (typeof raw === 'boolean') return raw;
    if (/^(1|true|yes|on)$/i.test(String(raw))) return true;
    if (/^(0|false|no|off|)$/i.test(String(raw))) return false;
    throw new ConfigError(`${source} takes true or false, got ${raw}`);
  }
  if (setting.kind === 'integer') {
    const n = typeof raw === 'number' ? raw : /^\s*\d+\s*$/.test(String(raw)) ? Number(raw) : NaN;
    if (!Number.isSafeInteger(n) || n < 0) throw new ConfigError(`${source} takes a whole number ≥ 0, got ${raw}`);
    if (setting.max !== undefined && n > setting.max) throw new ConfigError(`${source} must be between 0 and ${setting.max}, got ${raw}`);
    return n;
  }
  if (typeof raw === 'object' && raw !== null) throw new ConfigError(`${source} takes a string, got ${JSON.stringify(raw)}`);
  const value = String(raw);
  if (setting.choices && !setting.choices.includes(value)) throw new ConfigError(`${source} must be one of ${setting.choices.join(', ')}, got ${value}`);
  return value;
}

/**
 * `NAME[:SHARDS]` from flags (one each) and the variable (comma list); from the file, a list of
 * those strings or of `{name, shards, mode, retentionHours, consumers}`, or a map from name to that.
 */
function streamDeclarations(raw: unknown, source: string): StreamDeclaration[] {
  const entries: unknown[] = Array.isArray(raw)
    ? raw
    : typeof raw === 'string'
      ? raw.split(',').map((s) => s.trim()).filter(Boolean)
      : typeof raw === 'object' && raw !== null
        ? Object.entries(raw).map(([name, spec]) => ({ ...(spec ?? {}), name }))
        : [raw];
  return entries.map((entry) => (typeof entry === 'string' ? streamFromText(entry, source) : streamFromObject(entry, source)));
}

function streamFromText(text: string, source: string): StreamDeclaration {
  const match = /^([^:]+)(?::(\d+))?$/.exec(text.trim());
  if (!match) throw new ConfigError(`${source} takes NAME[:SHARDS], got ${text}`);
  const shards = match[2] === undefined ? 1 : Number(match[2]);
  if (shards < 1) throw new ConfigError(`${source}: a stream needs at least 1 shard, got ${text}`);
  return { name: match[1], mode: 'PROVISIONED', shards, consumers: [] };
}

const STREAM_KEYS = ['name', 'shards', 'mode', 'retentionHours', 'consumers'];

function streamFromObject(entry: unknown, source: string): StreamDeclaration {
  if (typeof entry !== 'object' || entry === null) throw new ConfigError(`${source}: a stream is NAME[:SHARDS] or {name, shards, mode, retentionHours, consumers}, got ${JSON.stringify(entry)}`);
  const spec = entry as Record<string, unknown>;
  const unknown = Object.keys(spec).find((key) => !STREAM_KEYS.includes(key));
  if (unknown) throw new ConfigError(`${source}: unknown stream setting ${unknown} (streams take ${STREAM_KEYS.join(', ')})`);
  if (typeof spec.name !== 'string' || !spec.name) throw new ConfigError(`${source}: every stream needs a name`);
  const where = `${source}: stream ${spec.name}`;
  const mode = spec.mode ?? 'PROVISIONED';
  if (!STREAM_MODES.includes(mode as (typeof STREAM_MODES)[number])) throw new ConfigError(`${where}: mode must be PROVISIONED or ON_DEMAND, got ${mode}`);
  const whole = (value: unknown, what: string, min: number) => {
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) throw new ConfigError(`${where}: ${what} takes a whole number ≥ ${min}, got ${value}`);
    return value;
  };
  const shards = whole(spec.shards, 'shards', 1);
  if (mode === 'ON_DEMAND' && shards !== undefined) throw new ConfigError(`${where}: an ON_DEMAND stream takes no shards`);
  const consumers = spec.consumers ?? [];
  if (!Array.isArray(consumers) || consumers.some((c) => typeof c !== 'string')) throw new ConfigError(`${where}: consumers takes a list of names`);
  return {
    name: spec.name,
    mode: mode as StreamDeclaration['mode'],
    shards: mode === 'PROVISIONED' ? (shards ?? 1) : undefined,
    retentionHours: whole(spec.retentionHours, 'retentionHours', 1),
    consumers: consumers as string[],
  };
}

/** A config file's settings by config key; its keys may be config keys (`dataDir`) or flag names (`data`). */
function readConfigFile(path: string): Partial<Record<keyof Config, unknown>> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read the config file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let document: unknown;
  try {
    document = extname(path).toLowerCase() === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new ConfigError(`${path} is not valid ${extname(path).toLowerCase() === '.json' ? 'JSON' : 'YAML'}: ${(err as Error).message.split('\n')[0]}`);
  }
  if (document === null || document === undefined) return {};
  if (typeof document !== 'object' || Array.isArray(document)) throw new ConfigError(`${path} must hold a mapping of settings`);
  const settings: Partial<Record<keyof Config, unknown>> = {};
  for (const [key, value] of Object.entries(document)) {
    const setting = SETTINGS.find((s) => s.key === key || s.flag === key || (s.key === 'streams' && key === 'streams'));
    if (!setting) throw new ConfigError(`${path}: unknown setting ${key} (see millrace --help)`);
    settings[setting.key] = value;
  }
  return settings;
}

/** `--help`: every option with its variable, in aligned columns. */
export function helpText(): string {
  const rows: Array<[string, string, string]> = SETTINGS.map((s) => {
    const flag = `--${s.flag}${s.kind === 'boolean' ? '' : ` ${s.value ?? 'VALUE'}`}`;
    const fallback = s.fallback !== undefined && s.kind !== 'boolean' ? ` (default ${s.fallback})` : '';
    return [flag, s.env, `${s.help}${fallback}`];
  });
  for (const option of COMMAND_OPTIONS) {
    const flag = 'short' in option ? `-${option.short}, --${option.flag}` : `--${option.flag} ${option.value}`;
    rows.push([flag, 'env' in option ? option.env : '', option.help]);
  }
  const flagWidth = Math.max(...rows.map(([flag]) => flag.length));
  const envWidth = Math.max(...rows.map(([, env]) => env.length));
  const lines = rows.map(([flag, env, help]) => `  ${flag.padEnd(flagWidth)}  ${env.padEnd(envWidth)}  ${help}`.trimEnd());
  return [
    'Usage: millrace [options]',
    '',
    'The Amazon Kinesis family on one endpoint: Kinesis Data Streams for the AWS SDKs, CLI and boto3.',
    'Settings come from flags, then MILLRACE_* variables, then --config FILE, then the defaults.',
    '',
    `  ${'option'.padEnd(flagWidth)}  ${'variable'.padEnd(envWidth)}  meaning`,
    ...lines,
    '',
  ].join('\n');
}

/** The README's options table: the same rows as `--help`. */
export function optionsTable(): string {
  const cell = (text: string) => text.replace(/\|/g, '\\|');
  const rows = SETTINGS.map((s) => {
    const flag = `\`--${s.flag}${s.kind === 'boolean' ? '' : ` ${s.value ?? 'VALUE'}`}\``;
    const fallback = s.fallback === undefined ? '–' : s.kind === 'boolean' ? (s.fallback ? 'on' : 'off') : `\`${s.fallback}\``;
    return `| ${cell(flag)} | \`${s.env}\` | ${fallback} | ${cell(s.help)} |`;
  });
  for (const option of COMMAND_OPTIONS) {
    const flag = 'short' in option ? `\`-${option.short}\`, \`--${option.flag}\`` : `\`--${option.flag} ${option.value}\``;
    rows.push(`| ${flag} | ${'env' in option ? `\`${option.env}\`` : '–'} | – | ${cell(option.help)} |`);
  }
  return ['| flag | variable | default | meaning |', '|---|---|---|---|', ...rows].join('\n');
}
