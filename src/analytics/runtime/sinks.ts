import type { Logger } from 'pino';
import type { Firehose } from '../../firehose/context.js';
import { countIncoming } from '../../firehose/delivery/metrics.js';
import { ingestLogName } from '../../firehose/domain/delivery-stream.js';
import { MAX_BATCH_BYTES } from '../../firehose/ingest.js';
import type { Kinesis } from '../../kinesis/context.js';
import { parseStreamArn } from '../../kinesis/domain/arn.js';
import { appendRecords, isWritable, type PutEntry } from '../../kinesis/domain/records.js';
import { checkedHashKey } from '../../kinesis/put-validation.js';
import type { ObjectStore } from '../../objects/object-store.js';
import type { SinkRecord, SinkTable, TableEndpoint } from '../sql/index.js';
import { parseObjectPath } from './filesystem-path.js';
import { FilesystemSinkWriter } from './filesystem-sink.js';
import { JobError } from './job-error.js';

/**
 * Where a job's sink tables write (ANALYTICS-SPEC §5.3): `kinesis` through the Streams domain's append
 * (as PutRecords does), `firehose` into the delivery stream's ingest log (as PutRecordBatch does),
 * `print` into the server's log (Flink's TaskManager stdout, which AWS sends to CloudWatch Logs),
 * `blackhole` nowhere, `filesystem` part files on the object store (filesystem-sink.ts). A sink's
 * records are buffered while the job works on a batch and written, durably, before the job
 * checkpoints: nothing the checkpoint counts as consumed is lost. A transactional sink (filesystem)
 * also stages its writes for the checkpoint and makes them visible once it has committed.
 */

/** PutRecordBatch's limit (FIREHOSE-SPEC §5): records per call. */
export const FIREHOSE_SINK_BATCH_RECORDS = 500;

export interface SinkWriter {
  add(records: SinkRecord[]): void;
  /** Writes what was added, durably. */
  flush(): Promise<void>;
  /** Transactional sinks: stages what was added for the checkpoint being taken; the state goes into it. */
  preCommit?(): Promise<unknown>;
  /** The checkpoint committed: what preCommit staged becomes visible. */
  commit?(): Promise<void>;
  /** The checkpoint did not commit: what preCommit staged is discarded. */
  abort?(): Promise<void>;
  /** Before the job runs: resume from the state a checkpoint kept (none on a fresh start). */
  restore?(state: unknown): Promise<void>;
  /** The job stopped running here: drop what was staged since the last checkpoint and is in none. */
  discard?(): Promise<void>;
}

const toBuffer = (data: Uint8Array) => (Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength));

class KinesisSinkWriter implements SinkWriter {
  private pending: PutEntry[] = [];
  constructor(
    private readonly kinesis: Kinesis,
    private readonly table: string,
    private readonly endpoint: Extract<TableEndpoint, { connector: 'kinesis' }>,
    private readonly scope: { account: string; region: string },
  ) {}

  add(records: SinkRecord[]): void {
    for (const r of records) {
      const partitionKey = r.partitionKey ?? '0';
      this.pending.push({ data: toBuffer(r.data), partitionKey, hashKey: checkedHashKey(partitionKey, undefined) });
    }
  }

  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const entries = this.pending;
    this.pending = [];
    const at = this.endpoint.streamArn ? parseStreamArn(this.endpoint.streamArn) : undefined;
    const where = at ? { account: at.account, region: at.region } : this.scope;
    const stream = await this.kinesis.streams.find(where, this.endpoint.streamName);
    if (!stream || !isWritable(stream)) {
      throw new JobError(
        'org.apache.flink.connector.kinesis.sink.KinesisStreamsException',
        `Encountered non-recoverable exception: Stream ${this.endpoint.streamName} under account ${where.account} not found. (sink table ${this.table})`,
      );
    }
    // In-process there is no request to size: one append, so that every shard's share is one commit
    // (Flink's sink has up to `sink.requests.max-inflight` batches in flight; its order across them is not kept either).
    await appendRecords(this.kinesis, stream, entries);
  }
}

class FirehoseSinkWriter implements SinkWriter {
  private pending: Buffer[] = [];
  constructor(
    private readonly firehose: Firehose | undefined,
    private readonly table: string,
    private readonly deliveryStream: string,
    private readonly scope: { account: string; region: string },
  ) {}

  add(records: SinkRecord[]): void {
    for (const r of records) this.pending.push(toBuffer(r.data));
  }

  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const payloads = this.pending;
    this.pending = [];
    const stream = this.firehose ? await this.firehose.streams.find(this.scope, this.deliveryStream) : undefined;
    if (!stream || stream.type === 'KinesisStreamAsSource' || (stream.status !== 'ACTIVE' && stream.status !== 'DELETING')) {
      const why = !stream ? `Firehose ${this.deliveryStream} under account ${this.scope.account} not found.` : stream.type === 'KinesisStreamAsSource' ? `Firehose ${this.deliveryStream} reads a Kinesis stream and takes no direct puts.` : `Firehose ${this.deliveryStream} is not ACTIVE.`;
      throw new JobError('org.apache.flink.connector.firehose.sink.KinesisFirehoseException', `Encountered non-recoverable exception: ${why} (sink table ${this.table})`);
    }
    const log = ingestLogName(stream);
    const appends: Promise<unknown>[] = [];
    let start = 0;
    while (start < payloads.length) {
      let end = start;
      let bytes = 0;
      while (end < payloads.length && end - start < FIREHOSE_SINK_BATCH_RECORDS && (end === start || bytes + payloads[end].length <= MAX_BATCH_BYTES)) bytes += payloads[end++].length;
      const count = end - start;
      // All batches start in the same tick: they share the store's commits, and keep their order in the log.
      appends.push(this.firehose!.store.records.append(log, payloads.slice(start, end).map((data) => ({ partitionKey: '', data }))).then(() => countIncoming(stream.arn, count, bytes)));
      start = end;
    }
    await Promise.all(appends);
  }
}

class PrintSinkWriter implements SinkWriter {
  private readonly decoder = new TextDecoder();
  constructor(
    private readonly log: Logger,
    private readonly application: string,
    private readonly table: string,
  ) {}
  add(records: SinkRecord[]): void {
    for (const r of records) this.log.info({ application: this.application, sink: this.table }, this.decoder.decode(r.data));
  }
  async flush(): Promise<void> {}
}

const nothing: SinkWriter = { add() {}, async flush() {} };

export interface SinkDeps {
  kinesis?: Kinesis;
  firehose?: Firehose;
  objects?: ObjectStore;
  log: Logger;
}

/** The writer of one sink table, by its connector. */
export function sinkWriter(sink: SinkTable, endpoint: TableEndpoint, deps: SinkDeps, scope: { account: string; region: string; application: string; runId: string }): SinkWriter {
  switch (endpoint.connector) {
    case 'kinesis':
      if (!deps.kinesis) throw new JobError('org.apache.flink.table.api.ValidationException', `Sink table ${sink.name} writes a Kinesis stream, and this server serves no Kinesis Data Streams.`);
      return new KinesisSinkWriter(deps.kinesis, sink.name, endpoint, scope);
    case 'firehose':
      return new FirehoseSinkWriter(deps.firehose, sink.name, endpoint.deliveryStream, scope);
    case 'print':
      return new PrintSinkWriter(deps.log, scope.application, sink.name);
    case 'blackhole':
      return nothing;
    case 'filesystem': {
      const path = parseObjectPath(endpoint.path, sink.name);
      if (!deps.objects) throw new JobError('org.apache.flink.table.api.ValidationException', `Sink table ${sink.name} writes files, and this server keeps no objects.`);
      return new FilesystemSinkWriter(deps.objects, sink, path, scope.runId);
    }
    default:
      throw new JobError('org.apache.flink.table.api.TableException', `Sink table ${sink.name} uses the '${endpoint.connector}' connector, which Millrace's job runner does not write to.`);
  }
}
