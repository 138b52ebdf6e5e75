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
    // The header as every SDK writes it is matched at once; anything else is scanned.
    const usual = USUAL_AUTHORIZATION.exec(authorization);
    if (usual !== null && (header(headers, 'x-amz-date') !== undefined || header(headers, 'date') !== undefined)) {
      return scope(usual[1], 'header');
    }
    // The three parameters are found in one scan of the header, without the Map parseAuthorization
    // builds (that and its strings showed up on the PutRecord path); the checks are the same.
    scanAuthorization(authorization);
    const { credential, hasSignature, hasSignedHeaders } = scanned;
    if (credential === '' || !hasSignature || !hasSignedHeaders || (header(headers, 'x-amz-date') === undefined && header(headers, 'date') === undefined)) {
      let problems = '';
      if (credential === '') problems += "Authorization header requires 'Credential' parameter. ";
      if (!hasSignature) problems += "Authorization header requires 'Signature' parameter. ";
      if (!hasSignedHeaders) problems += "Authorization header requires 'SignedHeaders' parameter. ";
      if (header(headers, 'x-amz-date') === undefined && header(headers, 'date') === undefined) {
        problems += "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ";
      }
      throw new AwsError('IncompleteSignatureException', `${problems}Authorization=${authorization}`);
    }
    return scope(credential, 'header');
  }
  let problems = '';
  for (const name of QUERY_PARAMS) {
    if (!query.get(name)) problems += `AWS query-string parameters must include '${name}'. `;
  }
  if (problems) throw new AwsError('IncompleteSignatureException', `${problems}Re-examine the query-string parameters.`);
  return scope(query.get('X-Amz-Credential')!, 'query');
}

/**
 * `AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`: key=value pairs after the first
 * token. A key with an empty value counts as missing, as in AWS's recorded checks (§1.7).
 */
export function parseAuthorization(value: string): Map<string, string> {
  const params = new Map<string, string>();
  // Tokens are separated by runs of whitespace and commas (as split(/[\s,]+/) on the trimmed
  // value would cut them), scanned in place: this runs on every signed request.
  const end = value.length;
  let at = 0;
  // After leading whitespace, a comma ends an empty first token (the scheme's place).
  while (at < end && value.charCodeAt(at) !== 0x2c && isSeparator(value.charCodeAt(at))) at++;
  let first = value.charCodeAt(at) !== 0x2c;
  while (at < end) {
    while (at < end && isSeparator(value.charCodeAt(at))) at++;
    if (at >= end) break;
    const start = at;
    let eq = -1;
    while (at < end && !isSeparator(value.charCodeAt(at))) {
      if (eq === -1 && value.charCodeAt(at) === 0x3d /* = */) eq = at;
      at++;
    }
    if (first) first = false;
    else if (eq > start) params.set(value.slice(start, eq), value.slice(eq + 1, at));
  }
  return params;
}

/**
 * `AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…` with non-empty values, each
 * parameter once: what every SDK sends. For such a header scanAuthorization finds that Credential
 * value (the first group) and both other parameters, so readCredentials takes it without the scan,
 * whose loop over each character cost 1-3 µs per request (the longer an SDK's SignedHeaders, the
 * more). `[^\s,]` is the scan's token character: `\s` is the whitespace isSeparator lists.
 */
const USUAL_AUTHORIZATION = /^AWS4-HMAC-SHA256 Credential=([^\s,]+), ?SignedHeaders=[^\s,]+, ?Signature=[^\s,]+$/;

/** What scanAuthorization found: the last value of each parameter, as parseAuthorization's Map keeps it. */
const scanned = { credential: '', hasSignature: false, hasSignedHeaders: false };

/**
 * parseAuthorization's scan, keeping only what readCredentials checks: the Credential value and
 * whether Signature and SignedHeaders have non-empty values. Synchronous, so one scratch record serves.
 */
function scanAuthorization(value: string): void {
  scanned.credential = '';
  scanned.hasSignature = false;
  scanned.hasSignedHeaders = false;
  const end = value.length;
  let at = 0;
  while (at < end && value.charCodeAt(at) !== 0x2c && isSeparator(value.charCodeAt(at))) at++;
  let first = value.charCodeAt(at) !== 0x2c;
  while (at < end) {
    while (at < end && isSeparator(value.charCodeAt(at))) at++;
    if (at >= end) break;
    const start = at;
    let eq = -1;
    while (at < end && !isSeparator(value.charCodeAt(at))) {
      if (eq === -1 && value.charCodeAt(at) === 0x3d /* = */) eq = at;
      at++;
    }
    if (first) first = false;
    else if (eq > start) {
      const keyLength = eq - start;
      if (keyLength === 10 && value.startsWith('Credential', start)) scanned.credential = value.slice(eq + 1, at);
      else if (keyLength === 9 && value.startsWith('Signature', start)) scanned.hasSignature = at > eq + 1;
      else if (keyLength === 13 && value.startsWith('SignedHeaders', start)) scanned.hasSignedHeaders = at > eq + 1;
    }
  }
}

/** `,` or what `\s` matches in a header value (HTTP header values hold no other line breaks). */
function isSeparator(c: number): boolean {
  return c === 0x2c || c === 0x20 || (c >= 0x09 && c <= 0x0d) || c === 0xa0 || c === 0xfeff || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000;
}

/**
 * `AKID/20240101/us-east-1/kinesis/aws4_request`. A region that is no AWS region's name is
 * refused as AWS refuses a scope for a region it does not serve, before any signature is checked
 * (AWS's text as quoted in aws/aws-sdk-java-v2#988 and joona/aws-es-curl#15, trailing space
 * included); every service on the endpoint reads credentials here.
 */
function scope(credential: string, form: Credentials['form']): Credentials {
  // credential.split('/')'s first, third and fourth parts, without the array.
  const first = credential.indexOf('/');
  const accessKeyId = first === -1 ? credential : credential.slice(0, first);
  const second = first === -1 ? -1 : credential.indexOf('/', first + 1);
  const third = second === -1 ? -1 : credential.indexOf('/', second + 1);
  const fourth = third === -1 ? -1 : credential.indexOf('/', third + 1);
  const region = second === -1 ? undefined : credential.slice(second + 1, third === -1 ? credential.length : third);
  const service = third === -1 ? undefined : credential.slice(third + 1, fourth === -1 ? credential.length : fourth);
  if (region && !isRegionName(region)) {
    throw new AwsError('InvalidSignatureException', `Credential should be scoped to a valid region, not '${region}'. `);
  }
  return { accessKeyId, region: region || undefined, service: service || undefined, form };
}

export function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}
