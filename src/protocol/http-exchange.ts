import { randomBytes } from 'node:crypto';
import type http from 'node:http';
import type { OutgoingHttpHeaders } from 'node:http';
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
 * pool refilled in one call, since a call per request showed up in profiles, and the pool is
 * encoded at once: 72 bytes are 96 base64 characters with no padding, so each id is a slice of
 * the pool's text (what encoding its 72 bytes alone would give).
 */
const ID2_BYTES = 72;
const ID2_CHARS = (ID2_BYTES / 3) * 4;
const ID2_POOL_IDS = 512;
let id2Pool = '';
let id2At = 0;
export function extendedRequestId(): string {
  if (id2At + ID2_CHARS > id2Pool.length) {
    id2Pool = randomBytes(ID2_BYTES * ID2_POOL_IDS).toString('base64');
    id2At = 0;
  }
  id2At += ID2_CHARS;
  return id2Pool.slice(id2At - ID2_CHARS, id2At);
}

export function sendRaw(res: ServerResponse, status: number, contentType: string | undefined, payload: Buffer | string): void {
  const bytes = typeof payload === 'string' ? Buffer.from(payload) : payload;
  if (contentType) res.setHeader('Content-Type', contentType);
  res.setHeader('Content-Length', bytes.length);
  res.writeHead(status);
  res.end(bytes);
}

/**
 * A whole answer with its headers given as one flat list (`[name, value, name, value…]`): Node
 * writes such a head without building its header map, which setHeader calls would (measured on
 * the PutRecord path). Headers already set with setHeader (a shutdown's `Connection: close`) are
 * kept. A string payload must be Latin-1 (ASCII JSON): its length is its byte count.
 */
export function sendWithHeaders(res: ServerResponse, status: number, headers: string[], payload: Buffer | string): void {
  headers.push('Content-Length', String(payload.length));
  res.writeHead(status, flatHeaders(headers));
  // A string payload is Latin-1 text (one byte a character): Node sends it joined to the head.
  if (typeof payload === 'string') res.end(payload, 'latin1');
  else res.end(payload);
}

/** Node (HTTP/1.1 and HTTP/2 alike) takes a flat list where its types say a header object. */
export const flatHeaders = (headers: string[]) => headers as unknown as OutgoingHttpHeaders;

/**
 * The whole body, or undefined when it exceeds MAX_BODY_BYTES. A body that stalls for `idleMs`
 * rejects, and its connection (HTTP/1.1) or stream (HTTP/2) is dropped.
 *
 * Nothing here is made per request but the promise and its reader: the listeners are shared
 * functions that find the reader on the request, and stalls are found by one sweep per idle
 * timeout value instead of a timer per request (a timer per request showed up in profiles).
 */
export function readBody(req: ServerRequest, idleMs: number): Promise<Buffer | undefined> {
  const declared = Number(req.headers['content-length']);
  if (declared > MAX_BODY_BYTES) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const reader = new BodyReader(req, Number.isSafeInteger(declared) ? declared : -1, resolve, reject, stallWatch(idleMs));
    (req as ReadableRequest)[READER] = reader;
    req.on('data', onBodyData);
    req.on('end', onBodyEnd);
    req.on('error', onBodyError);
    req.on('aborted', onBodyAborted);
  });
}

const READER = Symbol('body reader');
type ReadableRequest = ServerRequest & { [READER]?: BodyReader };

function onBodyData(this: ReadableRequest, chunk: Buffer): void {
  this[READER]?.data(chunk);
}
function onBodyEnd(this: ReadableRequest): void {
  this[READER]?.end();
}
function onBodyError(this: ReadableRequest, err: Error): void {
  this[READER]?.fail(err);
}
function onBodyAborted(this: ReadableRequest): void {
  this[READER]?.fail(new Error('request aborted'));
}

class BodyReader {
  private readonly collector: BodyCollector;
  /** The stall watch's tick when bytes last arrived. */
  seen: number;
  done = false;
  /** Neighbours in the stall watch's list. */
  prev: BodyReader | undefined = undefined;
  next: BodyReader | undefined = undefined;

  constructor(
    private readonly req: ServerRequest,
    declared: number,
    private readonly resolve: (body: Buffer | undefined) => void,
    private readonly reject: (err: Error) => void,
    private readonly watch: StallWatch,
  ) {
    this.collector = new BodyCollector(declared);
    this.seen = watch.add(this);
  }

  data(chunk: Buffer): void {
    if (this.done) return;
    this.seen = this.watch.tick;
    if (this.collector.size + chunk.length > MAX_BODY_BYTES) {
      this.settle();
      this.req.pause();
      return this.resolve(undefined);
    }
    this.collector.add(chunk);
  }

  end(): void {
    if (this.done) return;
    this.settle();
    this.resolve(this.collector.finish());
  }

  fail(err: Error): void {
    if (this.done) return;
    this.settle();
    this.reject(err);
  }

  stalled(): void {
    if (this.done) return;
    this.settle();
    this.reject(new Error('request body stalled'));
    const req = this.req;
    if ('stream' in req) req.stream.close(http2constants.NGHTTP2_CANCEL);
    else req.socket.destroy();
  }

  private settle(): void {
    this.done = true;
    this.watch.remove(this);
    (this.req as ReadableRequest)[READER] = undefined;
  }
}

/** Sweeps per stall timeout: a body is stalled after TICKS_PER_TIMEOUT + 1 sweeps without bytes. */
const TICKS_PER_TIMEOUT = 4;

/**
 * The bodies being read with one idle timeout. A sweep every quarter of the timeout finds those
 * that received nothing for a whole timeout: a stalled body is dropped between 1 and 1.25 times
 * the timeout after its last bytes, never earlier. The sweep runs only while bodies are read.
 */
class StallWatch {
  tick = 0;
  /**
   * The readers, as a list linked through them: adding and removing one per request cost a Set's
   * hashing and rehashing (profiles of PutRecord).
   */
  private head: BodyReader | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly idleMs: number) {}

  add(reader: BodyReader): number {
    reader.prev = undefined;
    reader.next = this.head;
    if (this.head) this.head.prev = reader;
    this.head = reader;
    if (!this.timer) {
      this.timer = setInterval(() => this.sweep(), Math.max(1, Math.ceil(this.idleMs / TICKS_PER_TIMEOUT)));
      this.timer.unref();
    }
    return this.tick;
  }

  /** Called once per reader (BodyReader.settle). */
  remove(reader: BodyReader): void {
    if (reader.prev) reader.prev.next = reader.next;
    else if (this.head === reader) this.head = reader.next;
    if (reader.next) reader.next.prev = reader.prev;
    reader.prev = undefined;
    reader.next = undefined;
  }

  private sweep(): void {
    this.tick++;
    if (this.head === undefined) {
      clearInterval(this.timer);
      this.timer = undefined;
      return;
    }
    for (let reader: BodyReader | undefined = this.head; reader !== undefined; ) {
      const next: BodyReader | undefined = reader.next; // a stalled reader leaves the list
      if (this.tick - reader.seen > TICKS_PER_TIMEOUT) reader.stalled();
      reader = next;
    }
  }
}

const stallWatches = new Map<number, StallWatch>();

function stallWatch(idleMs: number): StallWatch {
  let watch = stallWatches.get(idleMs);
  if (!watch) stallWatches.set(idleMs, (watch = new StallWatch(idleMs)));
  return watch;
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
