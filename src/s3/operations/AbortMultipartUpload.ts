import type { S3Call, S3Result } from '../call.js';

export default async function AbortMultipartUpload(call: S3Call): Promise<S3Result> {
  await call.objects.abortMultipartUpload(call.bucket, call.key, call.query.get('uploadId')!);
  return {};
}
