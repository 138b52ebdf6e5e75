import type { S3Call, S3Result } from '../call.js';
import { noSuchBucket } from '../errors.js';
import { xmlTextDocument } from '../xml.js';
import { DEFAULT_BUCKET_REGION } from './CreateBucket.js';

/** A us-east-1 bucket's location is empty, as S3 answers for buckets made without a constraint. */
export default async function GetBucketLocation(call: S3Call): Promise<S3Result> {
  const bucket = await call.objects.headBucket(call.bucket);
  if (!bucket) throw noSuchBucket(call.bucket);
  return { body: xmlTextDocument('LocationConstraint', bucket.region === DEFAULT_BUCKET_REGION ? '' : bucket.region) };
}
