import type { S3Call, S3Result } from '../call.js';
import { MAX_KEY_BYTES, ObjectStoreError } from '../../objects/object-store.js';
import { CHECKSUM_ALGORITHMS } from '../checksums.js';
import { invalidRequest, malformedXml, noSuchBucket } from '../errors.js';
import { xmlDocument, parseXml, type XmlValue } from '../xml.js';

/** "The request can contain a list of up to 1000 keys" (DeleteObjects in the API reference). */
export const MAX_DELETE_KEYS = 1000;

export default async function DeleteObjects(call: S3Call): Promise<S3Result> {
  // S3 requires an integrity check on this request: Content-MD5 or an additional checksum.
  const checked =
    call.headers['content-md5'] !== undefined ||
    call.headers['x-amz-sdk-checksum-algorithm'] !== undefined ||
    CHECKSUM_ALGORITHMS.some((algorithm) => call.headers[`x-amz-checksum-${algorithm}`] !== undefined);
  if (!checked) throw invalidRequest('Missing required header for this request: Content-MD5');
  const request = parseXml(await call.document(), 'Delete');
  const entries = request.Object;
  if (!Array.isArray(entries) || entries.length === 0 || entries.length > MAX_DELETE_KEYS) throw malformedXml();
  const keys = entries.map((entry) => {
    const key = (entry as Record<string, unknown> | undefined)?.Key;
    if (typeof key !== 'string') throw malformedXml();
    return key;
  });
  const quiet = String(request.Quiet ?? 'false').trim().toLowerCase() === 'true';
  if (!(await call.objects.headBucket(call.bucket))) throw noSuchBucket(call.bucket);

  const deleted: XmlValue[] = [];
  const errors: XmlValue[] = [];
  for (const key of keys) {
    if (Buffer.byteLength(key) > MAX_KEY_BYTES) {
      errors.push({ Key: key, Code: 'KeyTooLongError', Message: 'Your key is too long' });
      continue;
    }
    try {
      await call.objects.deleteObject(call.bucket, key);
      if (!quiet) deleted.push({ Key: key });
    } catch (err) {
      if (!(err instanceof ObjectStoreError)) throw err;
      errors.push({ Key: key, Code: err.code, Message: err.message });
    }
  }
  return { body: xmlDocument('DeleteResult', { Deleted: deleted, Error: errors }) };
}
