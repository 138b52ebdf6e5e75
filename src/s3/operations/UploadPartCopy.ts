import type { S3Call, S3Result } from '../call.js';
import { copySourceConditionFails, parseCopySource } from '../copy-source.js';
import { invalidArgument, noSuchKey, preconditionFailed } from '../errors.js';
import { isoTime } from '../listing.js';
import { MAX_SINGLE_UPLOAD_BYTES, partNumberOf } from '../upload.js';
import { xmlDocument } from '../xml.js';

export default async function UploadPartCopy(call: S3Call): Promise<S3Result> {
  const partNumber = partNumberOf(call.query.get('partNumber'));
  const source = parseCopySource(call.headers['x-amz-copy-source']);
  const sourceInfo = await call.objects.headObject(source.bucket, source.key);
  if (!sourceInfo) throw noSuchKey(source.key);
  const failed = copySourceConditionFails(call.headers as Record<string, string | undefined>, sourceInfo.etag);
  if (failed) throw preconditionFailed(failed);
  const rangeHeader = call.headers['x-amz-copy-source-range'] as string | undefined;
  let range;
  if (rangeHeader !== undefined) {
    // Unlike GET's Range, a copy range is `bytes=first-last` in full and must lie within the source.
    const match = /^bytes=(\d+)-(\d+)$/.exec(rangeHeader.trim());
    const start = Number(match?.[1]);
    const end = Number(match?.[2]);
    if (!match || end < start) throw invalidArgument('The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy', 'x-amz-copy-source-range', rangeHeader);
    if (end >= sourceInfo.size) throw invalidArgument(`Range specified is not valid for source object of size: ${sourceInfo.size}`, 'x-amz-copy-source-range', rangeHeader);
    range = { start, end };
  }
  const length = range ? range.end - range.start + 1 : sourceInfo.size;
  if (length > MAX_SINGLE_UPLOAD_BYTES) throw invalidArgument(`The specified copy source is larger than the maximum allowable size for a copy source: ${MAX_SINGLE_UPLOAD_BYTES}`, 'x-amz-copy-source', String(call.headers['x-amz-copy-source']));
  const { body } = await call.objects.getObject(source.bucket, source.key, range);
  const part = await call.objects.uploadPart(call.bucket, call.key, call.query.get('uploadId')!, partNumber, body);
  return { body: xmlDocument('CopyPartResult', { ETag: `"${part.etag}"`, LastModified: isoTime(part.lastModified) }) };
}
