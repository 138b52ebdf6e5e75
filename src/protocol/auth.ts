import { AwsError } from './errors.js';
import { isRegionName } from './region.js';

/**
 * What the SigV4 parts of a request say (KINESIS-SPEC §1.7). Shape errors are reported with
 * AWS's texts whether or not signatures are verified; the credential scope names the caller's
 * region, and a 12-digit access key id names its account (§1.7 recommendation).
 */
export interface Credentials {
  accessKeyId: string;
  region?: string;
  service?: string;
  /** `Authorization` header or presigned query string. */
  form: 'header' | 'query';
}

const HEADER_PARAMS = ['Credential', 'Signature', 'SignedHeaders'] as const;
const QUERY_PARAMS = ['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Signature', 'X-Amz-SignedHeaders', 'X-Amz-Date'] as const;

export function readCredentials(headers: Record<string, string | string[] | undefined>, query: URLSearchParams): Credentials {
  const authorization = header(headers, 'authorization');
  const hasQueryAuth = query.has('X-Amz-Algorithm');
  if (authorization === undefined && !hasQueryAuth) {
    throw new AwsError('MissingAuthenticationTokenException', 'Missing Authentication Token');
  }
  if (authorization !== undefined && hasQueryAuth) {
    throw new AwsError('InvalidSignatureException', "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header.");
  }
  if (authorization !== undefined) {
    const params = parseAuthorization(authorization);
    let problems = '';
    for (const name of HEADER_PARAMS) {
      if (!params.get(name)) problems += `Authorization header requires '${name}' parameter. `;
    }
    if (header(headers, 'x-amz-date') === undefined && header(headers, 'date') === undefined) {
      problems += "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ";
    }
    if (problems) throw new AwsError('IncompleteSignatureException', `${problems}Authorization=${authorization}`);
    return { ...scope(params.get('Credential')!), form: 'header' };
  }
  let problems = '';
  for (const name of QUERY_PARAMS) {
    if (!query.get(name)) problems += `AWS query-string parameters must include '${name}'. `;
  }
  if (problems) throw new AwsError('IncompleteSignatureException', `${problems}Re-examine the query-string parameters.`);
  return { ...scope(query.get('X-Amz-Credential')!), form: 'query' };
}

/**
 * `AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`: key=value pairs after the first
 * token. A key with an empty value counts as missing, as in AWS's recorded checks (§1.7).
 */
export function parseAuthorization(value: string): Map<string, string> {
  const params = new Map<string, string>();
  const parts = value.trim().split(/[\s,]+/).slice(1);
  for (const part of parts) {
    const eq = part.indexOf('=');
    if (eq > 0) params.set(part.slice(0, eq), part.slice(eq + 1));
  }
  return params;
}

/**
 * `AKID/20240101/us-east-1/kinesis/aws4_request`. A region that is no AWS region's name is
 * refused as AWS refuses a scope for a region it does not serve, before any signature is checked
 * (AWS's text as quoted in aws/aws-sdk-java-v2#988 and joona/aws-es-curl#15, trailing space
 * included); every service on the endpoint reads credentials here.
 */
function scope(credential: string): Omit<Credentials, 'form'> {
  const [accessKeyId, , region, service] = credential.split('/');
  if (region && !isRegionName(region)) {
    throw new AwsError('InvalidSignatureException', `Credential should be scoped to a valid region, not '${region}'. `);
  }
  return { accessKeyId: accessKeyId ?? '', region: region || undefined, service: service || undefined };
}

export function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}
