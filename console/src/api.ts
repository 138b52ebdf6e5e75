/** The console's JSON API (`/_millrace/api/v1/`), with the view's account and region. */
import { scopeParams } from './route.js';

export const API = 'api/v1/';

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export function apiUrl(path: string, params: Record<string, string | number | undefined> = {}): string {
  const query = scopeParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== '') query.set(key, String(value));
  const text = query.toString();
  return `${API}${path}${text ? `?${text}` : ''}`;
}

async function answer<T>(response: Response): Promise<T> {
  const text = await response.text();
  let body: any;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    throw new ApiFailure(response.status, 'BadAnswer', `the server answered ${response.status} with something that is not JSON`);
  }
  if (!response.ok) throw new ApiFailure(response.status, body?.error ?? 'Error', body?.message ?? `HTTP ${response.status}`);
  return body as T;
}

/** Answers boot.ts asked for while the modules loaded, by URL; each is taken once. */
const early: Record<string, Promise<Response>> = (window as unknown as { millraceEarly?: Record<string, Promise<Response>> }).millraceEarly ?? {};

export async function get<T>(path: string, params: Record<string, string | number | undefined> = {}): Promise<T> {
  const url = apiUrl(path, params);
  const started = early[url];
  delete early[url];
  return answer<T>(await (started ?? fetch(url, { headers: { Accept: 'application/json' } })));
}

export async function post<T>(path: string, body: unknown): Promise<T> {
  return answer<T>(
    await fetch(apiUrl(path), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Millrace-Console': '1' },
      body: JSON.stringify(body),
    }),
  );
}

// The API's shapes, as the pages use them. Sequence numbers and hash keys are strings, always.
export interface ServerInfo {
  version: string;
  endpoint: string;
  store: string;
  account: string;
  region: string;
  services: string[];
  readOnly: boolean;
  tokenRequired: boolean;
  enforceLimits: boolean;
  startedAt: number;
  uptimeMs: number;
  node: string;
  pid: number;
  memory: { rss: number; heapUsed: number; external: number };
  settings: Array<{ flag: string; env: string; value?: unknown; default?: unknown; help: string }>;
}

export interface StreamRow {
  name: string;
  arn: string;
  status: string;
  mode: string;
  openShards: number;
  retentionHours: number;
  encryption: string;
  consumers: number;
  tags: Record<string, string>;
  createdAt: number;
  records: number;
  incomingRecordsPerSecond?: number;
}

export interface Shard {
  shardId: string;
  parentShardId?: string;
  adjacentParentShardId?: string;
  startingHashKey: string;
  endingHashKey: string;
  startingSequenceNumber: string;
  endingSequenceNumber?: string;
  open: boolean;
  createdAt: number;
  closedAt?: number;
  records?: number;
}

export interface StreamDetail {
  name: string;
  arn: string;
  id: string;
  status: string;
  mode: string;
  createdAt: number;
  retentionHours: number;
  encryption: { type: string; keyId?: string };
  shardLevelMetrics: string[];
  maxRecordSizeKiB: number;
  warmThroughputMiBps?: number;
  tags: Record<string, string>;
  policy?: string;
  pending?: string;
  shards: Shard[];
  consumers: Array<{ ConsumerName: string; ConsumerARN: string; ConsumerStatus: string; ConsumerCreationTimestamp: number; subscriptions: Array<{ shardId: string; since: number }> }>;
}

export interface KinesisRecord {
  shardId: string;
  sequenceNumber: string;
  arrival: number;
  partitionKey: string;
  data: string;
  size: number;
  encrypted?: boolean;
  truncated?: boolean;
  kpl?: Array<{ subSequenceNumber: number; partitionKey: string; explicitHashKey?: string; data: string }>;
}

export interface RecordPage {
  stream: string;
  order: string;
  records: KinesisRecord[];
  cursor?: string;
}
