import { gunzip, gunzipSync } from 'node:zlib';
import { promisify } from 'node:util';

/**
 * CloudWatch Logs subscription payloads (FIREHOSE-SPEC §6): gzip of a JSON envelope
 * `{messageType, owner, logGroup, logStream, subscriptionFilters, logEvents:[{id, timestamp, message}]}`.
 * The Decompression processor unpacks it (the record becomes the envelope, one line of JSON, as
 * CloudWatch Logs wrote it); CloudWatchLogProcessing with DataMessageExtraction keeps only the log
 * events' messages [docs Message_extraction, "Figure 2"].
 */

const gunzipAsync = promisify(gunzip);

/**
 * Largest payload Millrace unpacks (a Millrace limit, not AWS's): a record is at most 1,000 KiB
 * compressed, and log text compresses perhaps 10:1, so 64 MiB leaves room for any real payload
 * while a gzip bomb fails as a decompression failure instead of exhausting memory.
 */
export const MAX_DECOMPRESSED_BYTES = 64 * 1024 * 1024;

/**
 * How extracted messages are joined in the one record that replaces the envelope. The docs' Figure
 * 2 shows the messages one after another; users report that RecordDeAggregation then splits them
 * and that AppendDelimiterToRecord adds the last newline, so: a newline between messages, none
 * after the last. UNVERIFIED beyond that.
 */
export const EXTRACTED_MESSAGE_SEPARATOR = '\n';

/** The messageType of CloudWatch Logs' reachability checks, which carry no log events. */
export const CONTROL_MESSAGE = 'CONTROL_MESSAGE';
export const DATA_MESSAGE = 'DATA_MESSAGE';

// Error output of a record that does not unpack: "delivered … to an S3 bucket prefix called
// decompression-failed", with an error code and message [docs decomp-faq]. The code and message
// are not documented: UNVERIFIED.
export const DECOMPRESSION_FAILED_OUTPUT_TYPE = 'decompression-failed';
export const DECOMPRESSION_FAILED_CODE = 'Decompression.Failed';
export const decompressionFailedMessage = (detail: string) => `Unable to decompress the record as GZIP: ${detail}`;
// A decompressed record that is not a CloudWatch Logs envelope reaching message extraction. UNVERIFIED.
export const EXTRACTION_FAILED_CODE = 'CloudWatchLogProcessing.MessageExtractionFailed';
export const EXTRACTION_FAILED_MESSAGE = 'The decompressed record is not a CloudWatch Logs subscription payload.';

export interface CloudWatchLogsEnvelope {
  messageType: string;
  logEvents: Array<{ message?: unknown }>;
}

const GZIP_MAGIC = [0x1f, 0x8b];

export function looksGzipped(data: Buffer): boolean {
  return data.length >= 2 && data[0] === GZIP_MAGIC[0] && data[1] === GZIP_MAGIC[1];
}

/** Unpacks one record (Decompression processor); rejects with the reason when it is not gzip. */
export async function decompressRecord(data: Buffer): Promise<Buffer> {
  if (!looksGzipped(data)) throw new Error('not in GZIP format');
  return gunzipAsync(data, { maxOutputLength: MAX_DECOMPRESSED_BYTES });
}

/** The envelope in decompressed bytes, or undefined when they are not one. */
export function parseEnvelope(decompressed: Buffer): CloudWatchLogsEnvelope | undefined {
  let value: unknown;
  try {
    value = JSON.parse(decompressed.toString('utf8'));
  } catch {
    return undefined;
  }
  if (!value || typeof value !== 'object') return undefined;
  const envelope = value as Partial<CloudWatchLogsEnvelope>;
  if (typeof envelope.messageType !== 'string') return undefined;
  if (envelope.messageType === CONTROL_MESSAGE) return { messageType: CONTROL_MESSAGE, logEvents: Array.isArray(envelope.logEvents) ? envelope.logEvents : [] };
  if (!Array.isArray(envelope.logEvents)) return undefined;
  return envelope as CloudWatchLogsEnvelope;
}

/**
 * DataMessageExtraction: the messages of a DATA_MESSAGE as one record, or undefined for a
 * CONTROL_MESSAGE (dropped: it carries no log data).
 */
export function extractMessages(envelope: CloudWatchLogsEnvelope): Buffer | undefined {
  if (envelope.messageType === CONTROL_MESSAGE) return undefined;
  const messages = envelope.logEvents.map((event) => (typeof event?.message === 'string' ? event.message : JSON.stringify(event?.message ?? '')));
  return Buffer.from(messages.join(EXTRACTED_MESSAGE_SEPARATOR), 'utf8');
}

/**
 * PutRecord-time check with Decompression on: AWS accepts only requests from CloudWatch Logs,
 * which it knows by the caller; Millrace knows only the payload, so a payload counts as coming
 * from CloudWatch Logs when it is a gzip'd subscription envelope.
 */
export function isCloudWatchLogsPayload(data: Buffer): boolean {
  if (!looksGzipped(data)) return false;
  try {
    return parseEnvelope(gunzipSync(data, { maxOutputLength: MAX_DECOMPRESSED_BYTES })) !== undefined;
  } catch {
    return false;
  }
}
