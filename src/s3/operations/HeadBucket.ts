import type { S3Call, S3Result } from '../call.js';
import { noSuchBucket } from '../errors.js';

export default async function HeadBucket(call: S3Call): Promise<S3Result> {
  const bucket = await call.objects.headBucket(call.bucket);
  if (!bucket) throw noSuchBucket(call.bucket);
  return { headers: { 'x-amz-bucket-region': bucket.region, 'x-amz-access-point-alias': 'false' } };
}
