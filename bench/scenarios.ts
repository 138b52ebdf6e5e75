import { randomBytes } from 'node:crypto';
import { drive, percentile, type LoadResult } from './load.js';
import { once, prepare, WireClient, type Prepared } from './wire.js';

/** How long and how much each scenario may run (BENCH_SECONDS). */
export interface Budget {
  seconds: number;
}

/** One number of one scenario for one server. */
export interface Metric {
  label: string;
  value: number;
  unit: string;
  /** Which direction is better, for the ratio column. */
  better: 'higher' | 'lower';
  /** Issue 3's target, as text. */
  goal?: string;
  note?: string;
}

const ACTIVE_POLL_MS = 20;
/** Setup requests (prefill) have their own generous time limit. */
const SETUP_SECONDS = 600;

// ---- setup helpers -------------------------------------------------------------------------

export async function createStream(client: WireClient, name: string, shards: number): Promise<string[]> {
  await once(client, 'CreateStream', { StreamName: name, ShardCount: shards });
  for (;;) {
    const summary = await once<{ StreamDescriptionSummary: { StreamStatus: string } }>(client, 'DescribeStreamSummary', { StreamName: name });
    if (summary.StreamDescriptionSummary.StreamStatus === 'ACTIVE') break;
    await new Promise((resolve) => setTimeout(resolve, ACTIVE_POLL_MS));
  }
  const described = await once<{ StreamDescription: { Shards: { ShardId: string }[] } }>(client, 'DescribeStream', { StreamName: name });
  return described.StreamDescription.Shards.map((shard) => shard.ShardId);
}

function failOnErrors(what: string, result: LoadResult): void {
  if (result.errors > 0) throw new Error(`${what}: ${result.errors} failed requests, first: ${result.firstError}`);
}

/** Distinct partition keys spread records over all shards (MD5 routing, KINESIS-SPEC §4.1). */
function partitionKey(i: number): string {
  return `pk-${i}-${randomBytes(4).toString('hex')}`;
}

function putRecordsBodies(stream: string, variants: number, perCall: number, dataBytes: number): Prepared[] {
  return Array.from({ length: variants }, () =>
    prepare('PutRecords', {
      StreamName: stream,
      Records: Array.from({ length: perCall }, (_, i) => ({ Data: randomBytes(dataBytes).toString('base64'), PartitionKey: partitionKey(i) })),
    }),
  );
}

const FAILED_COUNT = /"FailedRecordCount":(\d+)/;

/** Sends one pre-encoded PutRecords; counts the accepted records without parsing the whole answer. */
async function putRecords(client: WireClient, request: Prepared, perCall: number, dataBytes: number) {
  const reply = await client.send(request);
  const text = reply.body.toString('latin1');
  const failed = reply.status === 200 ? FAILED_COUNT.exec(text) : null;
  if (!failed) throw new Error(`PutRecords: HTTP ${reply.status} ${text.slice(0, 300)}`);
  const accepted = perCall - Number(failed[1]);
  return { units: accepted, bytes: accepted * dataBytes };
}

function occurrences(haystack: Buffer, needle: Buffer): number {
  let count = 0;
  for (let at = haystack.indexOf(needle); at !== -1; at = haystack.indexOf(needle, at + needle.length)) count++;
  return count;
}

const SEQUENCE_FIELD = Buffer.from('"SequenceNumber"');
const NEXT_ITERATOR = /"NextShardIterator":"([^"]+)"/;

/**
 * A consumer that reads a shard from TRIM_HORIZON to its end, over and over. Records are counted
 * in the raw answer (the client must not be the bottleneck of a 1M records/s measurement); payload
 * bytes are known because every record in the shard has the same size.
 */
class ShardReader {
  private iterator?: string;
  private seen = 0;

  constructor(
    private readonly client: WireClient,
    private readonly stream: string,
    private readonly shardId: string,
    private readonly total: number,
    private readonly limit: number,
    private readonly dataBytes: number,
  ) {}

  async step() {
    if (!this.iterator || this.seen >= this.total) {
      const got = await once<{ ShardIterator: string }>(this.client, 'GetShardIterator', {
        StreamName: this.stream,
        ShardId: this.shardId,
        ShardIteratorType: 'TRIM_HORIZON',
      });
      this.iterator = got.ShardIterator;
      this.seen = 0;
    }
    const reply = await this.client.send(prepare('GetRecords', { ShardIterator: this.iterator, Limit: this.limit }));
    if (reply.status !== 200) throw new Error(`GetRecords: HTTP ${reply.status} ${reply.body.toString().slice(0, 300)}`);
    const records = occurrences(reply.body, SEQUENCE_FIELD);
    // The tail of the answer holds NextShardIterator and MillisBehindLatest in either server's order.
    const tail = reply.body.subarray(Math.max(0, reply.body.length - 4096)).toString('latin1');
    const next = NEXT_ITERATOR.exec(tail) ?? NEXT_ITERATOR.exec(reply.body.toString('latin1'));
    this.seen += records;
    this.iterator = records === 0 ? undefined : next?.[1];
    return { units: records, bytes: records * this.dataBytes };
  }
}

// ---- scenarios -----------------------------------------------------------------------------

/** A fresh stream name per run of a scenario, so that bench/ab.ts can run one many times on a server. */
let runs = 0;
const streamName = (scenario: string) => `bench-${scenario}${runs++ ? `-${runs}` : ''}`;

const PUT_RECORDS = { perCall: 500, dataBytes: 100, producers: 8, shards: 4, variants: 32 };

export async function putRecordsScenario(endpoint: string, budget: Budget): Promise<Metric[]> {
  const { perCall, dataBytes, producers, shards, variants } = PUT_RECORDS;
  const client = new WireClient(endpoint, producers);
  try {
    const stream = streamName('putrecords');
    await createStream(client, stream, shards);
    const bodies = putRecordsBodies(stream, variants, perCall, dataBytes);
    let next = 0;
    const result = await drive({ concurrency: producers, seconds: budget.seconds, maxRequests: 1e7 }, () =>
      putRecords(client, bodies[next++ % variants]!, perCall, dataBytes),
    );
    failOnErrors('PutRecords', result);
    return [
      { label: 'PutRecords 500 × 100 B, 8 producers, 4 shards', value: result.units / result.seconds, unit: 'records/s', better: 'higher', goal: '≥ 250,000 records/s and ≥ 15× kinesalite' },
      { label: '  PutRecords call latency p99', value: percentile(result.latencies, 99), unit: 'ms', better: 'lower' },
    ];
  } finally {
    client.close();
  }
}

const PUT_RECORD = { dataBytes: 100, producers: 32, shards: 4, variants: 256 };

export const putRecordScenario = (endpoint: string, budget: Budget) => putRecordLoad(endpoint, budget, true);

/**
 * The same load against bench/floor.ts, which has no streams to create. Labelled as PutRecord's, so
 * that its numbers sit beside Millrace's in a run's table.
 */
export const floorPutRecordScenario = (endpoint: string, budget: Budget) => putRecordLoad(endpoint, budget, false);

async function putRecordLoad(endpoint: string, budget: Budget, createsStream: boolean): Promise<Metric[]> {
  const { dataBytes, producers, shards, variants } = PUT_RECORD;
  const client = new WireClient(endpoint, producers);
  try {
    const stream = streamName('putrecord');
    if (createsStream) await createStream(client, stream, shards);
    const bodies = Array.from({ length: variants }, (_, i) =>
      prepare('PutRecord', { StreamName: stream, Data: randomBytes(dataBytes).toString('base64'), PartitionKey: partitionKey(i) }),
    );
    let next = 0;
    const result = await drive({ concurrency: producers, seconds: budget.seconds, maxRequests: 1e7 }, async () => {
      const reply = await client.send(bodies[next++ % variants]!);
      if (reply.status !== 200) throw new Error(`PutRecord: HTTP ${reply.status} ${reply.body.toString().slice(0, 300)}`);
      return { units: 1, bytes: dataBytes };
    });
    failOnErrors('PutRecord', result);
    return [
      { label: 'PutRecord 100 B, 32 producers', value: result.requests / result.seconds, unit: 'req/s', better: 'higher', goal: '≥ 25,000 req/s' },
      { label: '  PutRecord latency p50', value: percentile(result.latencies, 50), unit: 'ms', better: 'lower' },
      { label: '  PutRecord latency p99', value: percentile(result.latencies, 99), unit: 'ms', better: 'lower', goal: '≤ 5 ms' },
    ];
  } finally {
    client.close();
  }
}

const GET_RECORDS = { limit: 10_000, dataBytes: 100, prefill: 100_000, consumers: 4 };

export async function getRecordsScenario(endpoint: string, budget: Budget): Promise<Metric[]> {
  const { limit, dataBytes, prefill, consumers } = GET_RECORDS;
  const client = new WireClient(endpoint, consumers + PUT_RECORDS.producers);
  try {
    const stream = streamName('getrecords');
    const [shardId] = await createStream(client, stream, 1);
    const bodies = putRecordsBodies(stream, 8, PUT_RECORDS.perCall, dataBytes);
    let next = 0;
    const filled = await drive({ concurrency: PUT_RECORDS.producers, seconds: SETUP_SECONDS, maxRequests: prefill / PUT_RECORDS.perCall }, () =>
      putRecords(client, bodies[next++ % bodies.length]!, PUT_RECORDS.perCall, dataBytes),
    );
    failOnErrors('GetRecords prefill', filled);
    const readers = Array.from({ length: consumers }, () => new ShardReader(client, stream, shardId!, filled.units, limit, dataBytes));
    const result = await drive({ concurrency: consumers, seconds: budget.seconds, maxRequests: 1e7 }, (i) => readers[i]!.step());
    failOnErrors('GetRecords', result);
    return [
      {
        label: 'GetRecords 10,000 × 100 B per call, 4 consumers, 1 shard',
        value: result.units / result.seconds,
        unit: 'records/s',
        better: 'higher',
        goal: '≥ 1,000,000 records/s',
      },
    ];
  } finally {
    client.close();
  }
}

/** Largest data that fits the 1 MiB limit on data + partition key (KINESIS-SPEC §4.2), less 1 KiB. */
const LARGE = { dataBytes: 1024 * 1024 - 1024, producers: 4, consumers: 4, shards: 4, maxPuts: 2000 };

export async function largeRecordsScenario(endpoint: string, budget: Budget): Promise<Metric[]> {
  const { dataBytes, producers, consumers, shards, maxPuts } = LARGE;
  const client = new WireClient(endpoint, Math.max(producers, consumers));
  try {
    const stream = 'bench-large';
    const shardIds = await createStream(client, stream, shards);
    const bodies = Array.from({ length: 8 }, (_, i) =>
      prepare('PutRecord', { StreamName: stream, Data: randomBytes(dataBytes).toString('base64'), PartitionKey: partitionKey(i) }),
    );
    const perShard = new Map<string, number>();
    let next = 0;
    const written = await drive({ concurrency: producers, seconds: budget.seconds, maxRequests: maxPuts }, async () => {
      const reply = await client.send(bodies[next++ % bodies.length]!);
      const shard = reply.status === 200 ? /"ShardId":"([^"]+)"/.exec(reply.body.toString('latin1')) : null;
      if (!shard) throw new Error(`PutRecord 1 MiB: HTTP ${reply.status} ${reply.body.toString().slice(0, 300)}`);
      perShard.set(shard[1]!, (perShard.get(shard[1]!) ?? 0) + 1);
      return { units: 1, bytes: dataBytes };
    });
    failOnErrors('PutRecord 1 MiB', written);
    const readers = Array.from({ length: consumers }, (_, i) => {
      const shardId = shardIds[i % shardIds.length]!;
      return new ShardReader(client, stream, shardId, perShard.get(shardId) ?? 0, 10_000, dataBytes);
    });
    const read = await drive({ concurrency: consumers, seconds: budget.seconds, maxRequests: 1e7 }, (i) => readers[i]!.step());
    failOnErrors('GetRecords 1 MiB', read);
    return [
      { label: '1 MiB records in (PutRecord, 4 producers)', value: written.bytes / 1e6 / written.seconds, unit: 'MB/s', better: 'higher', goal: '≥ 300 MB/s' },
      { label: '1 MiB records out (GetRecords, 4 consumers)', value: read.bytes / 1e6 / read.seconds, unit: 'MB/s', better: 'higher', goal: '≥ 300 MB/s' },
    ];
  } finally {
    client.close();
  }
}

/** 500 × 10,000 B = 5,000,000 B of data per call: under PutRecords' 5 MiB request limit. */
const RETAIN = { perCall: 500, dataBytes: 10_000, producers: 4, shards: 4 };

/** Writes `gigabytes` (10^9 B) of record data; the caller measures the server's RSS afterwards. */
export async function retain(endpoint: string, gigabytes: number): Promise<{ bytes: number; seconds: number }> {
  const { perCall, dataBytes, producers, shards } = RETAIN;
  const client = new WireClient(endpoint, producers);
  try {
    const stream = 'bench-retain';
    await createStream(client, stream, shards);
    const bodies = putRecordsBodies(stream, 4, perCall, dataBytes);
    let next = 0;
    const calls = Math.ceil((gigabytes * 1e9) / (perCall * dataBytes));
    const result = await drive({ concurrency: producers, seconds: SETUP_SECONDS * 3, maxRequests: calls }, () =>
      putRecords(client, bodies[next++ % bodies.length]!, perCall, dataBytes),
    );
    failOnErrors('retain', result);
    return { bytes: result.bytes, seconds: result.seconds };
  } finally {
    client.close();
  }
}
