import type { S3Call, S3Result } from '../call.js';
import { objectHeadersOf } from '../headers.js';
import { checksumHeaders, checkUploadSize, keepChecksum, storing } from '../upload.js';

export default async function PutObject(call: S3Call): Promise<S3Result> {
  const headers = objectHeadersOf(call.headers);
  const body = call.upload();
  checkUploadSize(body);
  const info = await storing(body, call.objects.putObject(call.bucket, call.key, body, keepChecksum(body, headers)));
  return { headers: { ETag: `"${info.etag}"`, ...checksumHeaders(body), ...(body.checksum ? { 'x-amz-checksum-type': 'FULL_OBJECT' } : {}) } };
}
