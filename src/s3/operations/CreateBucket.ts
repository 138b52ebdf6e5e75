import type { S3Call, S3Result } from '../call.js';
import { isValidBucketName } from '../bucket-name.js';
import { invalidBucketName, S3Error } from '../errors.js';
import { parseXml } from '../xml.js';

/** Buckets made without a LocationConstraint live in us-east-1, the only region that takes none (CreateBucketConfiguration). */
export const DEFAULT_BUCKET_REGION = 'us-east-1';

export default async function CreateBucket(call: S3Call): Promise<S3Result> {
  if (!isValidBucketName(call.bucket)) throw invalidBucketName(call.bucket);
  const document = await call.document();
  let constraint: string | undefined;
  if (document.length > 0) {
    const configuration = parseXml(document, 'CreateBucketConfiguration');
    const value = configuration.LocationConstraint;
    if (typeof value === 'string' && value.trim()) constraint = value.trim();
  }
  const endpointRegion = call.caller.region;
  if (constraint === DEFAULT_BUCKET_REGION) {
    throw new S3Error('InvalidLocationConstraint', 'The specified location-constraint is not valid', 400, { LocationConstraint: constraint });
  }
  // Only us-east-1's endpoint creates buckets in other regions; elsewhere the constraint names the endpoint's own.
  if (endpointRegion !== DEFAULT_BUCKET_REGION && constraint !== endpointRegion) {
    throw new S3Error(
      'IllegalLocationConstraintException',
      `The ${constraint ?? 'unspecified'} location constraint is incompatible for the region specific endpoint this request was sent to.`,
      400,
    );
  }
  await call.objects.createBucket(call.bucket, constraint ?? DEFAULT_BUCKET_REGION);
  return { headers: { Location: `/${call.bucket}` } };
}
