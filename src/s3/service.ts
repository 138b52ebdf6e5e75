import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Logger } from 'pino';
import { readCredentials } from '../protocol/auth.js';
import type { Authenticator, Caller } from '../protocol/authenticator.js';
import { AwsError } from '../protocol/errors.js';
import { loadOperations } from '../protocol/operation-modules.js';
import { loadCredentialList } from '../protocol/sigv4.js';
import { extendedRequestId, type ServerRequest, type ServerResponse } from '../protocol/http-exchange.js';
import type { HttpService } from '../protocol/router.js';
import { MAX_KEY_BYTES, ObjectStoreError, type ObjectStore } from '../objects/object-store.js';
import { addressOf, virtualHostBucket, type Address } from './addressing.js';
import type { S3Call, S3Operation, S3Result } from './call.js';
import { chunkSignaturesOf } from './chunk-signature.js';
import {
  accessDenied,
  bucketAlreadyOwnedByYou,
  bucketNotEmpty,
  entityTooSmall,
  internalError,
  invalidPart,
  invalidPartOrder,
  keyTooLong,
  methodNotAllowed,
  noSuchBucket,
  noSuchKey,
  noSuchUpload,
  notImplemented,
  S3Error,
} from './errors.js';
import { findRoute, hasOperation, type Resource } from './routes.js';
import { UploadBody, uploadChecks } from './upload-body.js';
import { escapeXml } from './xml.js';

/**
 * The S3 API (REST-XML, SigV4 signing name `s3`) over the object store, on Millrace's port.
 * A request is addressed (addressing.ts), matched to an operation of the model (routes.ts),
 * authenticated, and handed to its file under `operations/`; what it answers, or the S3 error it
 * throws, is written here with S3's request ids.
 *
 * Authentication: signed requests go through the shared authenticator, which verifies SigV4 the S3
 * way when `--credentials` is configured (payload hash from `x-amz-content-sha256`, the path as
 * sent, presigned URLs; sigv4.ts). Without credentials any signature is accepted and so are
 * unsigned requests, which belong to the configured account and region; with credentials an
 * unsigned request is denied, as S3 denies anonymous access to a private bucket.
 */

export interface S3ServiceOptions {
  objects: ObjectStore;
  authenticator: Authenticator;
  config: { region: string; account: string; credentials?: string; bodyTimeoutMs: number };
  log: Logger;
}

/** Request documents (DeleteObjects of 1,000 keys of 1,024 bytes, CompleteMultipartUpload of 10,000 parts) fit well within this. */
export const MAX_DOCUMENT_BYTES = 4 * 1024 * 1024;
/**
 * A refused HTTP/1.1 body up to this size is read to its end before the error is answered, so the
 * client finishes writing, reads the error and keeps its connection; a larger one is cut (the
 * answer closes the connection, and a client still writing may see a reset instead of the error).
 */
const REFUSED_BODY_DRAIN_BYTES = 16 * 1024 * 1024;
const EMPTY = Buffer.alloc(0);

/** S3 request ids are 16 upper-case hex digits. */
function requestId(): string {
  return randomBytes(8).toString('hex').toUpperCase();
}

/** A request without a signature that is S3's: virtual-hosted, or a non-POST to a path below `/` (`GET /` stays Kinesis's). */
export function claimsAnonymous(req: ServerRequest): boolean {
  if (virtualHostBucket(req) !== undefined) return true;
  const url = req.url ?? '/';
  return req.method !== 'POST' && !(url === '/' || url.startsWith('/?'));
}

export async function createS3Service(options: S3ServiceOptions): Promise<HttpService> {
  const operations = await loadOperations<S3Operation>(new URL('./operations/', import.meta.url), { hasOperation });
  const { objects, authenticator, config, log } = options;
  /** Secret keys by access key, for the chunk signatures of signed streaming uploads. */
  const secrets = config.credentials ? new Map(loadCredentialList(config.credentials).map((entry) => [entry.accessKeyId, entry.secretAccessKey])) : undefined;

  async function authenticate(req: ServerRequest, query: URLSearchParams): Promise<Caller> {
    const signed = req.headers.authorization !== undefined || query.has('X-Amz-Algorithm') || query.has('X-Amz-Credential');
    if (!signed) {
      if (config.credentials) throw accessDenied();
      return { account: config.account, region: config.region };
    }
    let form: 'header' | 'query' = req.headers.authorization !== undefined ? 'header' : 'query';
    try {
      const credentials = readCredentials(req.headers as Record<string, string | string[] | undefined>, query);
      form = credentials.form;
      // The payload hash is part of every header-signed S3 request (S3 API reference, "Common Request Headers").
      if (config.credentials && form === 'header' && req.headers['x-amz-content-sha256'] === undefined) {
        throw new S3Error('InvalidRequest', 'Missing required header for this request: x-amz-content-sha256', 400);
      }
      // The body is checked against x-amz-content-sha256 as it streams (upload-body.ts), not here.
      return await authenticator.authenticate(req, EMPTY, credentials);
    } catch (err) {
      if (err instanceof AwsError) throw authError(err, form, req);
      throw err;
    }
  }

  async function serve(req: ServerRequest, res: ServerResponse): Promise<void> {
    const id = requestId();
    res.setHeader('x-amz-request-id', id);
    res.setHeader('x-amz-id-2', extendedRequestId());
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const query = new URLSearchParams(q === -1 ? '' : url.slice(q + 1));
    let address: Address | undefined;
    try {
      address = addressOf(req, q === -1 ? url : url.slice(0, q));
      const route = findRoute(method, address.resource, query, req.headers as Record<string, unknown>, (name) => operations.has(name));
      if (!route) throw methodNotAllowed(method, RESOURCE_TYPES[address.resource]);
      const caller = await authenticate(req, query);
      const operation = operations.get(route.operation);
      if (!operation) throw notImplemented(route.operation);
      const key = address.key ?? '';
      const keyBytes = Buffer.byteLength(key);
      if (keyBytes > MAX_KEY_BYTES) throw keyTooLong(keyBytes, MAX_KEY_BYTES);
      let body: UploadBody | undefined;
      const upload = () => {
        if (body) return body;
        body = new UploadBody({ ...uploadChecks(req.headers), signatures: secrets && chunkSignaturesOf(req.headers, secrets) });
        streamRequest(req, body, config.bodyTimeoutMs);
        return body;
      };
      const call: S3Call = {
        req,
        method,
        operation: route.operation,
        bucket: address.bucket ?? '',
        key,
        query,
        headers: req.headers,
        caller,
        objects,
        requestId: id,
        upload,
        document: () => readDocument(upload()),
      };
      const result = await operation(call);
      await send(res, method, result, route.successStatus);
    } catch (err) {
      // A client that went away mid-body or mid-download is nobody's fault to report.
      if (res.headersSent || (req.destroyed && !req.complete)) {
        log.debug({ err, method, url }, 's3 exchange ended early');
        res.destroy();
        return;
      }
      const error = toS3Error(err, address, query);
      if (error.code === 'InternalError') log.error({ err, method, url }, 's3 request failed');
      else log.debug({ code: error.code, method, url }, 's3 error');
      await drainRefusedBody(req, config.bodyTimeoutMs);
      sendError(req, res, method, error, id, String(res.getHeader('x-amz-id-2')));
    }
  }

  return {
    signingNames: ['s3'],
    claimsAnonymous,
    handle(req, res) {
      serve(req, res).catch((err) => {
        log.error({ err }, 's3 response failed');
        if (!res.headersSent) sendError(req, res, req.method ?? 'GET', internalError(), '', '');
        else res.destroy();
      });
    },
  };
}

const RESOURCE_TYPES: Record<Resource, string> = { service: 'SERVICE', bucket: 'BUCKET', object: 'OBJECT' };

/**
 * The request body into an upload; a body that stalls for `idleMs` fails it and drops the connection.
 * Not stream.pipeline: an upload that refuses the body (a chunk signature that does not match, a
 * checksum, a size) would destroy the request, and with it the connection, before the error answer
 * is written — the client saw a reset instead of S3's error. The rest of the body is read and
 * dropped instead; the answer then closes the connection (sendError).
 */
function streamRequest(req: ServerRequest, body: UploadBody, idleMs: number): void {
  const timer = setTimeout(() => req.destroy(new Error('request body stalled')), idleMs);
  const source = req as Readable;
  source.on('data', () => timer.refresh());
  source.once('end', () => clearTimeout(timer));
  source.once('close', () => {
    clearTimeout(timer);
    // The client went away (or stalled) mid-body: the upload fails with it.
    if (!source.readableEnded) body.destroy(new Error('request body ended early'));
  });
  body.once('error', () => {
    // The upload's reader sees the failure through `body`.
    source.unpipe(body);
    source.resume();
  });
  source.pipe(body);
}

/** Reads and drops the rest of a refused HTTP/1.1 body of a known, bounded length (REFUSED_BODY_DRAIN_BYTES). */
async function drainRefusedBody(req: ServerRequest, idleMs: number): Promise<void> {
  if (req.complete || req.httpVersionMajor !== 1 || req.destroyed) return;
  const length = Number(req.headers['content-length']);
  if (!Number.isSafeInteger(length) || length > REFUSED_BODY_DRAIN_BYTES) return;
  const source = req as Readable;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(done, idleMs);
    source.on('data', refresh);
    source.once('end', done);
    source.once('close', done);
    source.unpipe(); // from an upload that no one reads any more
    source.resume();
    function refresh() {
      timer.refresh();
    }
    function done() {
      clearTimeout(timer);
      source.off('data', refresh);
      source.off('end', done);
      source.off('close', done);
      resolve();
    }
  });
}

async function readDocument(body: UploadBody): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_DOCUMENT_BYTES) {
      body.destroy();
      throw new S3Error('MaxMessageLengthExceeded', 'Your request was too big.', 400);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}

async function send(res: ServerResponse, method: string, result: S3Result, successStatus: number): Promise<void> {
  for (const [name, value] of Object.entries(result.headers ?? {})) if (value !== undefined) res.setHeader(name, value);
  const status = result.status ?? successStatus;
  const body = result.body;
  if (body instanceof Readable) {
    if (method === 'HEAD') body.destroy();
    res.writeHead(status);
    if (method === 'HEAD') return void res.end();
    await pipeline(body, res as NodeJS.WritableStream);
    return;
  }
  if (body === undefined) {
    if (!res.hasHeader('Content-Length') && status !== 204 && status !== 304) res.setHeader('Content-Length', 0);
    res.writeHead(status);
    res.end();
    return;
  }
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  if (!res.hasHeader('Content-Type')) res.setHeader('Content-Type', 'application/xml');
  res.setHeader('Content-Length', bytes.length);
  res.writeHead(status);
  res.end(bytes);
}

/** `<Error>` with S3's code, message and details; HEAD answers carry the status alone. */
function sendError(req: ServerRequest, res: ServerResponse, method: string, error: S3Error, id: string, hostId: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  for (const name of res.getHeaderNames()) if (name !== 'x-amz-request-id' && name !== 'x-amz-id-2') res.removeHeader(name);
  // A body the answer did not read is not read at all: over HTTP/1.1 the connection closes after it.
  if (!req.complete && req.httpVersionMajor === 1) res.setHeader('Connection', 'close');
  if (method === 'HEAD') {
    res.writeHead(error.status);
    res.end();
    return;
  }
  let details = '';
  for (const [name, value] of Object.entries(error.details)) details += `<${name}>${escapeXml(String(value))}</${name}>`;
  const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${error.code}</Code><Message>${escapeXml(error.message)}</Message>${details}<RequestId>${id}</RequestId><HostId>${escapeXml(hostId)}</HostId></Error>`;
  const bytes = Buffer.from(xml);
  res.setHeader('Content-Type', 'application/xml');
  res.setHeader('Content-Length', bytes.length);
  res.writeHead(error.status);
  res.end(bytes);
}

function toS3Error(err: unknown, address: Address | undefined, query: URLSearchParams): S3Error {
  if (err instanceof S3Error) return err;
  if (err instanceof ObjectStoreError) {
    const bucket = address?.bucket ?? '';
    switch (err.code) {
      case 'NoSuchBucket':
        return noSuchBucket(bucket);
      case 'NoSuchKey':
        return noSuchKey(address?.key ?? '');
      case 'BucketAlreadyOwnedByYou':
        return bucketAlreadyOwnedByYou(bucket);
      case 'BucketNotEmpty':
        return bucketNotEmpty(bucket);
      case 'NoSuchUpload':
        return noSuchUpload(query.get('uploadId') ?? '');
      case 'InvalidPart':
        return invalidPart();
      case 'InvalidPartOrder':
        return invalidPartOrder();
      case 'EntityTooSmall':
        return entityTooSmall();
    }
  }
  // An upload whose checks failed reaches the store as a failed stream; the check's error is the answer.
  const cause = (err as { cause?: unknown } | undefined)?.cause;
  if (cause instanceof S3Error) return cause;
  return internalError();
}

/** The shared authenticator's AWS errors in S3's words (S3 API reference, "List of error codes"). */
function authError(err: AwsError, form: 'header' | 'query', req: ServerRequest): S3Error {
  switch (err.type) {
    case 'UnrecognizedClientException':
      return new S3Error('InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.', 403, {
        AWSAccessKeyId: accessKeyOf(req),
      });
    case 'InvalidSignatureException':
      if (err.message.startsWith('Signature expired') || err.message.startsWith('Signature not yet current')) {
        if (form === 'query' && err.message.startsWith('Signature expired')) return accessDenied('Request has expired');
        return new S3Error('RequestTimeTooSkewed', 'The difference between the request time and the current time is too large.', 403);
      }
      if (err.message.startsWith('Found both')) {
        return new S3Error(
          'InvalidArgument',
          'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified',
          400,
        );
      }
      return new S3Error('SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your key and signing method.', 403);
    case 'IncompleteSignatureException':
      return form === 'header'
        ? new S3Error('AuthorizationHeaderMalformed', err.message, 400)
        : new S3Error('AuthorizationQueryParametersError', err.message, 400);
    default:
      return accessDenied();
  }
}

function accessKeyOf(req: ServerRequest): string {
  const authorization = req.headers.authorization;
  const match = typeof authorization === 'string' ? /Credential=([^/]*)\//.exec(authorization) : null;
  if (match) return match[1]!;
  const url = new URL(req.url ?? '/', 'http://localhost');
  return (url.searchParams.get('X-Amz-Credential') ?? '').split('/')[0] ?? '';
}
