/**
 * What a region name may be. The region of a SigV4 credential scope names the caller's region and
 * becomes part of store keys (`stream/{account}/{region}/{name}`), so it is bounded like every
 * other string that does.
 */

/**
 * Region names of every AWS partition, as the SDKs' endpoint rules know them
 * (@aws-sdk/core util-endpoints partitions.json, `regionRegex` of aws, aws-cn, aws-us-gov,
 * aws-iso, aws-iso-b, aws-iso-e, aws-iso-f and aws-eusc): `us-east-1`, `cn-north-1`,
 * `us-gov-west-1`, `eu-isoe-west-1`, `eusc-de-east-1`…
 */
const REGION_SHAPE = /^(?:us|eu|ap|sa|ca|me|af|il|mx|cn|us-gov|us-iso|us-isob|us-isof|eu-isoe|eusc-de)-\w+-\d+$/;
/** A region is one DNS label of its endpoints' host names (`kinesis.{region}.amazonaws.com`): RFC 1035 §2.3.4. */
export const MAX_REGION_LENGTH = 63;

/** Names that passed, so that a request's region is one look-up instead of a match (profiles of PutRecord). */
const accepted = new Set<string>();
/** Bound on `accepted`: every AWS region and then some; made-up names fill it no further. */
const MAX_ACCEPTED = 256;

export function isRegionName(text: string): boolean {
  if (accepted.has(text)) return true;
  if (text.length > MAX_REGION_LENGTH || !REGION_SHAPE.test(text)) return false;
  if (accepted.size < MAX_ACCEPTED) accepted.add(text);
  return true;
}
