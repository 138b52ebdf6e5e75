import { ObjectStoreError, type ObjectStore } from '../../objects/object-store.js';
import { createFormat, valueToString, type Format, type SinkRecord, type SinkTable } from '../sql/index.js';
import { missingBucket, parseMemorySize, parseOptionDuration, requireBucket, type ObjectPath } from './filesystem-path.js';
import { JobError } from './job-error.js';
import type { SinkWriter } from './sinks.js';

/**
 * A `filesystem` sink table on the object store, as Flink's FileSink writes S3: part files named
 * `part-<uuid>-<subtask>-<counter>` under the path (under `col=value/` directories for PARTITIONED BY
 * columns, which the files then leave out), one row per line. A part file is in progress until it rolls
 * (`sink.rolling-policy.file-size`, `.rollover-interval`, `.inactivity-interval`, checked every
 * `.check-interval`) or a checkpoint comes; a rolled file is staged durably but invisibly (a multipart
 * upload, as Flink's S3 RecoverableWriter does) and completed, so made visible, only once the checkpoint
 * that counts its rows has committed. Exactly once: the staged uploads are in that checkpoint's state,
 * so a restart completes them if the crash came first; uploads of a checkpoint that never committed are
 * aborted on restart, and their rows are written again from the restored positions.
 *
 * Flink rolls row-format part files (json, raw) only by the rolling policy and keeps them in progress
 * across checkpoints; here every part file rolls at each checkpoint (Flink's rule for bulk formats,
 * csv among them), so rows become visible at the first checkpoint after they were written.
 */

/** Flink's defaults for the filesystem sink's rolling policy. */
export const DEFAULT_ROLLING_FILE_SIZE = 128 * 1024 * 1024;
export const DEFAULT_ROLLOVER_INTERVAL_MS = 30 * 60_000;
export const DEFAULT_INACTIVITY_INTERVAL_MS = 30 * 60_000;
export const DEFAULT_ROLLING_CHECK_INTERVAL_MS = 60_000;
/** Flink's `partition.default-name`: the directory of a null or empty partition value. */
export const DEFAULT_PARTITION_NAME = '__DEFAULT_PARTITION__';
/** One writer per sink table: Millrace runs each job with parallelism 1, so subtask 0. */
const SUBTASK = 0;
/** Options Flink's filesystem sink has that Millrace does not carry out: refused rather than ignored. */
const UNSUPPORTED_SINK_OPTIONS = ['sink.partition-commit.policy.kind', 'sink.partition-commit.policy.class'];

/** What a checkpoint keeps of a filesystem sink. */
export interface FilesystemSinkState {
  /** The next part file's counter. */
  counter: number;
  /** The part files staged for the checkpoint, completed once it has committed. */
  staged: StagedFile[];
}

export interface StagedFile {
  key: string;
  uploadId: string;
  etag: string;
}

interface PartFile {
  dir: string;
  counter: number;
  chunks: Uint8Array[];
  bytes: number;
  openedAt: number;
  writtenAt: number;
}

/** Hive's escaping of a partition value in a path (Flink's PartitionPathUtils.escapePathName). */
const ESCAPED = new Set(['"', '#', '%', "'", '*', '/', ':', '=', '?', '\\', '\u007f', '{', '[', ']', '^']);
export function escapePathName(value: string): string {
  let out = '';
  for (const ch of value) {
    const code = ch.charCodeAt(0);
    out += (code >= 0x01 && code <= 0x1f) || ESCAPED.has(ch) ? `%${code.toString(16).toUpperCase().padStart(2, '0')}` : ch;
  }
  return out;
}

const NEWLINE = new Uint8Array([0x0a]);

export class FilesystemSinkWriter implements SinkWriter {
  private readonly files = new Map<string, PartFile>();
  private rolled: PartFile[] = [];
  /** Staged since the last checkpoint. */
  private staged: StagedFile[] = [];
  /** Staged for the checkpoint being taken. */
  private committing: StagedFile[] = [];
  private counter = 0;
  private checkedAt = Date.now();
  private readonly fileSize: number;
  private readonly rolloverMs: number;
  private readonly inactivityMs: number;
  private readonly checkMs: number;
  private readonly partitions: { name: string; type: SinkTable['physicalColumns'][number]['type'] }[];
  private readonly defaultPartition: string;
  /** Partitioned tables: the format over the columns the files hold (all but the partition columns). */
  private readonly fileFormat: { format: Format; columns: string[] } | undefined;
  private readonly lineEnds: boolean;
  private readonly partPrefix: string;

  constructor(
    private readonly objects: ObjectStore,
    private readonly sink: SinkTable,
    private readonly path: ObjectPath,
    runId: string,
  ) {
    const o = sink.table.options;
    for (const key of UNSUPPORTED_SINK_OPTIONS) {
      if (o[key] !== undefined) throw new JobError('org.apache.flink.table.api.ValidationException', `Option '${key}' of sink table ${sink.name} is not supported by Millrace's filesystem connector (it writes part files only).`);
    }
    if (o['auto-compaction'] === 'true') throw new JobError('org.apache.flink.table.api.ValidationException', `Option 'auto-compaction' of sink table ${sink.name} is not supported by Millrace's filesystem connector: a part file already rolls at every checkpoint.`);
    const size = o['sink.rolling-policy.file-size'];
    this.fileSize = size === undefined ? DEFAULT_ROLLING_FILE_SIZE : parseMemorySize(size, 'sink.rolling-policy.file-size');
    const duration = (key: string, fallback: number) => (o[key] === undefined ? fallback : parseOptionDuration(o[key]!, key));
    this.rolloverMs = duration('sink.rolling-policy.rollover-interval', DEFAULT_ROLLOVER_INTERVAL_MS);
    this.inactivityMs = duration('sink.rolling-policy.inactivity-interval', DEFAULT_INACTIVITY_INTERVAL_MS);
    this.checkMs = duration('sink.rolling-policy.check-interval', DEFAULT_ROLLING_CHECK_INTERVAL_MS);
    this.defaultPartition = o['partition.default-name'] ?? DEFAULT_PARTITION_NAME;
    const columns = sink.physicalColumns;
    const partitioned = new Set(sink.table.partitionedBy);
    this.partitions = columns.filter((c) => partitioned.has(c.name));
    const formatName = o['format'] ?? o['value.format'] ?? 'json';
    if (this.partitions.length > 0) {
      const kept = columns.filter((c) => !partitioned.has(c.name));
      const formatOptions = Object.fromEntries(Object.entries(o).filter(([k]) => k.startsWith(`${formatName}.`)));
      this.fileFormat = { format: createFormat(formatName, kept, formatOptions), columns: kept.map((c) => c.name) };
    }
    this.lineEnds = formatName === 'csv'; // the csv format ends its rows with a line break already
    // Flink's table sink prefixes part files with `part-<random uuid>` per job; the run's id is one per start.
    this.partPrefix = `part-${runId}-${SUBTASK}-`;
  }

  private dirOf(r: SinkRecord): string {
    let dir = '';
    for (const p of this.partitions) {
      const v = r.row[p.name];
      const text = v === null || v === undefined ? '' : typeof v === 'string' ? v : valueToString(v, p.type);
      dir += `${p.name}=${text === '' ? this.defaultPartition : escapePathName(text)}/`;
    }
    return dir;
  }

  private line(r: SinkRecord): Uint8Array {
    if (!this.fileFormat) return r.data;
    return this.fileFormat.format.encode(this.fileFormat.columns.map((c) => r.row[c] ?? null));
  }

  add(records: SinkRecord[]): void {
    const now = Date.now();
    for (const r of records) {
      const dir = this.dirOf(r);
      let file = this.files.get(dir);
      // Flink's policy looks before each row: a part file already past the size rolls.
      if (file && file.bytes > this.fileSize) {
        this.rolled.push(file);
        file = undefined;
      }
      if (!file) {
        file = { dir, counter: this.counter++, chunks: [], bytes: 0, openedAt: now, writtenAt: now };
        this.files.set(dir, file);
      }
      const line = this.line(r);
      file.chunks.push(line);
      file.bytes += line.length;
      if (!this.lineEnds) {
        file.chunks.push(NEWLINE);
        file.bytes += 1;
      }
      file.writtenAt = now;
    }
  }

  private key(file: PartFile): string {
    return `${this.path.prefix}${file.dir}${this.partPrefix}${file.counter}`;
  }

  private rollAll(): void {
    for (const file of this.files.values()) this.rolled.push(file);
    this.files.clear();
  }

  /** Stages the rolled part files: durable, invisible until their checkpoint commits. */
  private async stageRolled(): Promise<void> {
    if (this.rolled.length === 0) return;
    const files = this.rolled;
    this.rolled = [];
    const staged = await Promise.all(
      files.map(async (file) => {
        const key = this.key(file);
        try {
          const uploadId = await this.objects.createMultipartUpload(this.path.bucket, key, {});
          const part = await this.objects.uploadPart(this.path.bucket, key, uploadId, 1, Buffer.concat(file.chunks));
          return { key, uploadId, etag: part.etag };
        } catch (err) {
          if (err instanceof ObjectStoreError && err.code === 'NoSuchBucket') throw missingBucket(this.path, this.sink.name);
          throw err;
        }
      }),
    );
    this.staged.push(...staged);
  }

  /** Time-based rolls (checked every `check-interval`, as Flink's timer does), then stages what rolled. */
  async flush(): Promise<void> {
    const now = Date.now();
    if (now - this.checkedAt >= this.checkMs) {
      this.checkedAt = now;
      for (const [dir, file] of this.files) {
        if (now - file.openedAt >= this.rolloverMs || now - file.writtenAt >= this.inactivityMs) {
          this.rolled.push(file);
          this.files.delete(dir);
        }
      }
    }
    await this.stageRolled();
  }

  async preCommit(): Promise<FilesystemSinkState> {
    this.rollAll();
    await this.stageRolled();
    this.committing = this.staged;
    this.staged = [];
    return { counter: this.counter, staged: this.committing.map((f) => ({ ...f })) };
  }

  async commit(): Promise<void> {
    const files = this.committing;
    await this.complete(files);
    this.committing = [];
  }

  async abort(): Promise<void> {
    const files = this.committing;
    this.committing = [];
    await Promise.all(files.map((f) => this.objects.abortMultipartUpload(this.path.bucket, f.key, f.uploadId).catch(() => undefined)));
  }

  /**
   * Aborts the uploads staged since the last checkpoint: no checkpoint names them, and a staged upload
   * left behind would keep its bucket from being deleted. What a checkpoint being committed staged is
   * left to the restart (it completes them if the checkpoint committed, aborts them if not).
   */
  async discard(): Promise<void> {
    const files = this.staged;
    this.staged = [];
    this.rolled = [];
    this.files.clear();
    await Promise.all(files.map((f) => this.objects.abortMultipartUpload(this.path.bucket, f.key, f.uploadId).catch(() => undefined)));
  }

  /** Completes staged uploads; one completed before (a crash after its commit) is left as it is. */
  private async complete(files: StagedFile[]): Promise<void> {
    await Promise.all(
      files.map(async (f) => {
        try {
          await this.objects.completeMultipartUpload(this.path.bucket, f.key, f.uploadId, [{ partNumber: 1, etag: f.etag }]);
        } catch (err) {
          if (err instanceof ObjectStoreError && err.code === 'NoSuchUpload' && (await this.objects.headObject(this.path.bucket, f.key))) return;
          if (err instanceof ObjectStoreError && err.code === 'NoSuchBucket') throw missingBucket(this.path, this.sink.name);
          throw new JobError('java.io.IOException', `Committing part file s3://${this.path.bucket}/${f.key} of sink table ${this.sink.name} failed: ${(err as Error).message}`);
        }
      }),
    );
  }

  /**
   * Resumes from a checkpoint's state (or none): completes the part files it staged, and aborts this
   * run's uploads that no committed checkpoint names (a checkpoint that was being taken at a crash).
   */
  async restore(state: unknown): Promise<void> {
    await requireBucket(this.objects, this.path, this.sink.name);
    const saved = state as FilesystemSinkState | undefined;
    if (saved) {
      this.counter = saved.counter;
      await this.complete(saved.staged);
    }
    const keep = new Set((saved?.staged ?? []).map((f) => f.uploadId));
    const uploads = await this.objects.listMultipartUploads(this.path.bucket);
    const ours = uploads.filter((u) => u.key.startsWith(this.path.prefix) && u.key.slice(u.key.lastIndexOf('/') + 1).startsWith(this.partPrefix) && !keep.has(u.uploadId));
    await Promise.all(ours.map((u) => this.objects.abortMultipartUpload(this.path.bucket, u.key, u.uploadId).catch(() => undefined)));
  }
}
