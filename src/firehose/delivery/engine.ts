/**
 * The delivery engine (FIREHOSE-PLAN "data path"): one work lease per delivery stream; the node
 * holding it reads the stream's ingest log from the checkpointed index, runs the records through
 * processing, buffers them (per partition with dynamic partitioning) and writes the objects or
 * requests of the destination, the error output and the S3 backup. Only once all of that is
 * durable does the checkpoint move (through the lease, so a node that lost it cannot write it)
 * and the log get trimmed: at-least-once, like AWS (§14). The buffers hold at most what the hints
 * allow; a backlog stays in the log.
 */
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import type { Config } from '../../config.js';
import type { FunctionInvoker } from '../../functions/invoker.js';
import type { Kinesis } from '../../kinesis/context.js';
import type { Lease, LeasedWork, Leases } from '../../leases/leases.js';
import type { ObjectStore } from '../../objects/object-store.js';
import type { StoredRecord, Store } from '../../store/store.js';
import {
  ALL_DELIVERY_STREAMS_PREFIX,
  deliveryLeaseName,
  deliveryStreamKey,
  ingestLogName,
  progressKey,
  type DeliveryStreamDocument,
} from '../domain/delivery-stream.js';
import { createProcessor, type FailedRecord, type IngestRecord, type Processor, type ProcessedRecord } from '../processing/pipeline.js';
import { LambdaInputBuffer } from '../processing/lambda-transform.js';
import { runKinesisSource, sourceMetadataOf } from '../source/kinesis-source.js';
import { BufferSet, MIB, bufferingHintsOf, type BufferedRecord, type RecordBuffer } from './buffers.js';
import type { CompressionFormat } from './compression.js';
import {
  conversionFailureDocument,
  destinationFailureDocument,
  errorObjectChunks,
  partitionExceededDocument,
  processingFailureDocument,
  type ErrorType,
} from './error-output.js';
import { convertWithCatalog, isFormatConversionEnabled, type GlueCatalog } from './format-conversion.js';
import { closeDestinationAgents } from './destination-http.js';
import { deliverToHttpEndpoint } from './http-endpoint.js';
import { deliverToOpenSearch, type OpenSearchKind } from './opensearch.js';
import { evaluateErrorPrefix, evaluatePrefix, PrefixEvaluationError, type ErrorOutputType } from './prefixes.js';
import type { DeliveryAttemptContext, DestinationOutcome } from './retry.js';
import { DeliveryExpiredError, s3TargetOf, sleepFor, writeDeliveryObject, type S3Target, type S3WriteContext } from './s3-destination.js';
import { deliverToSplunk } from './splunk.js';
import { countAttempt, forgetMetrics, metricsFor, peekMetrics, type DeliveryCounter, type DeliveryMetrics } from './metrics.js';

/** How often every node looks for delivery streams created or deleted elsewhere. */
export const DELIVERY_SCAN_INTERVAL_MS = 1_000;
/** How often a delivering node re-reads its stream's document (UpdateDestination, DELETING). */
export const DOCUMENT_REFRESH_MS = 1_000;
/** A waiting worker looks at the clock at least this often (a test clock may have moved). */
export const MAX_IDLE_WAIT_MS = 1_000;
/** One read of the ingest log. */
export const READ_MAX_RECORDS = 10_000;
export const READ_MAX_BYTES = 8 * MIB;
/** §10.5: active partitions per stream (AWS's default quota), then `activePartitionExceeded`. */
export const MAX_ACTIVE_PARTITIONS = 500;
/**
 * Error output objects use the destination's compression (UNVERIFIED: AWS's documents do not
 * say; objects seen in users' buckets under processing-failed/ carry the stream's extension).
 */
export const ERROR_OUTPUT_COMPRESSED = true;
/**
 * Error documents are buffered per error output type with the BufferingHints of the S3
 * configuration that receives them (ExtendedS3: the destination's own; HTTP endpoint, OpenSearch,
 * Splunk: their S3 configuration, whose hints exist for failed and backed-up data, §14), and
 * written when those fall due, as data objects are (§7). UNVERIFIED beyond the hints' meaning.
 */
export const ERROR_OUTPUT_BUFFERED = true;
/** Lease names of delivery streams (deliveryLeaseName's prefix). */
const LEASE_PREFIX = 'firehose/delivery/';

export interface DeliveryEngineDeps {
  store: Store;
  objects: ObjectStore;
  functions: FunctionInvoker;
  leases: Leases;
  log: Logger;
  kinesis: Kinesis;
  glue?: GlueCatalog;
  config: Config;
  /** The clock buffering intervals are measured by (tests move it instead of sleeping). */
  now?: () => number;
  /** How retries wait (tests make it instant). */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

export interface DeliveryEngine {
  stop(): Promise<void>;
  metrics(streamArn: string): DeliveryMetrics | undefined;
  /** Delivers everything in the stream's log and buffers now, whatever the hints (tests). */
  flush(account: string, region: string, name: string): Promise<void>;
  /** Looks at the clock again at once (after a test moved it) and for new streams. */
  wake(): void;
  /** Looks for new or deleted streams now (the node that created one calls it). */
  rescan(): Promise<void>;
}

export function startDelivery(deps: DeliveryEngineDeps): DeliveryEngine {
  const stopping = new AbortController();
  const workers = new Map<string, StreamWorker>();
  const ca = deps.config.destinationCa ? readFileSync(deps.config.destinationCa) : undefined;
  let scanning: Promise<void> = Promise.resolve();
  let stopped = false;

  // One scan at a time and at most one waiting: over NATS a listing can take longer than the
  // interval, and queued scans would pile up (and hold up stop()) behind it.
  let scanQueued = false;
  const scan = (): Promise<void> => {
    if (scanQueued) return scanning;
    scanQueued = true;
    return (scanning = scanning.then(async () => {
      scanQueued = false;
      if (stopped) return;
      try {
        const docs = await deps.store.meta.list<DeliveryStreamDocument>(ALL_DELIVERY_STREAMS_PREFIX);
        const keys = new Map<string, string>();
        for (const { key, value } of docs) keys.set(deliveryLeaseName(value), key);
        if (stopped) return;
        await deps.leases.reconcile(LEASE_PREFIX, keys.keys(), (leaseName): LeasedWork => (lease) => runWorker(keys.get(leaseName)!, lease));
      } catch (err) {
        deps.log.warn({ err }, 'Firehose delivery: scanning the delivery streams failed');
      }
    }));
  };

  const runWorker = async (documentKey: string, lease: Lease): Promise<void> => {
    if (stopped) return;
    const signal = AbortSignal.any([lease.signal, stopping.signal]);
    const worker = new StreamWorker(documentKey, lease, signal, deps, ca);
    workers.set(documentKey, worker);
    try {
      await worker.run();
    } catch (err) {
      if (!signal.aborted) deps.log.warn({ err, stream: documentKey }, 'Firehose delivery stopped on an error; it starts again');
    } finally {
      if (workers.get(documentKey) === worker) workers.delete(documentKey);
      await worker.close();
    }
  };

  void scan();
  const timer = setInterval(() => void scan(), DELIVERY_SCAN_INTERVAL_MS);
  timer.unref();

  return {
    async stop() {
      if (stopped) return;
      clearInterval(timer);
      stopped = true; // before waiting: a scan still queued then returns at once
      stopping.abort(new Error('delivery stopped'));
      await scanning;
      // Unregistering waits for every worker to end; what they buffered is still in the log.
      await deps.leases.reconcile(LEASE_PREFIX, [], () => async () => undefined);
      // Idle keep-alive sockets to destinations would hold the process open after a stop.
      closeDestinationAgents();
    },
    metrics: (streamArn) => peekMetrics(streamArn),
    async flush(account, region, name) {
      const key = deliveryStreamKey(account, region, name);
      // The lease may not be taken yet right after the stream was created.
      for (let waited = 0; !workers.has(key) && waited < 20_000 && !stopped; waited += 50) {
        if (waited % 1000 === 0) await scan();
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await workers.get(key)?.flushAll();
    },
    wake() {
      for (const worker of workers.values()) worker.wake();
    },
    rescan: scan,
  };
}

type Destination =
  | { kind: 's3'; description: Record<string, unknown> }
  | { kind: 'http'; description: Record<string, unknown> }
  | { kind: 'opensearch'; description: Record<string, unknown>; openSearchKind: OpenSearchKind }
  | { kind: 'splunk'; description: Record<string, unknown> };

/** The destination a stream's description names (ExtendedS3 before its S3 mirror). */
function destinationOf(doc: DeliveryStreamDocument): Destination | undefined {
  const d = doc.destination as Record<string, Record<string, unknown> | undefined>;
  if (d.ExtendedS3DestinationDescription) return { kind: 's3', description: d.ExtendedS3DestinationDescription };
  if (d.HttpEndpointDestinationDescription) return { kind: 'http', description: d.HttpEndpointDestinationDescription };
  if (d.AmazonopensearchserviceDestinationDescription) return { kind: 'opensearch', description: d.AmazonopensearchserviceDestinationDescription, openSearchKind: 'Amazonopensearchservice' };
  if (d.ElasticsearchDestinationDescription) return { kind: 'opensearch', description: d.ElasticsearchDestinationDescription, openSearchKind: 'Elasticsearch' };
  if (d.AmazonOpenSearchServerlessDestinationDescription)
    return { kind: 'opensearch', description: d.AmazonOpenSearchServerlessDestinationDescription, openSearchKind: 'AmazonOpenSearchServerless' };
  if (d.SplunkDestinationDescription) return { kind: 'splunk', description: d.SplunkDestinationDescription };
  if (d.S3DestinationDescription) return { kind: 's3', description: d.S3DestinationDescription };
  return undefined;
}

const ERROR_TYPE_OF_DESTINATION: Record<string, ErrorType> = {
  http: 'http-endpoint-failed',
  splunk: 'splunk-failed',
  Amazonopensearchservice: 'AmazonOpenSearchService-failed',
  AmazonOpenSearchServerless: 'AmazonOpenSearchService-failed',
  Elasticsearch: 'elasticsearch-failed',
};

/** A stream's settings, derived from its document (again after UpdateDestination). */
interface StreamSettings {
  doc: DeliveryStreamDocument;
  destination: Destination;
  /** Where data objects (S3) or failures and backups (other destinations) go. */
  s3Description: Record<string, unknown>;
  s3: S3Target;
  dynamicPartitioning: boolean;
  conversion?: Record<string, unknown>;
  /** ExtendedS3 S3BackupMode Enabled (source records), or the other destinations' all-data backup. */
  backup?: { description: Record<string, unknown>; target: S3Target };
  processing: unknown;
}

function settingsOf(doc: DeliveryStreamDocument, destination: Destination): StreamSettings {
  const description = destination.description;
  const s3Description = destination.kind === 's3' ? description : ((description.S3DestinationDescription ?? {}) as Record<string, unknown>);
  const dynamic = (description.DynamicPartitioningConfiguration as { Enabled?: boolean } | undefined)?.Enabled === true;
  const conversion = description.DataFormatConversionConfiguration as Record<string, unknown> | undefined;
  let backup: StreamSettings['backup'];
  if (destination.kind === 's3' && description.S3BackupMode === 'Enabled' && description.S3BackupDescription) {
    const backupDescription = description.S3BackupDescription as Record<string, unknown>;
    backup = { description: backupDescription, target: s3TargetOf(backupDescription) };
  } else if (destination.kind !== 's3' && typeof description.S3BackupMode === 'string' && /^All/.test(description.S3BackupMode)) {
    // AllData / AllDocuments / AllEvents: every source record also goes to the S3 configuration.
    backup = { description: s3Description, target: s3TargetOf(s3Description) };
  }
  return {
    doc,
    destination,
    s3Description,
    s3: s3TargetOf({ ...s3Description, CustomTimeZone: description.CustomTimeZone, FileExtension: description.FileExtension }),
    dynamicPartitioning: dynamic,
    ...(conversion && isFormatConversionEnabled(conversion) ? { conversion } : {}),
    ...(backup ? { backup } : {}),
    processing: description.ProcessingConfiguration,
  };
}

type Item = ProcessedRecord;

/** Delivers one stream while this node holds its lease. */
class StreamWorker {
  private readonly now: () => number;
  private readonly log: Logger;
  private settings?: StreamSettings;
  private processor?: Processor;
  private main?: BufferSet<Item>;
  private backup?: BufferSet<Item>;
  /** Error documents waiting for their object, one buffer per error output type. */
  private errors?: BufferSet<string>;
  /** Records read but not yet processed: the Lambda processor's own buffer (§10.1), when there is one. */
  private lambdaInput?: LambdaInputBuffer<IngestRecord>;
  private readIndex = 0;
  private checkpointed = -1;
  private lastReadArrival = 0;
  private documentRevision = 0;
  private documentCheckedAt = 0;
  private wakeUp?: () => void;
  private woken = false;
  private flushWaiters: Array<{ resolve: () => void; reject: (err: unknown) => void }> = [];
  private source?: Promise<void>;
  private metrics?: DeliveryMetrics;
  /**
   * The one delivery under way while the next records are read and processed (reading and
   * writing overlap); its records hold the checkpoint back until it is durable.
   */
  private inFlight?: { promise: Promise<void>; minIndex: number; oldestArrival: number; bytes: number };

  constructor(
    private readonly documentKey: string,
    private readonly lease: Lease,
    private readonly signal: AbortSignal,
    private readonly deps: DeliveryEngineDeps,
    private readonly ca: Buffer | undefined,
  ) {
    this.now = deps.now ?? Date.now;
    this.log = deps.log.child({ deliveryStream: documentKey });
  }

  wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  flushAll(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.flushWaiters.push({ resolve, reject });
      this.wake();
    });
  }

  async close(): Promise<void> {
    for (const waiter of this.flushWaiters.splice(0)) waiter.resolve();
    await this.processor?.close().catch(() => undefined);
    await this.source;
  }

  async run(): Promise<void> {
    const signal = this.signal;
    const abort = new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    // Until the stream is ACTIVE (or while it is being deleted) there is nothing to deliver.
    for (;;) {
      if (signal.aborted) return;
      const entry = await this.deps.store.meta.get<DeliveryStreamDocument>(this.documentKey);
      if (!entry) return void (await abort); // reconcile unregisters us
      if (entry.value.status === 'DELETING') {
        await this.discard(entry.value);
        return void (await abort);
      }
      if (entry.value.status === 'ACTIVE') {
        if (!this.configure(entry.value)) return void (await abort);
        this.documentRevision = entry.revision;
        this.documentCheckedAt = Date.now();
        break;
      }
      await this.pause(DOCUMENT_REFRESH_MS);
    }
    const doc = this.settings!.doc;
    this.metrics = metricsFor(doc.arn);
    const progress = await this.lease.progress<{ index: number }>(progressKey(doc, 'delivered'));
    this.readIndex = progress?.index ?? 0;
    this.checkpointed = this.readIndex;
    if (doc.type === 'KinesisStreamAsSource' && doc.source) {
      this.source = runKinesisSource(doc, this.lease, { kinesis: this.deps.kinesis, log: this.log, metrics: this.metrics.KinesisSource }).catch((err) => {
        if (!signal.aborted) this.log.warn({ err }, 'Firehose Kinesis source stopped');
      });
    }
    const logName = ingestLogName(doc);
    const unwatch = this.deps.store.records.watch(logName, () => this.wake());
    try {
      while (!signal.aborted) {
        if (!(await this.refreshDocument())) return void (await abort);
        let read = 0;
        let caughtUp = false;
        // A delivery under way counts too: while a destination is down, memory holds one object's worth.
        if (this.bufferedBytes() + (this.inFlight?.bytes ?? 0) < this.readBudget()) {
          read = await this.readAndBuffer(logName);
          caughtUp = read === 0;
        }
        // flush(): once the log has been read to its end, everything buffered goes out.
        const flushing = this.flushWaiters.length > 0 && caughtUp;
        const waiters = flushing ? this.flushWaiters.splice(0) : [];
        try {
          await this.flushDue(flushing || this.bufferedBytes() >= this.readBudget());
          if (flushing || read === 0) await this.settle();
          // The delivery just settled may have left failures: a flush writes them too.
          if (flushing) await this.flushErrors(true);
          await this.checkpoint(logName);
        } catch (err) {
          for (const waiter of waiters) waiter.reject(err);
          throw err;
        }
        for (const waiter of waiters) waiter.resolve();
        if (read === 0) await this.waitForWork(logName);
      }
    } finally {
      unwatch();
    }
  }

  /** Builds the settings and the processor; false for a destination this engine cannot deliver to. */
  private configure(doc: DeliveryStreamDocument): boolean {
    const destination = destinationOf(doc);
    if (!destination) {
      this.log.warn({ destination: Object.keys(doc.destination) }, 'Firehose delivery: no destination Millrace delivers to');
      return false;
    }
    const settings = settingsOf(doc, destination);
    this.settings = settings;
    this.processor = createProcessor(settings.processing, {
      functions: this.deps.functions,
      log: this.log,
      deliveryStreamArn: doc.arn,
      region: doc.region,
      ...(doc.source ? { sourceKinesisStreamArn: doc.source.KinesisStreamARN } : {}),
      now: this.now,
      splunk: destination.kind === 'splunk',
      ...(this.deps.sleep ? { sleep: this.deps.sleep } : {}),
    });
    // Empty here: refreshDocument processed what waited for the function before reconfiguring.
    this.lambdaInput = this.processor.lambdaBuffering ? new LambdaInputBuffer<IngestRecord>(this.processor.lambdaBuffering) : undefined;
    const defaults = destination.kind === 'splunk' ? { sizeMB: 5, intervalSeconds: 60 } : undefined;
    const hints = bufferingHintsOf(destination.description, defaults);
    const previous = this.main;
    this.main = new BufferSet<Item>(hints, settings.dynamicPartitioning ? MAX_ACTIVE_PARTITIONS : 1);
    // Records already buffered stay buffered under the new hints.
    if (previous) for (const buffer of previous.buffers.values()) for (const record of buffer.take()) this.main.get(buffer.key)?.add(record);
    const previousErrors = this.errors;
    this.errors = new BufferSet<string>(ERROR_OUTPUT_BUFFERED ? bufferingHintsOf(settings.s3Description) : { sizeBytes: 0, intervalMs: 0 });
    if (previousErrors) for (const buffer of previousErrors.buffers.values()) for (const document of buffer.take()) this.errors.get(buffer.key)!.add(document);
    const previousBackup = this.backup;
    this.backup = settings.backup ? new BufferSet<Item>(bufferingHintsOf(settings.backup.description)) : undefined;
    if (previousBackup && this.backup) for (const record of previousBackup.get('')!.take()) this.backup.get('')!.add(record);
    return true;
  }

  /** Re-reads the document now and then: a new version reconfigures; DELETING or gone stops delivery. */
  private async refreshDocument(): Promise<boolean> {
    if (Date.now() - this.documentCheckedAt < DOCUMENT_REFRESH_MS) return true;
    this.documentCheckedAt = Date.now();
    const entry = await this.deps.store.meta.get<DeliveryStreamDocument>(this.documentKey);
    if (!entry || entry.value.incarnation !== this.settings!.doc.incarnation) return false;
    if (entry.value.status === 'DELETING') {
      await this.discard(entry.value);
      return false;
    }
    if (entry.revision !== this.documentRevision) {
      this.documentRevision = entry.revision;
      if (entry.value.version !== this.settings!.doc.version || JSON.stringify(entry.value.destination) !== JSON.stringify(this.settings!.doc.destination)) {
        // What was buffered under the old destination goes out under it first.
        await this.flushDue(true);
        await this.settle();
        await this.processor?.close();
        if (!this.configure(entry.value)) return false;
      } else {
        this.settings!.doc = entry.value;
      }
    }
    return true;
  }

  /** A DELETING stream: its buffered records are dropped, its log and progress removed. */
  private async discard(doc: DeliveryStreamDocument): Promise<void> {
    await this.settle().catch(() => undefined);
    this.lambdaInput?.takeDue(0, true);
    this.main?.clear();
    this.backup?.clear();
    this.errors?.clear();
    await this.deps.store.records.drop(ingestLogName(doc));
    const meta = this.deps.store.meta;
    for (const entry of await meta.list(progressKey(doc, ''))) await meta.delete(entry.key, entry.revision);
    forgetMetrics(doc.arn);
    this.log.debug('Firehose delivery stream deleted: buffers, log and progress dropped');
  }

  private bufferedBytes(): number {
    return (this.main?.bytes ?? 0) + (this.backup?.bytes ?? 0) + (this.lambdaInput?.bytes ?? 0) + (this.errors?.bytes ?? 0);
  }

  /** Reading stops while the buffers hold this much: the backlog waits in the log, not in memory. */
  private readBudget(): number {
    const main = this.main!.hints.sizeBytes;
    const backup = this.backup?.hints.sizeBytes ?? 0;
    return Math.max(main, READ_MAX_BYTES) + backup;
  }

  private async readAndBuffer(logName: string): Promise<number> {
    // Without partitions, read no more than the buffer has room for: objects come out near SizeInMBs.
    const room = this.settings!.dynamicPartitioning ? READ_MAX_BYTES : this.main!.hints.sizeBytes - this.main!.bytes;
    const maxBytes = Math.max(1, Math.min(READ_MAX_BYTES, room));
    const records = this.deps.store.records;
    const options = { limit: READ_MAX_RECORDS, maxBytes, notBefore: 0 };
    const result = await (records.readBulk ? records.readBulk(logName, this.readIndex, options) : records.read(logName, this.readIndex, options));
    if (result.records.length === 0) {
      this.readIndex = Math.max(this.readIndex, result.nextIndex);
      return 0;
    }
    this.lastReadArrival = result.records[result.records.length - 1].arrival;
    await this.ingest(result.records);
    this.readIndex = result.nextIndex;
    return result.records.length;
  }

  private async ingest(stored: StoredRecord[]): Promise<void> {
    const records: IngestRecord[] = stored.map((record) => {
      const source = sourceMetadataOf(record);
      return source ? { index: record.index, data: record.data, arrival: record.arrival, source } : { index: record.index, data: record.data, arrival: record.arrival };
    });
    // Backups hold the source records, as they were put (§14; §10.1 "untransformed").
    if (this.backup) {
      const buffer = this.backup.get('')!;
      for (const record of records) buffer.add({ index: record.index, arrival: record.arrival, bytes: record.data.length, item: record });
    }
    if (!this.lambdaInput) return this.processAndBuffer(records);
    // §10.1: the Lambda processor buffers to its own hints before each invocation.
    this.lambdaInput.add(records);
    await this.processWaiting(false);
  }

  /** Processes what the Lambda processor's buffer has due (everything when `all`). */
  private async processWaiting(all: boolean): Promise<void> {
    const due = this.lambdaInput?.takeDue(this.now(), all) ?? [];
    if (due.length > 0) await this.processAndBuffer(due);
  }

  private async processAndBuffer(records: IngestRecord[]): Promise<void> {
    const settings = this.settings!;
    const metrics = this.metrics!;
    const result = await this.processor!.process(records, this.signal);
    if (result.metrics) {
      metrics.ExecuteProcessing.invocations += result.metrics.lambdaInvocations;
      metrics.ExecuteProcessing.successes += result.metrics.lambdaSucceededInvocations;
      metrics.ExecuteProcessing.durationMs += result.metrics.lambdaDurationMs;
      metrics.SucceedProcessing.records += result.metrics.succeededRecords;
      metrics.SucceedProcessing.bytes += result.metrics.succeededBytes;
      metrics.JQProcessingDurationMs += result.metrics.jqDurationMs;
    }
    metrics.FailedProcessing.records += result.failed.length;
    const addError = (type: ErrorType, document: string, record: { index: number; arrival: number }) => this.bufferError(type, document, record);
    for (const failed of result.failed) addError(failed.errorOutputType, processingFailureDocument(failed as FailedRecord), failed);
    let exceeded = false;
    for (const record of result.delivered) {
      let key = '';
      if (settings.dynamicPartitioning) {
        try {
          key = evaluatePrefix(settings.s3Description.Prefix as string | undefined, {
            epochMs: record.arrival,
            timeZone: settings.s3.timeZone,
            ...(record.partitionKeys?.fromQuery ? { partitionKeys: record.partitionKeys.fromQuery } : {}),
            ...(record.partitionKeys?.fromLambda ? { partitionKeysFromLambda: record.partitionKeys.fromLambda } : {}),
          });
        } catch (err) {
          if (!(err instanceof PrefixEvaluationError)) throw err;
          addError(
            'processing-failed',
            processingFailureDocument({
              index: record.index,
              rawData: record.data,
              arrival: record.arrival,
              errorCode: 'DynamicPartitioning.MetadataExtractionFailed',
              errorMessage: err.message,
              attemptsMade: 1,
              attemptEndingTimestamp: this.now(),
              errorOutputType: 'processing-failed',
            }),
            record,
          );
          continue;
        }
      }
      const buffer = this.main!.get(key);
      if (!buffer) {
        exceeded = true;
        addError('activePartitionExceeded', partitionExceededDocument(record, MAX_ACTIVE_PARTITIONS, this.now()), record);
        continue;
      }
      buffer.add({ index: record.index, arrival: record.arrival, bytes: record.data.length, item: record });
    }
    metrics.PartitionCountExceeded = exceeded ? 1 : 0;
    metrics.PartitionCount = this.main!.buffers.size;
  }

  /** An error document waits in its type's buffer; its record's index holds the checkpoint until it is written. */
  private bufferError(type: ErrorType, document: string, record: { index: number; arrival: number }): void {
    this.errors!.get(type)!.add({ index: record.index, arrival: record.arrival, bytes: document.length + 1, item: document });
  }

  /** Writes the error objects that are due (all of them when `all`). */
  private async flushErrors(all: boolean): Promise<void> {
    for (const buffer of this.errors!.due(this.now(), all)) {
      const oldest = buffer.oldestArrival;
      const documents = buffer.take().map((entry) => entry.item);
      this.errors!.release(buffer);
      await this.writeErrorObject(buffer.key as ErrorType, documents, oldest);
    }
  }

  private s3Context(): S3WriteContext {
    const doc = this.settings!.doc;
    return {
      objects: this.deps.objects,
      log: this.log,
      signal: this.signal,
      now: this.now,
      streamName: doc.name,
      version: doc.version,
      ...(this.deps.sleep ? { sleep: this.deps.sleep } : {}),
    };
  }

  private async writeErrorObject(type: ErrorType, documents: string[], oldestArrival: number): Promise<void> {
    const settings = this.settings!;
    const prefix = evaluateErrorPrefix(
      settings.s3Description.ErrorOutputPrefix as string | undefined,
      settings.s3Description.Prefix as string | undefined,
      type as ErrorOutputType,
      { epochMs: oldestArrival, timeZone: settings.s3.timeZone },
    );
    const target: S3Target = ERROR_OUTPUT_COMPRESSED ? { ...settings.s3 } : { ...settings.s3, compression: 'UNCOMPRESSED' as CompressionFormat };
    // A FileExtension names data objects; error objects keep the format's own extension.
    delete target.fileExtension;
    await this.expiring(() => writeDeliveryObject(target, prefix, errorObjectChunks(documents), oldestArrival, this.s3Context(), `error output ${type}`));
    this.metrics!.ErrorOutputRecords[type] = (this.metrics!.ErrorOutputRecords[type] ?? 0) + documents.length;
  }

  /** §14: after 24 h of failures AWS gives the data up; the log says so, delivery goes on. */
  private async expiring(write: () => Promise<unknown>): Promise<boolean> {
    try {
      await write();
      return true;
    } catch (err) {
      if (!(err instanceof DeliveryExpiredError)) throw err;
      this.log.error({ errorCode: err.message.split(':')[0] }, `Firehose gave up delivering after 24 hours of retries: ${err.message}`);
      return false;
    }
  }

  /** Waits for the delivery under way, if any (its failure is the loop's failure). */
  private async settle(): Promise<void> {
    const inFlight = this.inFlight;
    if (!inFlight) return;
    try {
      await inFlight.promise;
    } finally {
      if (this.inFlight === inFlight) this.inFlight = undefined;
    }
  }

  /** Starts delivering the buffers that are due (all of them when `all`), one at a time. */
  private async flushDue(all: boolean): Promise<void> {
    await this.processWaiting(all);
    const now = this.now();
    for (const buffer of this.main!.due(now, all)) {
      await this.settle();
      const minIndex = buffer.minIndex;
      const oldestArrival = buffer.oldestArrival;
      const bytes = buffer.bytes;
      // deliverMain takes the buffer's records before its first await: the buffer is free at once.
      const promise = this.deliverMain(buffer);
      this.main!.release(buffer);
      this.inFlight = { promise, minIndex, oldestArrival, bytes };
      promise.catch(() => undefined); // observed by settle()
    }
    if (this.backup) for (const buffer of this.backup.due(now, all)) await this.deliverBackup(buffer);
    await this.flushErrors(all);
    this.metrics!.PartitionCount = this.main!.buffers.size;
  }

  private async deliverMain(buffer: RecordBuffer<Item>): Promise<void> {
    const settings = this.settings!;
    const oldest = buffer.oldestArrival;
    const taken = buffer.take();
    const records = taken.map((entry) => entry.item);
    const bytes = taken.reduce((sum, entry) => sum + entry.bytes, 0);
    const destination = settings.destination;
    if (destination.kind === 's3') return this.deliverToS3(buffer.key, records, bytes, oldest);
    const context: DeliveryAttemptContext = {
      deliveryStreamArn: settings.doc.arn,
      signal: this.signal,
      log: this.log,
      now: this.now,
      ...(this.ca ? { ca: this.ca } : {}),
      ...(this.deps.sleep ? { sleep: this.deps.sleep } : {}),
      reload: async () => {
        const entry = await this.deps.store.meta.get<DeliveryStreamDocument>(this.documentKey);
        const fresh = entry && destinationOf(entry.value);
        return fresh && fresh.kind === destination.kind ? { description: fresh.description, secrets: entry.value.secrets } : undefined;
      },
    };
    let outcome: DestinationOutcome;
    let counter: DeliveryCounter;
    let errorType: ErrorType;
    if (destination.kind === 'http') {
      outcome = await deliverToHttpEndpoint(records, destination.description, settings.doc.secrets, context);
      counter = this.metrics!.DeliveryToHttpEndpoint;
      errorType = ERROR_TYPE_OF_DESTINATION.http;
    } else if (destination.kind === 'splunk') {
      outcome = await deliverToSplunk(records, destination.description, settings.doc.secrets, context);
      counter = this.metrics!.DeliveryToSplunk;
      errorType = ERROR_TYPE_OF_DESTINATION.splunk;
    } else {
      outcome = await deliverToOpenSearch(records, destination.description, destination.openSearchKind, context);
      counter = this.metrics!.DeliveryToAmazonOpenSearchService;
      errorType = ERROR_TYPE_OF_DESTINATION[destination.openSearchKind];
    }
    const stats = outcome.stats;
    counter.attempts += stats?.requests ?? outcome.attempts;
    counter.successes += stats?.successfulRequests ?? (outcome.ok ? 1 : 0);
    counter.records += stats?.deliveredRecords ?? (outcome.ok ? records.length : 0);
    counter.bytes += stats?.deliveredBytes ?? (outcome.ok ? bytes : 0);
    if (outcome.ok || (stats?.deliveredRecords ?? 0) > 0) counter.dataFreshnessMs = Math.max(0, this.now() - oldest);
    if (outcome.ok) {
      this.log.debug({ destination: destination.kind, records: records.length, attempts: outcome.attempts }, 'Firehose delivery attempt succeeded');
      return;
    }
    this.log.warn({ destination: destination.kind, errorCode: outcome.errorCode, errorMessage: outcome.errorMessage, attempts: outcome.attempts }, 'Firehose delivery failed');
    const documents: string[] = [];
    let oldestFailed = Infinity;
    const failures = outcome.failures ?? (outcome.failedIndexes ?? records.map((_, i) => i)).map((position) => ({
      position,
      attempts: outcome.attempts,
      errorCode: outcome.errorCode,
      errorMessage: outcome.errorMessage,
      toErrorOutput: outcome.toErrorOutput,
      attemptEndingTimestamp: outcome.attemptEndingTimestamp,
    }));
    for (const failure of failures) {
      if (!failure.toErrorOutput) continue;
      const record = records[failure.position];
      this.bufferError(errorType, destinationFailureDocument(errorType, record, failure), record);
    }
  }

  private async deliverToS3(partition: string, records: Item[], bytes: number, oldest: number): Promise<void> {
    const settings = this.settings!;
    const metrics = this.metrics!;
    const prefix = settings.dynamicPartitioning
      ? partition
      : evaluatePrefix(settings.s3Description.Prefix as string | undefined, { epochMs: oldest, timeZone: settings.s3.timeZone });
    let precompressed: { body: Buffer; extension: string } | undefined;
    if (settings.conversion && this.deps.glue) {
      const converted = await convertWithCatalog(records, settings.conversion, this.deps.glue, { account: settings.doc.account, region: settings.doc.region }, this.now);
      metrics.SucceedConversion.records += converted.convertedRecords;
      metrics.FailedConversion.records += converted.failed.length;
      for (const failed of converted.failed) this.bufferError('format-conversion-failed', conversionFailureDocument(failed), failed);
      if (converted.convertedRecords === 0) return;
      metrics.SucceedConversion.bytes += converted.body.length;
      precompressed = { body: converted.body, extension: converted.extension };
    }
    const target = precompressed ? { ...settings.s3, compression: 'UNCOMPRESSED' as CompressionFormat } : settings.s3;
    const written = await this.expiring(() =>
      writeDeliveryObject(target, prefix, records.map((record) => record.data), oldest, this.s3Context(), 'delivery', precompressed).then((result) => {
        metrics.DeliveryToS3.attempts += result.attempts - 1;
      }),
    );
    countAttempt(metrics.DeliveryToS3, written, records.length, bytes, oldest, this.now());
  }

  private async deliverBackup(buffer: RecordBuffer<Item>): Promise<void> {
    const settings = this.settings!;
    const backup = settings.backup!;
    const oldest = buffer.oldestArrival;
    const taken: BufferedRecord<Item>[] = buffer.take();
    const bytes = taken.reduce((sum, entry) => sum + entry.bytes, 0);
    const prefix = evaluatePrefix(backup.description.Prefix as string | undefined, { epochMs: oldest, timeZone: settings.s3.timeZone });
    const written = await this.expiring(() =>
      writeDeliveryObject({ ...backup.target, timeZone: settings.s3.timeZone }, prefix, taken.map((entry) => entry.item.data), oldest, this.s3Context(), 'backup'),
    );
    countAttempt(this.metrics!.BackupToS3, written, taken.length, bytes, oldest, this.now());
  }

  /** Moves the checkpoint to the first record not yet durable at its destination, then trims the log. */
  private async checkpoint(logName: string): Promise<void> {
    const pendingIndex = Math.min(
      this.main!.minIndex,
      this.backup?.minIndex ?? Infinity,
      this.errors!.minIndex,
      this.inFlight?.minIndex ?? Infinity,
      this.lambdaInput?.minIndex ?? Infinity,
    );
    const index = Math.min(this.readIndex, pendingIndex);
    if (index <= this.checkpointed) return;
    const doc = this.settings!.doc;
    await this.lease.checkpoint(progressKey(doc, 'delivered'), { index });
    this.checkpointed = index;
    // Arrivals only grow along the log: whatever arrived before the oldest pending record is delivered.
    const pendingArrival = Math.min(
      this.main!.oldestArrival,
      this.backup?.oldestArrival ?? Infinity,
      this.errors!.oldestArrival,
      this.inFlight?.oldestArrival ?? Infinity,
      this.lambdaInput?.oldestArrival ?? Infinity,
    );
    const trimBefore = Math.min(pendingArrival, this.lastReadArrival);
    if (trimBefore > 0 && Number.isFinite(trimBefore)) await this.deps.store.records.trim(logName, trimBefore);
  }

  /** Waits for new records, the next buffer to fall due, a wake-up or the end of the lease. */
  private async waitForWork(logName: string): Promise<void> {
    if (this.inFlight) return this.settle();
    const durableEnd = this.deps.store.records.durableEnd?.(logName);
    if (durableEnd !== undefined && durableEnd > this.readIndex) return;
    const due = Math.min(this.main!.dueAt, this.backup?.dueAt ?? Infinity, this.errors!.dueAt, this.lambdaInput?.dueAt ?? Infinity);
    const wait = Math.max(0, Math.min(MAX_IDLE_WAIT_MS, due - this.now()));
    if (wait === 0 && due !== Infinity) return;
    await this.pause(wait);
  }

  private pause(ms: number): Promise<void> {
    if (this.woken) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.signal.removeEventListener('abort', done);
        this.wakeUp = undefined;
        this.woken = false;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeUp = done;
      this.signal.addEventListener('abort', done, { once: true });
    });
  }
}

export { sleepFor };
