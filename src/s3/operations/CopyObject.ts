import type { S3Call, S3Result } from '../call.js';
import { storedChecksum } from '../checksums.js';
import { copySourceConditionFails, parseCopySource } from '../copy-source.js';
import { invalidArgument, invalidRequest, noSuchKey, preconditionFailed } from '../errors.js';
import { objectHeadersOf, withChecksum } from '../headers.js';
import { isoTime } from '../listing.js';
import { xmlDocument } from '../xml.js';

const METADATA_DIRECTIVES = ['COPY', 'REPLACE'];

export default async function CopyObject(call: S3Call): Promise<S3Result> {
  const source = parseCopySource(call.headers['x-amz-copy-source']);
  const directive = (call.headers['x-amz-metadata-directive'] as string | undefined) ?? 'COPY';
  if (!METADATA_DIRECTIVES.includes(directive)) throw invalidArgument('Unknown metadata directive.', 'x-amz-metadata-directive', directive);
  if (source.bucket === call.bucket && source.key === call.key && directive === 'COPY') {
    throw invalidRequest(
      "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
    );
  }
  const sourceInfo = await call.objects.headObject(source.bucket, source.key);
  if (!sourceInfo) throw noSuchKey(source.key);
  const failed = copySourceConditionFails(call.headers as Record<string, string | undefined>, sourceInfo.etag);
  if (failed) throw preconditionFailed(failed);
  // REPLACE takes the request's headers; the content, and so its checksum, stay the source's.
  const checksum = storedChecksum(sourceInfo.metadata);
  const headers = directive === 'REPLACE' ? withChecksum(objectHeadersOf(call.headers), checksum) : undefined;
  const info = await call.objects.copyObject(source, { bucket: call.bucket, key: call.key }, headers);
  const checksumElement = checksum ? { [`Checksum${checksum.algorithm.toUpperCase()}`]: checksum.value } : {};
  return {
    body: xmlDocument('CopyObjectResult', { ETag: `"${info.etag}"`, LastModified: isoTime(info.lastModified), ...checksumElement }),
  };
}
