import { gzipSync } from 'node:zlib';
import { ByteWriter, parquetWrite } from 'hyparquet-writer';
import type { SchemaElement } from 'hyparquet';
import type { SourceMetadata } from '../domain/delivery-stream.js';
import type { GlueCatalog, GlueTable } from '../../glue/catalog.js';
import { HiveTypeError, parseHiveType, type HiveType } from '../../glue/domain/hive-type.js';

/**
 * Record format conversion (FIREHOSE-SPEC §11): JSON records → one Apache Parquet file, read with
 * the OpenX or the Hive JSON SerDe against the columns of a Glue Data Catalog table, written by
 * hyparquet-writer (pure JS). Records that cannot be read come back as failures, which delivery
 * writes under the `format-conversion-failed` error prefix (§8.4).
 */

export type { GlueCatalog, GlueTable };

// ---- create-time checks (§11) -------------------------------------------------------------------
// Texts and their order as floci recorded them from AWS (floci-io/floci PR #3236, probed
// 2026-09-07): compression format, buffering size, the three parts, then what is inside them.

export const CONVERSION_COMPRESSION_MESSAGE =
  "The S3 destination's compression format must be set to UNCOMPRESSED when data format conversion is enabled. " +
  'To enable compression within the converted output format, set the appropriate serialization option in the output format configuration.';
/** §7: SizeInMBs ≥ 64 with format conversion (recorded, FIREHOSE-SPEC §17). */
export const CONVERSION_MIN_BUFFER_SIZE_MB = 64;
export const CONVERSION_BUFFER_SIZE_MESSAGE = `BufferingHints.SizeInMBs must be at least ${CONVERSION_MIN_BUFFER_SIZE_MB} when data format conversion is enabled.`;
/** §7: the buffer size a converting destination gets when BufferingHints are absent. */
export const CONVERSION_DEFAULT_BUFFER_SIZE_MB = 128;
export const ONE_DESERIALIZER_MESSAGE = 'More than one deserializer specified. Only one may be chosen.';
export const ONE_SERIALIZER_MESSAGE = 'More than one serializer specified. Only one may be chosen.';
/**
 * Millrace's own refusal (AWS accepts OrcSerDe): there is no maintained ORC writer for JavaScript
 * (FIREHOSE-SPEC §19.3), and a stream that could never deliver must not be accepted.
 */
export const ORC_NOT_SUPPORTED_MESSAGE =
  'OrcSerDe is not supported: Millrace has no ORC writer, so it cannot convert records to Apache ORC. Use ParquetSerDe for data format conversion.';

/** The object extension of converted output (§9): Firehose names Parquet objects `.parquet`. */
export const PARQUET_EXTENSION = '.parquet';

type Json = Record<string, unknown>;
const asObject = (value: unknown): Json | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;

/** Enabled unless `Enabled: false` (an omitted Enabled counts as enabled, as AWS treats it). */
export function isFormatConversionEnabled(conversion: unknown): boolean {
  const config = asObject(conversion);
  return config !== undefined && config.Enabled !== false;
}

/**
 * The checks of the conversion configuration itself → InvalidArgumentException message, or
 * undefined. Nothing is checked when conversion is absent or disabled.
 */
export function checkFormatConversion(conversion: unknown): string | undefined {
  if (!isFormatConversionEnabled(conversion)) return undefined;
  const config = conversion as Json;
  const input = asObject(config.InputFormatConfiguration);
  const output = asObject(config.OutputFormatConfiguration);
  const schema = asObject(config.SchemaConfiguration);
  if (!input) return 'InputFormatConfiguration must not be null';
  if (!output) return 'OutputFormatConfiguration must not be null';
  if (!schema) return 'SchemaConfiguration must not be null';
  const deserializer = asObject(input.Deserializer);
  const deserializers = deserializer ? ['OpenXJsonSerDe', 'HiveJsonSerDe'].filter((k) => deserializer[k] != null).length : 0;
  if (deserializers === 0) return 'Deserializer must not be null';
  if (deserializers > 1) return ONE_DESERIALIZER_MESSAGE;
  const serializer = asObject(output.Serializer);
  const serializers = serializer ? ['ParquetSerDe', 'OrcSerDe'].filter((k) => serializer[k] != null).length : 0;
  if (serializers === 0) return 'Serializer must not be null';
  if (serializers > 1) return ONE_SERIALIZER_MESSAGE;
  if (serializer!.OrcSerDe != null) return ORC_NOT_SUPPORTED_MESSAGE;
  // AWS's text spells the member RoleArn although the wire member is RoleARN (floci's probe).
  for (const [member, text] of [
    ['RoleARN', 'RoleArn'],
    ['DatabaseName', 'DatabaseName'],
    ['TableName', 'TableName'],
  ] as const) {
    if (typeof schema[member] !== 'string' || schema[member] === '') return `SchemaConfiguration.${text} must not be null or empty`;
  }
  const hive = asObject(deserializer!.HiveJsonSerDe);
  if (hive && Array.isArray(hive.TimestampFormats)) {
    for (const format of hive.TimestampFormats) {
      try {
        compileTimestampFormat(String(format));
      } catch (err) {
        return `Invalid timestamp format '${String(format)}': ${(err as Error).message}`; // text UNVERIFIED
      }
    }
  }
  return undefined;
}

/**
 * Every create/update-time check of §11 for an ExtendedS3 destination (the only destination whose
 * model has DataFormatConversionConfiguration), in AWS's order. `sizeInMBs` is the SizeInMBs the
 * request gave explicitly (AWS checks only an explicit one).
 */
export function checkFormatConversionDestination(destination: { conversion: unknown; compressionFormat?: string; sizeInMBs?: number }): string | undefined {
  if (!isFormatConversionEnabled(destination.conversion)) return undefined;
  if (destination.compressionFormat !== undefined && destination.compressionFormat !== 'UNCOMPRESSED') return CONVERSION_COMPRESSION_MESSAGE;
  if (destination.sizeInMBs !== undefined && destination.sizeInMBs < CONVERSION_MIN_BUFFER_SIZE_MB) return CONVERSION_BUFFER_SIZE_MESSAGE;
  return checkFormatConversion(destination.conversion);
}

/** The table a conversion reads its schema from (SchemaConfiguration); CatalogId and Region default to the stream's. */
export function schemaTableOf(conversion: unknown, stream: { account: string; region: string }) {
  const schema = asObject(asObject(conversion)?.SchemaConfiguration) ?? {};
  return {
    catalogId: typeof schema.CatalogId === 'string' ? schema.CatalogId : stream.account,
    region: typeof schema.Region === 'string' ? schema.Region : stream.region,
    databaseName: String(schema.DatabaseName ?? ''),
    tableName: String(schema.TableName ?? ''),
    versionId: typeof schema.VersionId === 'string' ? schema.VersionId : 'LATEST',
  };
}

// ---- failures (§8.4) ----------------------------------------------------------------------------

/**
 * Error codes of conversion failures, as error objects and logs carry them. The names follow
 * Firehose's `DataFormatConversion.*` family; the exact codes and texts are UNVERIFIED.
 */
export const MALFORMED_DATA_CODE = 'DataFormatConversion.MalformedData';
export const INVALID_SCHEMA_CODE = 'DataFormatConversion.InvalidSchema';
export const ENTITY_NOT_FOUND_CODE = 'DataFormatConversion.EntityNotFound';
export const ENTITY_NOT_FOUND_MESSAGE =
  'The specified table/database could not be found. Please ensure that the table/database exists and that the values provided in the schema configuration are correct, especially with regards to casing.';

export interface ConversionInputRecord {
  index: number;
  data: Buffer;
  arrival: number;
  source?: SourceMetadata;
}

/** `dataCatalogTable` of a format-conversion-failed error record (§8.4). */
export interface DataCatalogTableReference {
  catalogId: string;
  databaseName: string;
  tableName: string;
  region: string;
  versionId: string;
  catalogArn: string;
}

/** A record that did not convert; shaped like processing's FailedRecord, plus the table (§8.4). */
export interface ConversionFailure {
  index: number;
  rawData: Buffer;
  arrival: number;
  source?: SourceMetadata;
  errorCode: string;
  errorMessage: string;
  attemptsMade: number;
  attemptEndingTimestamp: number;
  errorOutputType: 'format-conversion-failed';
  dataCatalogTable: DataCatalogTableReference;
}

export function dataCatalogTableOf(conversion: unknown, stream: { account: string; region: string }, table?: GlueTable): DataCatalogTableReference {
  const ref = schemaTableOf(conversion, stream);
  return {
    catalogId: ref.catalogId,
    databaseName: ref.databaseName,
    tableName: ref.tableName,
    region: ref.region,
    versionId: table?.VersionId ?? ref.versionId,
    catalogArn: `arn:aws:glue:${ref.region}:${ref.catalogId}:catalog`,
  };
}

/**
 * The error record of a format-conversion-failed object (§8.4, docs
 * record-format-conversion-error-handling): the current documentation names the code and message
 * `lastErrorCode` / `lastErrorMessage` (older pages `ErrorCode` / `ErrorMessage`). A DirectPut
 * record has no sequence number: Firehose's own record id is not kept, so it is absent (UNVERIFIED
 * what AWS writes there for DirectPut).
 */
export function formatConversionErrorRecord(failure: ConversionFailure): Record<string, unknown> {
  return {
    attemptsMade: failure.attemptsMade,
    arrivalTimestamp: failure.arrival,
    lastErrorCode: failure.errorCode,
    lastErrorMessage: failure.errorMessage,
    attemptEndingTimestamp: failure.attemptEndingTimestamp,
    rawData: failure.rawData.toString('base64'),
    sequenceNumber: failure.source?.sequenceNumber,
    subSequenceNumber: failure.source?.subsequenceNumber ?? 0,
    dataCatalogTable: failure.dataCatalogTable,
  };
}

/** Every record failed with one reason (table missing, schema unreadable): delivery's fallback too. */
export function failAll(
  records: ConversionInputRecord[],
  errorCode: string,
  errorMessage: string,
  dataCatalogTable: DataCatalogTableReference,
  now = Date.now(),
): ConversionFailure[] {
  return records.map((record) => ({
    index: record.index,
    rawData: record.data,
    arrival: record.arrival,
    source: record.source,
    errorCode,
    errorMessage,
    attemptsMade: 1,
    attemptEndingTimestamp: now,
    errorOutputType: 'format-conversion-failed',
    dataCatalogTable,
  }));
}

// ---- conversion ---------------------------------------------------------------------------------

export interface ConversionOptions {
  /** The stream's account and region: defaults of SchemaConfiguration's CatalogId and Region. */
  account?: string;
  region?: string;
  now?: () => number;
}

export interface ConversionResult {
  /** One Parquet file holding every converted row (no rows: an empty but valid file). */
  body: Buffer;
  failed: ConversionFailure[];
  /** Rows written (a record may hold several concatenated JSON objects, §11). */
  rows: number;
  /** Records that converted (SucceedConversion.Records, §15). */
  convertedRecords: number;
  extension: string;
}

/** JSON records → one Parquet file (§11); records that do not convert come back as failures. */
export async function convertToParquet(
  records: ConversionInputRecord[],
  conversion: Record<string, unknown>,
  table: GlueTable,
  options: ConversionOptions = {},
): Promise<ConversionResult> {
  const now = options.now ?? Date.now;
  const stream = { account: options.account ?? table.CatalogId, region: options.region ?? '' };
  const catalogTable = dataCatalogTableOf(conversion, stream, table);
  let columns: ColumnReader[];
  let serde: SerdeSettings;
  try {
    columns = tableColumns(table);
    // Checked at create time; a configuration stored before that check still fails cleanly here.
    serde = readSerde(conversion);
  } catch (err) {
    const message = err instanceof HiveTypeError || err instanceof SchemaError ? err.message : `Invalid deserializer configuration: ${(err as Error).message}`;
    return { body: Buffer.alloc(0), failed: failAll(records, INVALID_SCHEMA_CODE, message, catalogTable, now()), rows: 0, convertedRecords: 0, extension: PARQUET_EXTENSION };
  }
  for (const column of columns) {
    const columnKey = serde.caseInsensitive ? column.name.toLowerCase() : column.name;
    column.jsonKey = serde.mappings.get(columnKey) ?? columnKey;
  }
  const parquet = readParquetSerDe(conversion);
  // Column by column, as the writer takes them.
  const data: unknown[][] = columns.map(() => []);
  let rowCount = 0;
  const failed: ConversionFailure[] = [];
  let convertedRecords = 0;
  for (let r = 0; r < records.length; r++) {
    // A 128 MiB buffer holds about a million small records: the event loop gets its turn now and then.
    if (r > 0 && r % READ_YIELD_RECORDS === 0) await yieldToEventLoop();
    const record = records[r];
    try {
      const objects = parseConcatenatedJson(record.data);
      const recordRows = objects.map((object) => readRow(object, columns, serde));
      for (const row of recordRows) for (let i = 0; i < row.length; i++) data[i].push(row[i]);
      rowCount += recordRows.length;
      convertedRecords++;
    } catch (err) {
      if (!(err instanceof MalformedRecordError)) throw err;
      failed.push(...failAll([record], MALFORMED_DATA_CODE, err.message, catalogTable, now()));
    }
  }
  const body = await writeParquet(columns, data, parquet);
  return { body, failed, rows: rowCount, convertedRecords, extension: PARQUET_EXTENSION };
}

/** Looks the table up as SchemaConfiguration names it, then converts; a missing table fails every record. */
export async function convertWithCatalog(
  records: ConversionInputRecord[],
  conversion: Record<string, unknown>,
  catalog: GlueCatalog,
  stream: { account: string; region: string },
  now: () => number = Date.now,
): Promise<ConversionResult> {
  const ref = schemaTableOf(conversion, stream);
  const table = await catalog.getTable(stream.account, ref.region, ref.databaseName, ref.tableName, ref.catalogId, ref.versionId);
  if (!table) {
    return {
      body: Buffer.alloc(0),
      failed: failAll(records, ENTITY_NOT_FOUND_CODE, ENTITY_NOT_FOUND_MESSAGE, dataCatalogTableOf(conversion, stream), now()),
      rows: 0,
      convertedRecords: 0,
      extension: PARQUET_EXTENSION,
    };
  }
  return convertToParquet(records, conversion, table, { ...stream, now });
}

/** Records read between two turns of the event loop. */
export const READ_YIELD_RECORDS = 2_000;
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

class MalformedRecordError extends Error {}
class SchemaError extends Error {}

// ---- reading JSON -------------------------------------------------------------------------------

/**
 * A record may hold several JSON objects one after another (`{"a":1}{"a":2}`), each a row; an array
 * is not valid input (§11). Whitespace between objects is allowed.
 */
export function parseConcatenatedJson(data: Buffer): Json[] {
  const text = data.toString('utf8');
  try {
    const single = JSON.parse(text) as unknown;
    const object = asObject(single);
    if (!object) throw new MalformedRecordError(notAnObjectMessage(single));
    return [object];
  } catch (err) {
    if (err instanceof MalformedRecordError) throw err;
  }
  const objects: Json[] = [];
  let pos = 0;
  while (pos < text.length) {
    while (pos < text.length && /\s/.test(text[pos])) pos++;
    if (pos >= text.length) break;
    if (text[pos] !== '{') throw new MalformedRecordError(`Malformed JSON: unexpected character '${text[pos]}' at offset ${pos}; only JSON objects can be converted`);
    const end = endOfObject(text, pos);
    if (end === -1) throw new MalformedRecordError('Malformed JSON: unexpected end of input');
    let object: unknown;
    try {
      object = JSON.parse(text.slice(pos, end));
    } catch (err) {
      throw new MalformedRecordError(`Malformed JSON: ${(err as Error).message}`);
    }
    objects.push(object as Json);
    pos = end;
  }
  if (objects.length === 0) throw new MalformedRecordError('Malformed JSON: the record holds no JSON object');
  return objects;
}

function notAnObjectMessage(value: unknown): string {
  return Array.isArray(value) ? 'Malformed JSON: an array of JSON documents is not valid input; send the objects one after another' : 'Malformed JSON: the record is not a JSON object';
}

/** The offset just past the object starting at `start`, or -1 if it never closes. */
function endOfObject(text: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) depth++;
    else if (c === 0x7d || c === 0x5d) {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
}

// ---- SerDe settings -----------------------------------------------------------------------------

interface SerdeSettings {
  kind: 'openx' | 'hive';
  /** OpenX CaseInsensitive (default true); the Hive SerDe matches names case-insensitively (Hive lower-cases them). */
  caseInsensitive: boolean;
  /** OpenX ConvertDotsInJsonKeysToUnderscores (default false). */
  dotsToUnderscores: boolean;
  /** OpenX ColumnToJsonKeyMappings: column → JSON key. */
  mappings: Map<string, string>;
  /** Hive TimestampFormats, compiled. */
  timestampFormats: Array<(text: string) => number | undefined>;
  acceptsMillis: boolean;
}

function readSerde(conversion: Json): SerdeSettings {
  const deserializer = asObject(asObject(conversion.InputFormatConfiguration)?.Deserializer) ?? {};
  const hive = asObject(deserializer.HiveJsonSerDe);
  if (hive) {
    const formats = Array.isArray(hive.TimestampFormats) ? hive.TimestampFormats.map(String) : [];
    return {
      kind: 'hive',
      caseInsensitive: true,
      dotsToUnderscores: false,
      mappings: new Map(),
      timestampFormats: formats.filter((f) => f !== HIVE_MILLIS_FORMAT).map(compileTimestampFormat),
      acceptsMillis: formats.includes(HIVE_MILLIS_FORMAT),
    };
  }
  const openx = asObject(deserializer.OpenXJsonSerDe) ?? {};
  const caseInsensitive = openx.CaseInsensitive !== false;
  const mappings = new Map<string, string>();
  for (const [column, key] of Object.entries(asObject(openx.ColumnToJsonKeyMappings) ?? {})) {
    mappings.set(caseInsensitive ? column.toLowerCase() : column, caseInsensitive ? String(key).toLowerCase() : String(key));
  }
  return { kind: 'openx', caseInsensitive, dotsToUnderscores: openx.ConvertDotsInJsonKeysToUnderscores === true, mappings, timestampFormats: [], acceptsMillis: false };
}

interface ParquetSettings {
  codec: 'SNAPPY' | 'GZIP' | 'UNCOMPRESSED';
  pageSize: number;
  dictionary: boolean;
}

/** ParquetSerDe defaults (§11): SNAPPY, 1 MiB pages. BlockSizeBytes (≥ 64 MiB) exceeds any buffer, so every file is one row group. */
export const PARQUET_DEFAULT_PAGE_SIZE_BYTES = 1024 * 1024;

function readParquetSerDe(conversion: Json): ParquetSettings {
  const serde = asObject(asObject(asObject(conversion.OutputFormatConfiguration)?.Serializer)?.ParquetSerDe) ?? {};
  const compression = serde.Compression;
  return {
    codec: compression === 'GZIP' || compression === 'UNCOMPRESSED' ? compression : 'SNAPPY',
    pageSize: typeof serde.PageSizeBytes === 'number' ? serde.PageSizeBytes : PARQUET_DEFAULT_PAGE_SIZE_BYTES,
    dictionary: serde.EnableDictionaryCompression !== false,
  };
}

// ---- columns and rows ---------------------------------------------------------------------------

interface ColumnReader {
  name: string;
  type: HiveType;
  /** The normalised JSON key the column reads (after case folding and ColumnToJsonKeyMappings). */
  jsonKey: string;
}

function tableColumns(table: GlueTable): ColumnReader[] {
  const declared = [...(table.StorageDescriptor?.Columns ?? [])];
  if (declared.length === 0) throw new SchemaError(`The table ${table.DatabaseName}.${table.Name} has no columns.`);
  return declared.map((column) => {
    if (!column.Type) throw new SchemaError(`Column ${column.Name} has no type.`);
    const type = parseHiveType(column.Type);
    checkWritable(type, column.Name);
    return { name: column.Name, type, jsonKey: column.Name };
  });
}

function checkWritable(type: HiveType, name: string): void {
  if (type.kind === 'struct') {
    if (type.fields.length === 0) throw new SchemaError(`Column ${name}: a struct needs at least one field.`);
    for (const field of type.fields) checkWritable(field.type, `${name}.${field.name}`);
  } else if (type.kind === 'array') checkWritable(type.element, name);
  else if (type.kind === 'map') {
    checkWritable(type.key, name);
    checkWritable(type.value, name);
  }
}

/** The key an incoming JSON key is matched by. */
function normaliseKey(key: string, serde: SerdeSettings): string {
  let k = serde.caseInsensitive ? key.toLowerCase() : key;
  if (serde.dotsToUnderscores) k = k.replaceAll('.', '_');
  return k;
}

/** An object's members under their normalised keys (the last of keys that collide wins). */
function normalisedMembers(object: Json, serde: SerdeSettings): Map<string, unknown> {
  const members = new Map<string, unknown>();
  for (const key in object) members.set(normaliseKey(key, serde), object[key]);
  return members;
}

function readRow(object: Json, columns: ColumnReader[], serde: SerdeSettings): unknown[] {
  // Most JSON spells its keys as the columns do (lower case, no dots): such an object is read as it
  // is; only one with a key that normalising could change gets a normalised copy (whose last
  // colliding key wins).
  const members = serde.caseInsensitive || serde.dotsToUnderscores ? (needsNormalising(object) ? normalisedMembers(object, serde) : undefined) : undefined;
  const row = new Array<unknown>(columns.length);
  for (let i = 0; i < columns.length; i++) {
    const key = columns[i].jsonKey;
    const value = members ? members.get(key) : Object.prototype.hasOwnProperty.call(object, key) ? object[key] : undefined;
    row[i] = readValue(columns[i].type, value, serde, columns[i].name);
  }
  return row;
}

/** Keys made only of these characters are unchanged by case folding and dot conversion. */
const PLAIN_KEY = /^[a-z0-9_$@-]*$/;

function needsNormalising(object: Json): boolean {
  for (const key in object) if (!PLAIN_KEY.test(key)) return true;
  return false;
}

const INT_RANGES = {
  tinyint: [-128, 127],
  smallint: [-32768, 32767],
  int: [-2147483648, 2147483647],
} as const;
const BIGINT_MIN = -(2n ** 63n);
const BIGINT_MAX = 2n ** 63n - 1n;
const INTEGER_TEXT = /^[+-]?\d+$/;
const NUMBER_TEXT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

const mismatch = (path: string, type: string, value: unknown) =>
  new MalformedRecordError(`Data does not match the schema: cannot read ${JSON.stringify(value)?.slice(0, 100)} as ${type} for column ${path}`);

/** One JSON value as the column type reads it; null for absent values. */
function readValue(type: HiveType, value: unknown, serde: SerdeSettings, path: string): unknown {
  if (value === null || value === undefined) return null;
  switch (type.kind) {
    case 'string': {
      let text: string;
      if (typeof value === 'string') text = value;
      else if (typeof value === 'number' || typeof value === 'boolean') text = String(value);
      // OpenX hands a nested value to a string column as its JSON text; Hive's SerDe refuses it.
      else if (serde.kind === 'openx') text = JSON.stringify(value);
      else throw mismatch(path, 'string', value);
      return type.maxLength !== undefined && text.length > type.maxLength ? text.slice(0, type.maxLength) : text;
    }
    case 'binary':
      if (typeof value === 'string') return new TextEncoder().encode(value);
      throw mismatch(path, 'binary', value);
    case 'boolean':
      if (typeof value === 'boolean') return value;
      if (typeof value === 'string' && /^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
      throw mismatch(path, 'boolean', value);
    case 'tinyint':
    case 'smallint':
    case 'int': {
      const n = typeof value === 'number' ? Math.trunc(value) : typeof value === 'string' && INTEGER_TEXT.test(value.trim()) ? Number(value.trim()) : NaN;
      const [min, max] = INT_RANGES[type.kind];
      if (!Number.isFinite(n) || n < min || n > max) throw mismatch(path, type.kind, value);
      return n;
    }
    case 'bigint': {
      let n: bigint;
      if (typeof value === 'number' && Number.isFinite(value)) n = BigInt(Math.trunc(value));
      else if (typeof value === 'string' && INTEGER_TEXT.test(value.trim())) n = BigInt(value.trim());
      else throw mismatch(path, 'bigint', value);
      if (n < BIGINT_MIN || n > BIGINT_MAX) throw mismatch(path, 'bigint', value);
      return n;
    }
    case 'float':
    case 'double': {
      const n = typeof value === 'number' ? value : typeof value === 'string' && NUMBER_TEXT.test(value.trim()) ? Number(value.trim()) : NaN;
      if (Number.isNaN(n)) throw mismatch(path, type.kind, value);
      return type.kind === 'float' ? Math.fround(n) : n;
    }
    case 'decimal': {
      const text = typeof value === 'number' && Number.isFinite(value) ? String(value) : typeof value === 'string' ? value.trim() : undefined;
      if (text === undefined || !NUMBER_TEXT.test(text)) throw mismatch(path, `decimal(${type.precision},${type.scale})`, value);
      return scaledDecimal(text, type.precision, type.scale);
    }
    case 'timestamp': {
      const ms = serde.kind === 'openx' ? openxTimestamp(value) : hiveTimestamp(value, serde);
      if (ms === undefined) throw mismatch(path, 'timestamp', value);
      return int96Timestamp(ms);
    }
    case 'date': {
      const days = typeof value === 'string' ? dateDays(value) : undefined;
      if (days === undefined) throw mismatch(path, 'date', value);
      return days;
    }
    case 'array':
      if (!Array.isArray(value)) throw mismatch(path, 'array', value);
      return value.map((element) => readValue(type.element, element, serde, `${path}[]`));
    case 'map': {
      const object = asObject(value);
      if (!object) throw mismatch(path, 'map', value);
      const entries: Array<{ key: unknown; value: unknown }> = [];
      for (const key in object) {
        const mapKey = readValue(type.key, key, serde, `${path}.key`);
        // Parquet map keys are required: a key that reads as null cannot be stored.
        if (mapKey === null) throw mismatch(path, 'map key', key);
        entries.push({ key: mapKey, value: readValue(type.value, object[key], serde, `${path}.${key}`) });
      }
      return entries;
    }
    case 'struct': {
      const object = asObject(value);
      if (!object) throw mismatch(path, 'struct', value);
      const members = normalisedMembers(object, serde);
      const out: Record<string, unknown> = {};
      for (const field of type.fields) {
        const key = serde.caseInsensitive ? field.name.toLowerCase() : field.name;
        out[field.name] = readValue(field.type, members.get(key), serde, `${path}.${field.name}`);
      }
      return out;
    }
  }
}

/**
 * A decimal text as the unscaled BigInt of decimal(p,s), rounded half-up to the scale as Hive's
 * HiveDecimal does. A value with more integer digits than p−s becomes null, as Hive's
 * enforcePrecisionScale makes it (not a failure).
 */
function scaledDecimal(text: string, precision: number, scale: number): bigint | null {
  const match = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text)!;
  const negative = match[1] === '-';
  let digits = (match[2] || '') + (match[3] || '');
  const pointAt = (match[2] || '').length + Number(match[4] ?? 0);
  // Shift so that exactly `scale` digits follow the point, rounding half-up on what is cut.
  const wanted = pointAt + scale;
  if (wanted < 0) return 0n;
  if (digits.length < wanted) digits = digits.padEnd(wanted, '0');
  let unscaled = BigInt(digits.slice(0, wanted) || '0');
  const next = digits[wanted];
  if (next !== undefined && next >= '5') unscaled += 1n;
  if (unscaled.toString().length > precision) return null;
  return negative ? -unscaled : unscaled;
}

// ---- timestamps ---------------------------------------------------------------------------------

/**
 * OpenX's formats (§11): `yyyy-MM-dd'T'HH:mm:ss[.S]'Z'` and `yyyy-[M]M-[d]d HH:mm:ss[.S]` (fraction up
 * to 9 digits), and epoch seconds or milliseconds as numbers (a fractional number is seconds).
 */
const OPENX_ISO = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?Z$/;
const SQL_TIMESTAMP = /^(\d{4})-(\d{1,2})-(\d{1,2}) (\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?$/;
/**
 * An integral epoch number at or above this is milliseconds, below it seconds (1e11 s is the year
 * 5138; 1e11 ms is 1973). How OpenX tells them apart is UNVERIFIED.
 */
export const EPOCH_MILLIS_THRESHOLD = 1e11;
/** The Hive SerDe's TimestampFormats entry that means epoch milliseconds. */
export const HIVE_MILLIS_FORMAT = 'millis';

function fromParts(match: RegExpExecArray): number | undefined {
  const [y, mo, d, h, mi, s] = match.slice(1, 7).map(Number);
  const fraction = match[7] ? Number(match[7].padEnd(3, '0').slice(0, 3)) : 0;
  return calendarMillis(y, mo, d, h, mi, s, fraction);
}

function calendarMillis(y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number): number | undefined {
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59) return undefined;
  const t = Date.UTC(y, mo - 1, d, h, mi, s, ms);
  if (new Date(t).getUTCDate() !== d) return undefined; // 31 February and the like
  return t;
}

function epochMillis(value: number): number {
  if (!Number.isInteger(value)) return Math.trunc(value * 1000);
  return Math.abs(value) >= EPOCH_MILLIS_THRESHOLD ? value : value * 1000;
}

function openxTimestamp(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return epochMillis(value);
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  const match = OPENX_ISO.exec(text) ?? SQL_TIMESTAMP.exec(text);
  if (match) return fromParts(match);
  if (NUMBER_TEXT.test(text)) return epochMillis(Number(text));
  return undefined;
}

/** Hive's SerDe: the TimestampFormats given ("millis" included), then java.sql.Timestamp's own format. */
function hiveTimestamp(value: unknown, serde: SerdeSettings): number | undefined {
  if (typeof value === 'number') return serde.acceptsMillis && Number.isInteger(value) ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  for (const format of serde.timestampFormats) {
    const ms = format(text);
    if (ms !== undefined) return ms;
  }
  if (serde.acceptsMillis && INTEGER_TEXT.test(text)) return Number(text);
  const match = SQL_TIMESTAMP.exec(text);
  return match ? fromParts(match) : undefined;
}

const DATE_TEXT = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?$/;
const DAY_MS = 86_400_000;

/** Hive's date from text `yyyy-[M]M-[d]d` (a time after it is ignored), as days since the epoch. */
function dateDays(value: string): number | undefined {
  const match = DATE_TEXT.exec(value.trim());
  if (!match) return undefined;
  const t = calendarMillis(Number(match[1]), Number(match[2]), Number(match[3]), 0, 0, 0, 0);
  return t === undefined ? undefined : Math.floor(t / DAY_MS);
}

/**
 * A Joda-Time pattern (the Hive SerDe's TimestampFormats) as a parser of UTC timestamps. Letters
 * understood: y, M (MM, MMM, MMMM), d, H, h, a, m, s, S (fraction), Z / ZZ (offset), 'quoted'
 * text; anything else throws.
 */
export function compileTimestampFormat(pattern: string): (text: string) => number | undefined {
  const fields: string[] = [];
  let source = '';
  for (let i = 0; i < pattern.length; ) {
    const c = pattern[i];
    if (c === "'") {
      const end = pattern.indexOf("'", i + 1);
      if (end === -1) throw new Error('unterminated quote');
      source += end === i + 1 ? "'" : escapeRegex(pattern.slice(i + 1, end));
      i = end + 1;
      continue;
    }
    if (!/[A-Za-z]/.test(c)) {
      source += escapeRegex(c);
      i++;
      continue;
    }
    let n = 1;
    while (pattern[i + n] === c) n++;
    i += n;
    switch (c) {
      case 'y':
      case 'Y':
        source += n === 2 ? '(\\d{2})' : '(\\d{4})';
        fields.push(n === 2 ? 'yy' : 'y');
        break;
      case 'M':
        if (n >= 3) {
          source += '([A-Za-z]+)';
          fields.push('MMM');
        } else {
          source += n === 2 ? '(\\d{2})' : '(\\d{1,2})';
          fields.push('M');
        }
        break;
      case 'd':
      case 'H':
      case 'h':
      case 'm':
      case 's':
        source += n === 2 ? '(\\d{2})' : '(\\d{1,2})';
        fields.push(c);
        break;
      case 'S':
        source += `(\\d{1,${Math.max(n, 9)}})`;
        fields.push('S');
        break;
      case 'a':
        source += '([AaPp][Mm])';
        fields.push('a');
        break;
      case 'Z':
        source += n >= 2 ? '(Z|[+-]\\d{2}:\\d{2})' : '(Z|[+-]\\d{4})';
        fields.push('Z');
        break;
      default:
        throw new Error(`pattern letter '${c}' is not supported`);
    }
  }
  const re = new RegExp(`^${source}$`);
  return (text) => {
    const match = re.exec(text);
    if (!match) return undefined;
    let y = 1970, mo = 1, d = 1, h = 0, mi = 0, s = 0, ms = 0, offsetMinutes = 0;
    let pm: boolean | undefined;
    fields.forEach((field, k) => {
      const part = match[k + 1];
      switch (field) {
        case 'y': y = Number(part); break;
        case 'yy': y = 2000 + Number(part); break;
        case 'M': mo = Number(part); break;
        case 'MMM': mo = monthNumber(part); break;
        case 'd': d = Number(part); break;
        case 'H': case 'h': h = Number(part); break;
        case 'm': mi = Number(part); break;
        case 's': s = Number(part); break;
        case 'S': ms = Number(part.padEnd(3, '0').slice(0, 3)); break;
        case 'a': pm = part.toLowerCase() === 'pm'; break;
        case 'Z':
          if (part !== 'Z') {
            const sign = part[0] === '-' ? -1 : 1;
            const digits = part.slice(1).replace(':', '');
            offsetMinutes = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2)));
          }
          break;
      }
    });
    if (pm !== undefined) h = (h % 12) + (pm ? 12 : 0);
    const t = calendarMillis(y, mo, d, h, mi, s, ms);
    return t === undefined ? undefined : t - offsetMinutes * 60_000;
  };
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const monthNumber = (name: string) => MONTHS.indexOf(name.slice(0, 3).toLowerCase()) + 1 || 0;
const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

// ---- Parquet ------------------------------------------------------------------------------------

/** Hive's name for the root of the Parquet schema it writes (MapredParquetOutputFormat). */
export const PARQUET_ROOT_NAME = 'hive_schema';
/**
 * Timestamps are written as INT96, as Hive's Parquet writer (ParquetHiveSerDe, which AWS's
 * conversion is built on) writes them: 8 bytes little-endian nanoseconds of the day, then 4 bytes
 * little-endian Julian day, no converted type. (Why Spark needs `int96AsTimestamp` for Firehose
 * output.) hyparquet-writer has no INT96, so the column is written as FIXED_LEN_BYTE_ARRAY(12), whose
 * PLAIN and dictionary encodings are byte for byte INT96's, and the footer's type is then patched.
 */
export const PARQUET_TIMESTAMP_TYPE = 'INT96';
/** Julian day number of 1970-01-01. */
const JULIAN_DAY_OF_EPOCH = 2_440_588;
const MS_PER_DAY = 86_400_000;

/** An epoch-ms instant as Hive's INT96 value. */
export function int96Timestamp(epochMs: number): Uint8Array {
  const days = Math.floor(epochMs / MS_PER_DAY);
  const nanosOfDay = BigInt(epochMs - days * MS_PER_DAY) * 1_000_000n;
  const bytes = new Uint8Array(12);
  const view = new DataView(bytes.buffer);
  view.setBigInt64(0, nanosOfDay, true);
  view.setInt32(8, days + JULIAN_DAY_OF_EPOCH, true);
  return bytes;
}

/** Bytes of a FIXED_LEN_BYTE_ARRAY that holds every unscaled value of `precision` digits (Hive's table). */
function decimalBytes(precision: number): number {
  let bytes = 1;
  while (2n ** BigInt(8 * bytes - 1) < 10n ** BigInt(precision)) bytes++;
  return bytes;
}

function schemaElements(name: string, type: HiveType, repetition: 'OPTIONAL' | 'REQUIRED'): SchemaElement[] {
  const leaf = (element: Partial<SchemaElement>): SchemaElement[] => [{ name, repetition_type: repetition, ...element } as SchemaElement];
  switch (type.kind) {
    case 'string':
      return leaf({ type: 'BYTE_ARRAY', converted_type: 'UTF8' });
    case 'binary':
      return leaf({ type: 'BYTE_ARRAY' });
    case 'boolean':
      return leaf({ type: 'BOOLEAN' });
    case 'tinyint':
      return leaf({ type: 'INT32', converted_type: 'INT_8' });
    case 'smallint':
      return leaf({ type: 'INT32', converted_type: 'INT_16' });
    case 'int':
      return leaf({ type: 'INT32' });
    case 'bigint':
      return leaf({ type: 'INT64' });
    case 'float':
      return leaf({ type: 'FLOAT' });
    case 'double':
      return leaf({ type: 'DOUBLE' });
    case 'timestamp':
      return leaf({ type: 'FIXED_LEN_BYTE_ARRAY', type_length: INT96_BYTES });
    case 'date':
      return leaf({ type: 'INT32', converted_type: 'DATE' });
    case 'decimal':
      return leaf({ type: 'FIXED_LEN_BYTE_ARRAY', type_length: decimalBytes(type.precision), converted_type: 'DECIMAL', precision: type.precision, scale: type.scale });
    case 'array':
      // Hive's list layout: <name> (LIST) { repeated group bag { optional <element> array_element } }
      return [
        { name, repetition_type: repetition, converted_type: 'LIST', num_children: 1 } as SchemaElement,
        { name: 'bag', repetition_type: 'REPEATED', num_children: 1 } as SchemaElement,
        ...schemaElements('array_element', type.element, 'OPTIONAL'),
      ];
    case 'map':
      // Hive's map layout: <name> (MAP) { repeated group map (MAP_KEY_VALUE) { required key; optional value } }
      return [
        { name, repetition_type: repetition, converted_type: 'MAP', num_children: 1 } as SchemaElement,
        { name: 'map', repetition_type: 'REPEATED', converted_type: 'MAP_KEY_VALUE', num_children: 2 } as SchemaElement,
        ...schemaElements('key', type.key, 'REQUIRED'),
        ...schemaElements('value', type.value, 'OPTIONAL'),
      ];
    case 'struct':
      return [
        { name, repetition_type: repetition, num_children: type.fields.length } as SchemaElement,
        ...type.fields.flatMap((field) => schemaElements(field.name, field.type, 'OPTIONAL')),
      ];
  }
}

/**
 * Rows per row group. Hive's writer closes a row group at BlockSizeBytes (≥ 64 MiB, §11), which in
 * practice puts a whole buffer in one; Millrace closes one every ROW_GROUP_ROWS rows instead so that
 * the event loop gets a turn between row groups (writing one is synchronous). Readers see the same
 * rows and types either way.
 */
export const ROW_GROUP_ROWS = 50_000;

/** A ByteWriter whose flush (called after each row group) lets other work run. */
class YieldingByteWriter extends ByteWriter {
  flush(): Promise<void> {
    return yieldToEventLoop();
  }
}

async function writeParquet(columns: ColumnReader[], data: unknown[][], settings: ParquetSettings): Promise<Buffer> {
  const schema: SchemaElement[] = [
    { name: PARQUET_ROOT_NAME, num_children: columns.length } as SchemaElement,
    ...columns.flatMap((column) => schemaElements(column.name, column.type, 'OPTIONAL')),
  ];
  const writer = new YieldingByteWriter();
  await parquetWrite({
    writer,
    schema,
    columnData: columns.map((column, i) => ({ name: column.name, data: data[i] })),
    codec: settings.codec,
    compressors: { GZIP: (bytes: Uint8Array) => gzipSync(bytes) },
    pageSize: settings.pageSize,
    rowGroupSize: ROW_GROUP_ROWS,
    ...(settings.dictionary ? {} : { dictionarySize: 0 }),
    createdBy: 'millrace (hyparquet-writer)',
  });
  const file = Buffer.from(writer.getBuffer());
  markInt96Columns(file);
  return file;
}

const INT96_BYTES = 12;
// parquet.thrift Type values and the Compact Protocol's field types.
const THRIFT_TYPE_INT96 = 3;
const THRIFT_TYPE_FIXED_LEN_BYTE_ARRAY = 7;

/**
 * Rewrites, in place, the footer's type of every timestamp column from FIXED_LEN_BYTE_ARRAY to
 * INT96: the schema elements that are FIXED_LEN_BYTE_ARRAY(12) with no converted or logical type
 * (decimals always have one) and the column chunks of those leaves. Both values are one-byte
 * zigzag varints, so nothing moves. Their statistics stay, but readers ignore INT96 statistics
 * (its sort order is undefined).
 */
function markInt96Columns(file: Buffer): void {
  const footerLength = file.readUInt32LE(file.length - 8);
  const reader = new CompactReader(file, file.length - 8 - footerLength);
  const int96Leaves = new Set<number>();
  const typeOffsets: number[] = [];
  let leaf = 0;
  reader.struct((fileField, fileType) => {
    if (fileField === 2 && fileType === COMPACT_LIST) {
      reader.list(() => {
        let type: { value: number; offset: number } | undefined;
        let length: number | undefined;
        let annotated = false;
        let children = false;
        reader.struct((field, fieldType) => {
          if (field === 1 && fieldType === COMPACT_I32) type = reader.i32WithOffset();
          else if (field === 2 && fieldType === COMPACT_I32) length = reader.i32WithOffset().value;
          else if (field === 5 && fieldType === COMPACT_I32) children = reader.i32WithOffset().value > 0;
          else if ((field === 6 || field === 10) && fieldType !== COMPACT_STOP) {
            annotated = true;
            reader.skip(fieldType);
          } else reader.skip(fieldType);
        });
        if (children || !type) return; // the root or a group
        if (type.value === THRIFT_TYPE_FIXED_LEN_BYTE_ARRAY && length === INT96_BYTES && !annotated) {
          int96Leaves.add(leaf);
          typeOffsets.push(type.offset);
        }
        leaf++;
      });
    } else if (fileField === 4 && fileType === COMPACT_LIST) {
      reader.list(() =>
        reader.struct((groupField, groupType) => {
          if (groupField !== 1 || groupType !== COMPACT_LIST) return reader.skip(groupType);
          let column = 0;
          reader.list(() => {
            const index = column++;
            reader.struct((chunkField, chunkType) => {
              if (chunkField !== 3 || chunkType !== COMPACT_STRUCT) return reader.skip(chunkType);
              reader.struct((metaField, metaType) => {
                if (metaField === 1 && metaType === COMPACT_I32) {
                  const type = reader.i32WithOffset();
                  if (int96Leaves.has(index) && type.value === THRIFT_TYPE_FIXED_LEN_BYTE_ARRAY) typeOffsets.push(type.offset);
                } else reader.skip(metaType);
              });
            });
          });
        }),
      );
    } else reader.skip(fileType);
  });
  for (const offset of typeOffsets) {
    if (file[offset] !== THRIFT_TYPE_FIXED_LEN_BYTE_ARRAY * 2) throw new Error('unexpected Parquet footer encoding');
    file[offset] = THRIFT_TYPE_INT96 * 2; // zigzag
  }
}

const COMPACT_STOP = 0;
const COMPACT_I32 = 5;
const COMPACT_LIST = 9;
const COMPACT_STRUCT = 12;

/** Just enough of a Thrift Compact Protocol reader to walk a Parquet footer and find values' offsets. */
class CompactReader {
  constructor(
    private readonly bytes: Buffer,
    private offset: number,
  ) {}

  private varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const byte = this.bytes[this.offset++]!;
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7n;
    }
  }

  i32WithOffset(): { value: number; offset: number } {
    const offset = this.offset;
    const raw = this.varint();
    return { value: Number((raw >> 1n) ^ -(raw & 1n)), offset };
  }

  struct(onField: (field: number, type: number) => void): void {
    let field = 0;
    for (;;) {
      const header = this.bytes[this.offset++]!;
      const type = header & 0x0f;
      if (type === COMPACT_STOP) return;
      const delta = header >> 4;
      field = delta ? field + delta : this.i32WithOffset().value;
      onField(field, type);
    }
  }

  list(onElement: (type: number) => void): void {
    const header = this.bytes[this.offset++]!;
    let size = header >> 4;
    if (size === 15) size = Number(this.varint());
    const type = header & 0x0f;
    for (let i = 0; i < size; i++) onElement(type);
  }

  skip(type: number): void {
    switch (type) {
      case 1: // true
      case 2: // false
        return;
      case 3: // byte
        this.offset++;
        return;
      case 4: // i16
      case 5: // i32
      case 6: // i64
        this.varint();
        return;
      case 7: // double
        this.offset += 8;
        return;
      case 8: {
        // binary (the length is read before the offset moves past it)
        const length = Number(this.varint());
        this.offset += length;
        return;
      }
      case 9: // list
      case 10: // set
        return this.list((element) => this.skipElement(element));
      case 11: {
        // map
        const size = Number(this.varint());
        if (size === 0) return;
        const types = this.bytes[this.offset++]!;
        for (let i = 0; i < size; i++) {
          this.skipElement(types >> 4);
          this.skipElement(types & 0x0f);
        }
        return;
      }
      case 12:
        return this.struct((_field, fieldType) => this.skip(fieldType));
      default:
        throw new Error(`unexpected Thrift compact type ${type}`);
    }
  }

  /** List elements: booleans take a byte there. */
  private skipElement(type: number): void {
    if (type === 1 || type === 2) this.offset++;
    else this.skip(type);
  }
}
