import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { SignatureV4 } from '@smithy/signature-v4';
import type { Checksum, HttpRequest, SourceData } from '@smithy/types';
import { header, parseAuthorization, type Credentials } from './auth.js';
import { AwsError } from './errors.js';
import type { ServerRequest } from './http-exchange.js';

/**
 * SigV4 verification (KINESIS-SPEC §1.7), on when credentials are configured. The signature is
 * recomputed over the headers the client says it signed, with @smithy/signature-v4 building the
 * canonical request (the same code the JS SDK signs with), and compared in constant time.
 */

/** One entry of `--credentials` / MILLRACE_CREDENTIALS. */
export interface CredentialEntry {
  accessKeyId: string;
  secretAccessKey: string;
  accountId: string;
}

/** AWS rejects requests whose time is more than 5 minutes from its own (§1.7). */
export const CLOCK_SKEW_MS = 5 * 60_000;
/** AWS's upper bound on X-Amz-Expires of presigned requests: 7 days. */
export const MAX_PRESIGNED_EXPIRES_SECONDS = 604_800;

const ALGORITHM = 'AWS4-HMAC-SHA256';

export const invalidToken = () => new AwsError('UnrecognizedClientException', 'The security token included in the request is invalid.');
export const signatureMismatch = () =>
  new AwsError(
    'InvalidSignatureException',
    'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
  );

/**
 * The credential list from a flag or environment value: the JSON text itself when it starts with
 * `[`, otherwise the path of a file holding it. Throws with a readable reason on bad input.
 */
export function loadCredentialList(source: string): CredentialEntry[] {
  const text = source.trim().startsWith('[') ? source : readFileSync(source, 'utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new Error(`credentials are not valid JSON: ${(err as Error).message}`);
  }
  if (!Array.isArray(parsed) || parsed.length === 0) throw new Error('credentials must be a non-empty JSON array');
  return parsed.map((entry, i) => {
    const { accessKeyId, secretAccessKey, accountId } = (entry ?? {}) as Record<string, unknown>;
    if (typeof accessKeyId !== 'string' || !accessKeyId || typeof secretAccessKey !== 'string' || !secretAccessKey) {
      throw new Error(`credentials[${i}] needs string accessKeyId and secretAccessKey`);
    }
    if (typeof accountId !== 'string' || !/^\d{12}$/.test(accountId)) throw new Error(`credentials[${i}].accountId must be 12 digits`);
    return { accessKeyId, secretAccessKey, accountId };
  });
}

/** SHA-256 in the shape @smithy/signature-v4 expects, over node:crypto. */
class Sha256 implements Checksum {
  private readonly hash;
  constructor(secret?: SourceData) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', toBuffer(secret));
  }
  update(data: Uint8Array): void {
    this.hash.update(data);
  }
  async digest(): Promise<Uint8Array> {
    return this.hash.digest();
  }
  reset(): void {
    throw new Error('not resettable');
  }
}

function toBuffer(data: SourceData): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data);
}

/** Exposes the canonical-request and string-to-sign steps of the SDK's signer. */
class CanonicalSigner extends SignatureV4 {
  /** `uriEscapePath` false: S3 signs the path as sent, not encoded a second time. */
  constructor(uriEscapePath = true) {
    super({ service: 'kinesis', region: 'us-east-1', credentials: { accessKeyId: '', secretAccessKey: '' }, sha256: Sha256, uriEscapePath });
  }
  canonicalRequest(request: HttpRequest, headers: Record<string, string>, payloadHash: string): string {
    return this.createCanonicalRequest(request, headers, payloadHash);
  }
  stringToSign(longDate: string, scope: string, canonicalRequest: string): Promise<string> {
    return this.createStringToSign(longDate, scope, canonicalRequest, ALGORITHM);
  }
}

export class SignatureVerifier {
  private readonly keys: Map<string, CredentialEntry>;
  private readonly signer = new CanonicalSigner();
  private readonly s3Signer = new CanonicalSigner(false);

  constructor(entries: CredentialEntry[], private readonly now: () => number = Date.now) {
    this.keys = new Map(entries.map((entry) => [entry.accessKeyId, entry]));
  }

  /**
   * Resolves to the caller's account, or throws AWS's error for the request. `payloadHash`, when
   * given, is what the canonical request's last line holds instead of the body's hash (PutMedia's
   * streamed bodies, VIDEO-SPEC §3.1).
   */
  async verify(req: ServerRequest, body: Buffer, credentials: Credentials, payloadHash?: string): Promise<{ account: string; region: string | undefined }> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const headers = req.headers as Record<string, string | string[] | undefined>;
    const signed = credentials.form === 'header' ? fromHeader(headers) : fromQuery(url.searchParams);

    const entry = this.keys.get(credentials.accessKeyId);
    if (!entry) throw invalidToken();

    const requestTime = parseRequestTime(signed.date);
    const now = this.now();
    // Presigned requests are valid from their date until it plus X-Amz-Expires; signed headers ±5 min.
    const after = credentials.form === 'query' ? expiresSeconds(url.searchParams) * 1000 : CLOCK_SKEW_MS;
    if (requestTime < now - after) {
      throw new AwsError(
        'InvalidSignatureException',
        `Signature expired: ${basicFormat(requestTime)} is now earlier than ${basicFormat(now - after)} (${basicFormat(now)} - ${after / 60_000} min.)`,
      );
    }
    if (requestTime > now + CLOCK_SKEW_MS) {
      throw new AwsError(
        'InvalidSignatureException',
        `Signature not yet current: ${basicFormat(requestTime)} is still later than ${basicFormat(now + CLOCK_SKEW_MS)} (${basicFormat(now)} + 5 min.)`,
      );
    }

    const canonicalHeaders: Record<string, string> = {};
    for (const name of signed.signedHeaders) {
      const value = name === 'host' ? (headers.host ?? headers[':authority']) : headers[name];
      // A header the client claims to have signed but did not send cannot match.
      if (value === undefined) throw signatureMismatch();
      canonicalHeaders[name] = (Array.isArray(value) ? value.join(',') : value).replace(/[\r\n]/g, ' ').replace(/[ \t]+/g, ' ').trim();
    }
    const query: Record<string, string | string[]> = {};
    for (const [key, value] of url.searchParams) {
      const existing = query[key];
      query[key] = existing === undefined ? value : Array.isArray(existing) ? [...existing, value] : [existing, value];
    }
    // S3 signs the other way (SigV4 for S3, "Create a canonical request"): the path exactly as
    // sent (no normalisation, no second encoding), and the payload hash the client declared in
    // x-amz-content-sha256 (a hex hash, UNSIGNED-PAYLOAD or STREAMING-…), since bodies stream;
    // the S3 service checks the body against a hex hash as it arrives.
    const s3 = signed.scope.split('/')[2] === 's3';
    const rawUrl = req.url ?? '/';
    const request = {
      method: req.method ?? 'POST',
      path: s3 ? rawUrl.split('?', 1)[0] : decodePath(url.pathname),
      query,
      headers: {},
      protocol: 'http:',
      hostname: '',
    } as HttpRequest;
    const hash = payloadHash ?? (s3
      ? (header(headers, 'x-amz-content-sha256') ?? url.searchParams.get('X-Amz-Content-Sha256') ?? 'UNSIGNED-PAYLOAD')
      : createHash('sha256').update(body).digest('hex'));
    const canonical = (s3 ? this.s3Signer : this.signer).canonicalRequest(request, canonicalHeaders, hash);
    const stringToSign = await this.signer.stringToSign(signed.longDate, signed.scope, canonical);
    const [shortDate, region, service, terminator] = signed.scope.split('/');
    let key: Buffer = Buffer.from(`AWS4${entry.secretAccessKey}`);
    for (const part of [shortDate, region, service, terminator]) key = createHmac('sha256', key).update(part ?? '').digest();
    const expected = createHmac('sha256', key).update(stringToSign).digest();
    const given = /^[0-9a-f]{64}$/.test(signed.signature) ? Buffer.from(signed.signature, 'hex') : Buffer.alloc(0);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw signatureMismatch();
    return { account: entry.accountId, region: credentials.region };
  }
}

interface SignedParts {
  /** Credential scope after the access key: `20240101/us-east-1/kinesis/aws4_request`. */
  scope: string;
  signedHeaders: string[];
  signature: string;
  /** As sent: X-Amz-Date (basic ISO 8601) or an HTTP Date header. */
  date: string;
  longDate: string;
}

function fromHeader(headers: Record<string, string | string[] | undefined>): SignedParts {
  const params = parseAuthorization(header(headers, 'authorization') ?? '');
  const date = header(headers, 'x-amz-date') ?? header(headers, 'date') ?? '';
  return {
    scope: scopeOf(params.get('Credential') ?? ''),
    signedHeaders: (params.get('SignedHeaders') ?? '').toLowerCase().split(';').filter(Boolean),
    signature: params.get('Signature') ?? '',
    date,
    longDate: basicFormat(parseRequestTime(date)),
  };
}

function fromQuery(query: URLSearchParams): SignedParts {
  if (query.get('X-Amz-Algorithm') !== ALGORITHM) throw signatureMismatch();
  const date = query.get('X-Amz-Date') ?? '';
  return {
    scope: scopeOf(query.get('X-Amz-Credential') ?? ''),
    signedHeaders: (query.get('X-Amz-SignedHeaders') ?? '').toLowerCase().split(';').filter(Boolean),
    signature: query.get('X-Amz-Signature') ?? '',
    date,
    longDate: basicFormat(parseRequestTime(date)),
  };
}

const scopeOf = (credential: string) => credential.split('/').slice(1).join('/');

function expiresSeconds(query: URLSearchParams): number {
  const raw = query.get('X-Amz-Expires');
  const seconds = Number(raw);
  if (raw === null || !/^\d+$/.test(raw) || seconds > MAX_PRESIGNED_EXPIRES_SECONDS) {
    throw new AwsError(
      'IncompleteSignatureException',
      `X-Amz-Expires must be a whole number of seconds between 1 and ${MAX_PRESIGNED_EXPIRES_SECONDS}. Re-examine the query-string parameters.`,
    );
  }
  return seconds;
}

/** `20240101T000000Z` (X-Amz-Date) or an RFC 7231 `Date` header, as epoch ms. */
function parseRequestTime(value: string): number {
  const basic = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  const time = basic
    ? Date.UTC(+basic[1], +basic[2] - 1, +basic[3], +basic[4], +basic[5], +basic[6])
    : /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/.test(value)
      ? Date.parse(value)
      : NaN;
  if (Number.isNaN(time)) {
    throw new AwsError(
      'IncompleteSignatureException',
      `Date must be in ISO-8601 'basic format'. Got '${value}'. See http://en.wikipedia.org/wiki/ISO_8601`,
    );
  }
  return time;
}

/** `YYYYMMDDTHHMMSSZ`, as AWS writes times in signature errors. */
export function basicFormat(time: number): string {
  return new Date(time).toISOString().replace(/\.\d{3}/, '').replace(/[-:]/g, '');
}

/** The SDK signs the unescaped path and escapes it itself; the wire carries it escaped. */
function decodePath(path: string): string {
  try {
    return path.split('/').map(decodeURIComponent).join('/');
  } catch {
    return path;
  }
}
