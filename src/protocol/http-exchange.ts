import { randomBytes } from 'node:crypto';
import type http from 'node:http';
import type http2 from 'node:http2';
import { constants as http2constants } from 'node:http2';

/**
 * What every protocol does with an HTTP exchange, whatever the service: the request and response
 * types of both HTTP versions, reading a bounded body, AWS's request ids, and writing a whole answer.
 */
export type ServerRequest = http.IncomingMessage | http2.Http2ServerRequest;
export type ServerResponse = http.ServerResponse | http2.Http2ServerResponse;

/** Decoded request bodies are bounded: 10 MiB of record data is ~14 MiB of base64 (§1.6). */
export const MAX_BODY_BYTES = 16 * 1024 * 1024;
/** Bodies declared this large are gathered into one buffer as they arrive (BodyCollector)... */
const PREALLOCATED_BODY_BYTES = 64 * 1024;
/** ...a megabyte of socket reads at a time. */
const BODY_COPY_BATCH_BYTES = 1024 * 1024;
/** How much of an oversized HTTP/2 upload is read and dropped before the stream is reset. */
export const DISCARD_LIMIT_BYTES = 4 * MAX_BODY_BYTES;

/**
 * x-amz-id-2 is 72 random bytes in base64, as S3-style services send it. Random bytes come from a
 * pool refilled in one call, since a call per request showed up in profiles.
 */
const ID2_BYTES = 72;
const ID2_POOL_IDS = 512;
let id2Pool = Buffer.alloc(0);
let id2At = 0;
export function extendedRequestId(): string {
  if (id2At + ID2_BYTES > id2Pool.length) {
    id2Pool = randomBytes(ID2_BYTES * ID2_POOL_IDS);
    id2At = 0;
  }
  id2At += ID2_BYTES;
  return id2Pool.toString('base64', id2At - ID2_BYTES, id2At);
}

export function sendRaw(res: ServerResponse, status: number, contentType: string | undefined, payload: Buffer | string): void {
  const bytes = typeof payload === 'string' ? Buffer.from(payload) : payload;
  if (contentType) res.setHeader('Content-Type', contentType);
  res.setHeader('Content-Length', bytes.length);
  res.writeHead(status);
  res.end(bytes);
}

/**
 * The whole body, or undefined when it exceeds MAX_BODY_BYTES. A body that stalls for `idleMs`
 * rejects, and its connection (HTTP/1.1) or stream (HTTP/2) is dropped.
 */
export function readBody(req: ServerRequest, idleMs: number): Promise<Buffer | undefined> {
  const declared = Number(req.headers['content-length']);
  if (declared > MAX_BODY_BYTES) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const collector = new BodyCollector(Number.isSafeInteger(declared) ? declared : -1);
    let done = false;
    const stalled = () => {
      if (done) return;
      done = true;
      reject(new Error('request body stalled'));
      if ('stream' in req) req.stream.close(http2constants.NGHTTP2_CANCEL);
      else req.socket.destroy();
    };
    const timer = setTimeout(stalled, idleMs);
    const settle = () => {
      done = true;
      clearTimeout(timer);
    };
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      timer.refresh();
      if (collector.size + chunk.length > MAX_BODY_BYTES) {
        settle();
        req.pause();
        return resolve(undefined);
      }
      collector.add(chunk);
    });
    req.on('end', () => {
      if (done) return;
      settle();
      resolve(collector.finish());
    });
    req.on('error', (err) => {
      if (done) return;
      settle();
      reject(err);
    });
    req.on('aborted', () => {
      if (done) return;
      settle();
      reject(new Error('request aborted'));
    });
  });
}

/**
 * Gathers a request body. A large declared body goes into one buffer of that size, copied in
 * batches as it arrives, so that its 64 KiB socket reads die young: kept in a list until the end,
 * a multi-megabyte body's reads outlived several scavenges, were promoted, and their memory stayed
 * in the C heap (RSS after writing 5 GB in 6.7 MB requests: 297 -> 221-233 MB). Copying each read
 * at once cost 1 MiB PutRecords about 10% in the same benchmark; a batch is the middle way.
 */
export class BodyCollector {
  size = 0;
  private body: Buffer | undefined;
  private written = 0;
  /** Reads not yet copied into `body` (with a body, `size - written` bytes of them). */
  private pending: Buffer[] = [];

  /** `declared`: the Content-Length, or -1. */
  constructor(declared: number) {
    this.body = declared >= PREALLOCATED_BODY_BYTES ? Buffer.allocUnsafe(declared) : undefined;
  }

  add(chunk: Buffer): void {
    this.size += chunk.length;
    if (this.body && this.size > this.body.length) {
      // More than was declared: from here on, a list as without a declared length.
      this.copyPending();
      this.pending = [this.body.subarray(0, this.written)];
      this.body = undefined;
    }
    this.pending.push(chunk);
    if (this.body && this.size - this.written >= BODY_COPY_BATCH_BYTES) this.copyPending();
  }

  finish(): Buffer {
    if (!this.body) return this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending, this.size);
    this.copyPending();
    return this.written === this.body.length ? this.body : this.body.subarray(0, this.written);
  }

  private copyPending(): void {
    for (const chunk of this.pending) this.written += chunk.copy(this.body!, this.written);
    this.pending = [];
  }
}

export function drain(req: ServerRequest): Promise<void> {
  return new Promise((resolve) => {
    req.resume();
    req.on('end', resolve);
    req.on('error', () => resolve());
  });
}
