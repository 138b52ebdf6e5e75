import { createHash } from 'node:crypto';
import { unzipSync } from 'fflate';
import type { ObjectStore } from '../../objects/object-store.js';
import { ObjectStoreError } from '../../objects/object-store.js';
import type { MetadataStore } from '../../store/store.js';
import { ownedPrefix, type ApplicationDoc, type CodeConfig, type PropertyGroup } from './application.js';

/**
 * Application code (ANALYTICS-SPEC §2.3, §5.1): inline text (PLAINTEXT), an inline zip
 * (ZipFileContent, kept in the store in chunks), or a zip in the object store (S3ContentLocation:
 * the embedded object store, or --s3-endpoint). CodeMD5/CodeSize are computed from the bytes.
 */

/** Bytes of an inline zip per store entry (well under NATS KV's value limit once base64'd). */
export const CODE_CHUNK_BYTES = 256 * 1024;

type Owner = Pick<ApplicationDoc, 'account' | 'region' | 'name' | 'createMillis'>;

export class CodeUnavailableError extends Error {}

/** `arn:aws:s3:::bucket` → bucket; undefined when it is not an S3 bucket ARN. */
export function bucketOfArn(arn: string): string | undefined {
  return /^arn:aws[a-z-]*:s3:::([a-z0-9][a-z0-9.-]{1,254})$/.exec(arn)?.[1];
}

export const md5Hex = (bytes: Buffer | string) => createHash('md5').update(bytes).digest('hex');

export class CodeStore {
  constructor(
    private readonly meta: MetadataStore,
    private readonly objects: ObjectStore,
  ) {}

  /** Reads a code object from the object store; CodeUnavailableError saying why when it cannot. */
  async readObject(bucketArn: string, key: string): Promise<Buffer> {
    const bucket = bucketOfArn(bucketArn);
    if (!bucket) throw new CodeUnavailableError(`${bucketArn} is not an S3 bucket ARN`);
    try {
      const { body } = await this.objects.getObject(bucket, key);
      const chunks: Buffer[] = [];
      for await (const chunk of body) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks);
    } catch (err) {
      if (err instanceof ObjectStoreError) throw new CodeUnavailableError(err.message);
      throw err;
    }
  }

  /** Keeps an inline zip; returns its MD5 (the key it is kept under). */
  async keepInline(app: Owner, zip: Buffer): Promise<string> {
    const md5 = md5Hex(zip);
    const prefix = `${ownedPrefix('code', app)}${md5}/`;
    if ((await this.meta.list(prefix)).length > 0) return md5;
    const chunks = Math.max(1, Math.ceil(zip.length / CODE_CHUNK_BYTES));
    for (let i = 0; i < chunks; i++) {
      const slice = zip.subarray(i * CODE_CHUNK_BYTES, (i + 1) * CODE_CHUNK_BYTES);
      await this.meta.put(`${prefix}${String(i).padStart(6, '0')}`, slice.toString('base64'), 0);
    }
    return md5;
  }

  /** The code of an application's configuration: text, or the zip's bytes. */
  async load(app: Owner, code: CodeConfig): Promise<string | Buffer> {
    if (code.type === 'PLAINTEXT') return code.text ?? '';
    if (code.s3) return this.readObject(code.s3.BucketARN, code.s3.FileKey);
    const parts = await this.meta.list<string>(`${ownedPrefix('code', app)}${code.md5}/`);
    if (parts.length === 0) throw new CodeUnavailableError('the inline ZipFileContent is no longer stored');
    return Buffer.concat(parts.map((part) => Buffer.from(part.value, 'base64')));
  }
}

/** Property group and key naming the SQL file inside a zip (a Millrace convention, README). */
export const SQL_FILE_PROPERTY_GROUP = 'millrace.sql';
export const SQL_FILE_PROPERTY = 'file';
/** The file a zip's SQL is read from when no property names one. */
export const DEFAULT_SQL_FILE = 'application.sql';
/** AWS's property group of a PyFlink application (§5.1). */
export const PYFLINK_RUN_OPTIONS = 'kinesis.analytics.flink.run.options';

/** What an application's code is, as a runner needs to know it. */
export type JobCode =
  | { kind: 'sql'; script: string; source: string }
  /** `jar`: the JAR's bytes (the code object itself, or the one .jar inside the zip), for --flink-rest. */
  | { kind: 'jar'; source: string; jar: Uint8Array }
  | { kind: 'python'; source: string; reason: string }
  | { kind: 'invalid'; reason: string };

/**
 * Classifies code: Flink SQL (PLAINTEXT text, a `.sql` file in the zip, or the string literals a
 * PyFlink main.py passes to execute_sql / add_insert_sql), a JAR (needs a JVM), or unusable.
 */
export function classifyCode(code: string | Buffer, properties: PropertyGroup[] = []): JobCode {
  if (typeof code === 'string') return { kind: 'sql', script: code, source: 'TextContent' };
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(new Uint8Array(code.buffer, code.byteOffset, code.byteLength));
  } catch (err) {
    return { kind: 'invalid', reason: `the application code is not a valid zip file (${(err as Error).message})` };
  }
  const names = Object.keys(files);
  const property = (group: string, key: string) => properties.find((g) => g.PropertyGroupId === group)?.PropertyMap[key];
  const named = property(SQL_FILE_PROPERTY_GROUP, SQL_FILE_PROPERTY);
  if (named !== undefined) {
    const file = files[named];
    if (!file) return { kind: 'invalid', reason: `${SQL_FILE_PROPERTY_GROUP}.${SQL_FILE_PROPERTY} names ${named}, which the code zip does not contain` };
    return { kind: 'sql', script: Buffer.from(file).toString('utf8'), source: named };
  }
  const python = property(PYFLINK_RUN_OPTIONS, 'python');
  if (python !== undefined) {
    const file = files[python];
    if (!file) return { kind: 'invalid', reason: `${PYFLINK_RUN_OPTIONS}.python names ${python}, which the code zip does not contain` };
    const statements = sqlLiterals(Buffer.from(file).toString('utf8'));
    if (statements.length === 0) return { kind: 'python', source: python, reason: `${python} passes no string literal to execute_sql or add_insert_sql` };
    return { kind: 'sql', script: statements.join(';\n'), source: python };
  }
  const sqlFiles = names.filter((n) => n.endsWith('.sql'));
  const sqlFile = files[DEFAULT_SQL_FILE] ? DEFAULT_SQL_FILE : sqlFiles.length === 1 ? sqlFiles[0] : undefined;
  if (sqlFile) return { kind: 'sql', script: Buffer.from(files[sqlFile]).toString('utf8'), source: sqlFile };
  // The code object is itself a JAR (AWS's Java applications), or a zip carrying one.
  if (names.some((n) => n.endsWith('.class') || n === 'META-INF/MANIFEST.MF')) return { kind: 'jar', source: 'the code zip', jar: code };
  const jars = names.filter((n) => n.endsWith('.jar'));
  if (jars.length === 1) return { kind: 'jar', source: jars[0], jar: files[jars[0]] };
  if (jars.length > 1) return { kind: 'invalid', reason: `the code zip holds several JAR files (${jars.join(', ')}), so which one to run is not known` };
  if (sqlFiles.length > 1) return { kind: 'invalid', reason: `the code zip holds several .sql files (${sqlFiles.join(', ')}) and no ${DEFAULT_SQL_FILE}; name one with ${SQL_FILE_PROPERTY_GROUP}.${SQL_FILE_PROPERTY}` };
  return { kind: 'invalid', reason: `the code zip holds no ${DEFAULT_SQL_FILE}, .sql file, PyFlink entry point or JAR` };
}

/** String literals passed to execute_sql(...) / add_insert_sql(...) in Python source, in order (best effort). */
export function sqlLiterals(source: string): string[] {
  const found: string[] = [];
  const call = /\b(?:execute_sql|add_insert_sql)\s*\(\s*[rRuU]?("""|'''|"|')([\s\S]*?)\1/g;
  for (const match of source.matchAll(call)) found.push(match[2].trim().replace(/;\s*$/, ''));
  return found;
}

/** v2 CodeContent / CodeContentUpdate members as the request gives them. */
export interface CodeInput {
  TextContent?: string;
  ZipFileContent?: Buffer;
  S3ContentLocation?: { BucketARN: string; FileKey: string; ObjectVersion?: string };
}

/**
 * The stored form of a code configuration: the zip read now (CodeMD5/CodeSize are the object's as
 * it is at create/update time; ObjectVersion is kept but the object store keeps no versions).
 * CodeUnavailableError when the object cannot be read.
 */
export async function resolveCode(store: CodeStore, app: Owner, type: 'PLAINTEXT' | 'ZIPFILE', content: CodeInput): Promise<CodeConfig> {
  if (content.TextContent !== undefined) {
    return { type, text: content.TextContent, md5: md5Hex(content.TextContent), size: Buffer.byteLength(content.TextContent) };
  }
  if (content.ZipFileContent !== undefined) {
    const md5 = await store.keepInline(app, content.ZipFileContent);
    return { type, md5, size: content.ZipFileContent.length, inlineZip: true };
  }
  const location = content.S3ContentLocation!;
  const bytes = await store.readObject(location.BucketARN, location.FileKey);
  const s3: CodeConfig['s3'] = { BucketARN: location.BucketARN, FileKey: location.FileKey };
  if (location.ObjectVersion !== undefined) s3.ObjectVersion = location.ObjectVersion;
  return { type, md5: md5Hex(bytes), size: bytes.length, s3 };
}
