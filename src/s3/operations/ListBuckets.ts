import type { S3Call, S3Result } from '../call.js';
import { continuationToken, isoTime, owner, parseContinuationToken } from '../listing.js';
import { invalidArgument } from '../errors.js';
import { xmlDocument } from '../xml.js';

/** ListBuckets: max-buckets is 1 to 10,000 (ListBucketsRequest.MaxBuckets in the API reference). */
export const MAX_BUCKETS_PER_PAGE = 10_000;

export default async function ListBuckets(call: S3Call): Promise<S3Result> {
  const prefix = call.query.get('prefix') ?? '';
  const region = call.query.get('bucket-region');
  const maxText = call.query.get('max-buckets');
  const max = maxText === null ? MAX_BUCKETS_PER_PAGE : Number(maxText);
  if (!Number.isInteger(max) || max < 1 || max > MAX_BUCKETS_PER_PAGE) throw invalidArgument('Invalid Argument', 'max-buckets', maxText ?? '');
  const token = call.query.get('continuation-token');
  const after = token === null ? undefined : parseContinuationToken(token).after;
  const buckets = (await call.objects.listBuckets())
    .filter((bucket) => bucket.name.startsWith(prefix) && (region === null || bucket.region === region) && (after === undefined || bucket.name > after))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const page = buckets.slice(0, max);
  const truncated = buckets.length > page.length;
  return {
    body: xmlDocument('ListAllMyBucketsResult', {
      Buckets: { Bucket: page.map((bucket) => ({ Name: bucket.name, CreationDate: isoTime(bucket.created), BucketRegion: bucket.region })) },
      Owner: owner(call.caller),
      ContinuationToken: truncated ? continuationToken({ after: page[page.length - 1]!.name }) : undefined,
      Prefix: prefix || undefined,
    }),
  };
}
