import type { ObjectStore } from '../../objects/object-store.js';
import { parseDuration } from '../sql/index.js';
import { JobError } from './job-error.js';

/**
 * What a `filesystem` table's `path` means in Millrace: `s3://bucket/prefix` (or Flink's `s3a://` and
 * `s3p://` spellings of it) on the server's own object store, as an S3 path means in Managed Flink.
 * Plus the option values Flink's filesystem connector parses (MemorySize, Duration) with its errors.
 */

export interface ObjectPath {
  bucket: string;
  /** The key prefix objects are listed and written under: '' or ending in '/'. */
  prefix: string;
  /** As the table names it (messages). */
  text: string;
}

const S3_SCHEMES = ['s3', 's3a', 's3p'];

export function parseObjectPath(path: string, table: string): ObjectPath {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/]*)(\/.*)?$/.exec(path);
  const scheme = m?.[1]?.toLowerCase();
  if (!m || !scheme || !S3_SCHEMES.includes(scheme)) {
    const named = scheme ? `scheme '${scheme}'` : `path '${path}' (no scheme)`;
    throw new JobError(
      'org.apache.flink.core.fs.UnsupportedFileSystemSchemeException',
      `Could not find a file system implementation for ${named}. Millrace's filesystem connector reads and writes s3://bucket/prefix paths on its object store. (table ${table})`,
    );
  }
  const bucket = m[2]!;
  if (bucket === '') throw new JobError('java.lang.IllegalArgumentException', `Invalid path '${path}': no bucket. (table ${table})`);
  let prefix = (m[3] ?? '').replace(/^\/+/, '');
  if (prefix !== '' && !prefix.endsWith('/')) prefix += '/';
  return { bucket, prefix, text: path };
}

/**
 * Hadoop S3A's failure for a bucket that does not exist (what Flink's s3 file systems report); the
 * exact class and text AWS's Managed Flink shows are UNVERIFIED.
 */
export function missingBucket(path: ObjectPath, table: string): JobError {
  return new JobError('org.apache.hadoop.fs.s3a.UnknownStoreException', `s3a://${path.bucket}/: Bucket ${path.bucket} does not exist (table ${table}, path ${path.text})`);
}

export async function requireBucket(objects: ObjectStore, path: ObjectPath, table: string): Promise<void> {
  if (!(await objects.headBucket(path.bucket))) throw missingBucket(path, table);
}

const MEMORY_UNITS: [RegExp, number][] = [
  [/^(b|bytes)$/, 1],
  [/^(k|kb|kibibytes)$/, 1024],
  [/^(m|mb|mebibytes)$/, 1024 ** 2],
  [/^(g|gb|gibibytes)$/, 1024 ** 3],
  [/^(t|tb|tebibytes)$/, 1024 ** 4],
];

const unparsable = (value: string, key: string) => new JobError('org.apache.flink.table.api.ValidationException', `Could not parse value '${value}' for key '${key}'.`);

/** Flink's MemorySize: a number and an optional binary unit ("128MB", "1 kb", "4096"). */
export function parseMemorySize(value: string, key: string): number {
  const m = /^\s*(\d+)\s*([a-zA-Z]*)\s*$/.exec(value);
  if (!m) throw unparsable(value, key);
  const unit = m[2]!.toLowerCase();
  const mult = unit === '' ? 1 : MEMORY_UNITS.find(([re]) => re.test(unit))?.[1];
  if (mult === undefined) throw unparsable(value, key);
  return Number(m[1]) * mult;
}

/** Flink's Duration ("30 min", "10 s", "500 ms"); must be positive where Flink requires it. */
export function parseOptionDuration(value: string, key: string): number {
  let ms: number;
  try {
    ms = parseDuration(value);
  } catch {
    throw unparsable(value, key);
  }
  return ms;
}
