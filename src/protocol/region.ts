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

export function isRegionName(text: string): boolean {
  return text.length <= MAX_REGION_LENGTH && REGION_SHAPE.test(text);
}
