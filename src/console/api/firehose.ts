import type { Readable } from 'node:stream';
import { bufferingHintsOf } from '../../firehose/delivery/buffers.js';
import { ingestLogName, progressKey, type DeliveryStreamDocument } from '../../firehose/domain/delivery-stream.js';
import { kindOf } from '../../firehose/domain/destination.js';
import type { ServerResponse } from '../../protocol/http-exchange.js';
import { ObjectStoreError } from '../../objects/object-store.js';
import type { ConsoleDeps } from '../deps.js';
import { badParameter, notFound } from './errors.js';
import { integer, text, type ConsoleScope } from './params.js';

/**
 * Firehose delivery streams as the console shows them (issue 18 §1 "Firehose"): status, where
 * they deliver, what waits in their buffers (records taken in but not yet delivered), the
 * delivery counters of FIREHOSE-SPEC §15, and the objects delivered to S3.
 */

export const DEFAULT_OBJECTS_PAGE = 100;
export const MAX_OBJECTS_PAGE = 1_000;

type Json = Record<string, unknown>;

/** The S3 bucket and static key prefix a stream writes to (its destination, or the S3 backup of another kind). */
function s3Target(doc: DeliveryStreamDocument): { bucket: string; prefix: string } | undefined {
  const kind = kindOf(doc.destination);
  const own = doc.destination[`${kind}DestinationDescription`] as Json | undefined;
  const s3 = (kind === 'ExtendedS3' || kind === 'S3' ? own : (own?.S3DestinationDescription as Json | undefined)) ?? undefined;
  const arn = typeof s3?.BucketARN === 'string' ? s3.BucketARN : undefined;
  if (!arn) return undefined;
  const prefix = typeof s3?.Prefix === 'string' ? s3.Prefix : '';
  // Up to the first expression (`!{…}`): what every object of the stream shares.
  const expression = prefix.indexOf('!{');
  return { bucket: arn.slice(arn.lastIndexOf(':') + 1), prefix: expression < 0 ? prefix : prefix.slice(0, expression) };
}

/** Records taken in and not yet delivered: the ingest log's tip less the delivered progress. */
async function buffered(deps: ConsoleDeps, doc: DeliveryStreamDocument) {
  const tip = await deps.kinesis.store.records.tip(ingestLogName(doc));
  const progress = await deps.kinesis.store.meta.get<{ value?: { index?: number } }>(progressKey(doc, 'delivered'));
  const delivered = progress?.value.value?.index ?? 0;
  return { ingested: tip, delivered, waiting: Math.max(0, tip - delivered) };
}

function summary(doc: DeliveryStreamDocument) {
  const kind = kindOf(doc.destination);
  const own = doc.destination[`${kind}DestinationDescription`] as Json | undefined;
  return {
    name: doc.name,
    arn: doc.arn,
    status: doc.status,
    type: doc.type,
    destination: kind,
    version: doc.version,
    createdAt: doc.createTimestamp,
    source: doc.source,
    buffering: bufferingHintsOf(own),
    s3: s3Target(doc),
  };
}

export async function listDeliveryStreams(deps: ConsoleDeps, scope: ConsoleScope) {
  const docs = await deps.firehose.streams.list(scope);
  return {
    account: scope.account,
    region: scope.region,
    deliveryStreams: await Promise.all(docs.map(async (doc) => ({ ...summary(doc), buffer: await buffered(deps, doc), metrics: deps.delivery.metrics(doc.arn) }))),
  };
}

async function requireDeliveryStream(deps: ConsoleDeps, scope: ConsoleScope, name: string): Promise<DeliveryStreamDocument> {
  const doc = await deps.firehose.streams.find(scope, name);
  if (!doc) throw notFound(`Firehose ${name} under account ${scope.account} not found.`);
  return doc;
}

export async function describeDeliveryStream(deps: ConsoleDeps, scope: ConsoleScope, name: string) {
  const doc = await requireDeliveryStream(deps, scope, name);
  // The description as DescribeDeliveryStream gives it, never the secrets (access keys, tokens).
  return {
    ...summary(doc),
    lastUpdatedAt: doc.lastUpdateTimestamp,
    destinationDescription: doc.destination,
    encryption: doc.encryption,
    tags: doc.tags,
    failure: doc.failureDescription,
    buffer: await buffered(deps, doc),
    metrics: deps.delivery.metrics(doc.arn),
  };
}

/** `GET /api/v1/firehose/{name}/objects?startAfter=&limit=`: the objects delivered under the stream's prefix. */
export async function deliveredObjects(deps: ConsoleDeps, scope: ConsoleScope, name: string, url: URL) {
  const limit = integer(url, 'limit', 1, MAX_OBJECTS_PAGE, DEFAULT_OBJECTS_PAGE);
  const startAfter = text(url, 'startAfter', 1024);
  const doc = await requireDeliveryStream(deps, scope, name);
  const target = s3Target(doc);
  if (!target) return { objects: [], truncated: false };
  try {
    const listed = await deps.objects.listObjects(target.bucket, { prefix: target.prefix, startAfter, limit });
    return {
      bucket: target.bucket,
      prefix: target.prefix,
      objects: listed.objects.map((o) => ({ key: o.key, size: o.size, lastModified: o.lastModified, etag: o.etag })),
      truncated: listed.truncated,
    };
  } catch (err) {
    if (err instanceof ObjectStoreError && err.code === 'NoSuchBucket') return { bucket: target.bucket, prefix: target.prefix, objects: [], truncated: false, missingBucket: true };
    throw err;
  }
}

/** `GET /api/v1/objects?bucket=&key=`: an object's bytes, for the delivered objects' links. */
export async function downloadObject(deps: ConsoleDeps, url: URL, res: ServerResponse): Promise<void> {
  const bucket = text(url, 'bucket', 63);
  const key = text(url, 'key', 1024);
  if (!bucket || !key) throw badParameter('bucket and key are required');
  let object;
  try {
    object = await deps.objects.getObject(bucket, key);
  } catch (err) {
    if (err instanceof ObjectStoreError && (err.code === 'NoSuchKey' || err.code === 'NoSuchBucket')) throw notFound(`no object ${key} in bucket ${bucket}`);
    throw err;
  }
  const fileName = key.slice(key.lastIndexOf('/') + 1).replace(/[^\w.-]/g, '_') || 'object';
  res.writeHead(200, {
    'Content-Type': object.info.contentType ?? 'application/octet-stream',
    'Content-Length': String(object.info.size),
    'Content-Disposition': `attachment; filename="${fileName}"`,
    'Cache-Control': 'no-store',
  });
  (object.body as Readable).pipe(res as NodeJS.WritableStream);
}
