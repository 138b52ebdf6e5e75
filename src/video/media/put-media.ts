import type { ServerRequest, ServerResponse } from '../../protocol/http-exchange.js';
import type { VideoRequestContext } from '../context.js';
import { streamNotFound } from '../errors.js';
import { AckError, ackLine, type Ack, type AckErrorCode } from './acks.js';
import { connectionKey, PutMediaLease } from './connections.js';
import {
  clientLimitExceeded, invalidArgument, PRODUCER_START_INVALID, PUT_MEDIA_RATE_EXCEEDED, STREAM_HEADER_REQUIRED, TIMECODE_TYPE_INVALID,
} from './errors.js';
import { streamLogs } from './fragment-store.js';
import { MediaIngest, type TimecodeType } from './ingest.js';
import {
  IDLE_ACK_INTERVAL_MS, IDLE_CLOSE_MS, MAX_CONNECTION_MS, PUT_MEDIA_BYTES_PER_SECOND, PUT_MEDIA_FRAGMENTS_PER_SECOND, PUT_MEDIA_TPS,
} from './limits.js';
import { retentionHorizon, servesMedia, type MediaRuntime } from './runtime.js';

/**
 * PutMedia (VIDEO-SPEC §3): `POST /putMedia` with the stream in headers and a chunked MKV body
 * that streams for up to 45 minutes. Request-level failures are JSON errors before the 200; after
 * it, everything is an ack line on the response, written while the request still streams.
 */

/** The response's Content-Type (not on record; the body is JSON lines). UNVERIFIED. */
export const PUT_MEDIA_CONTENT_TYPE = 'application/json';
/** Fragments committed between two retention trims of the stream's logs. */
const TRIM_EVERY_FRAGMENTS = 50;

type Stop = { reason: 'idle' } | { reason: 'error'; code: AckErrorCode; message: string };

export async function putMedia(runtime: MediaRuntime, req: ServerRequest, res: ServerResponse, context: VideoRequestContext): Promise<void> {
  const header = (name: string): string | undefined => {
    const value = req.headers[name];
    return Array.isArray(value) ? value[0] : value;
  };
  const StreamName = header('x-amzn-stream-name');
  const StreamARN = header('x-amzn-stream-arn');
  if (StreamName === undefined && StreamARN === undefined) throw invalidArgument(STREAM_HEADER_REQUIRED);
  const stream = await context.video.streams.find(context.account, context.region, { StreamName, StreamARN });
  if (!servesMedia(stream)) throw streamNotFound();
  const timecodeType = (header('x-amzn-fragment-timecode-type') ?? 'ABSOLUTE').toUpperCase();
  if (timecodeType !== 'ABSOLUTE' && timecodeType !== 'RELATIVE') throw invalidArgument(TIMECODE_TYPE_INVALID);
  const startText = header('x-amzn-producer-start-timestamp');
  let producerStartMs: number | undefined;
  if (startText !== undefined) {
    const value = Number(startText);
    if (!Number.isFinite(value) || value < 0) throw invalidArgument(PRODUCER_START_INVALID);
    // Decimal seconds as the C and Go producers send them; an integer in ms (one Rust client) is taken as ms.
    producerStartMs = value > 1e11 ? value : Math.round(value * 1000);
  }
  if (runtime.enforceLimits && !runtime.admitPut(stream.StreamARN, PUT_MEDIA_TPS)) throw clientLimitExceeded(PUT_MEDIA_RATE_EXCEEDED);

  const logs = streamLogs(stream.StreamARN);
  // Why the upload must end (the first reason wins), and the wait for the next piece it cuts short.
  // Not a Promise.race against one long-lived promise: each race would leave a reaction on it that
  // keeps its piece of the body alive until the connection ends (hundreds of MB on a long upload).
  let stopped: Stop | undefined;
  let wake: ((value: Stop) => void) | undefined;
  const stop = (value: Stop) => {
    stopped ??= value;
    wake?.(stopped);
  };
  const lease = await PutMediaLease.acquire(runtime.store.meta, connectionKey(logs.fragments), () =>
    stop({ reason: 'error', code: 'STREAM_NOT_ACTIVE', message: 'the stream was deleted' }));
  const unregister = runtime.onPutSession(stream.StreamARN, (code) => stop({ reason: 'error', code, message: 'the stream was deleted' }));
  const timers: NodeJS.Timeout[] = [];
  try {
    res.writeHead(200, { 'Content-Type': PUT_MEDIA_CONTENT_TYPE });
    // The 200 goes out at once, before any media (§3.4): HTTP/1.1 needs the explicit flush.
    (res as { flushHeaders?: () => void }).flushHeaders?.();
    const out = res as unknown as NodeJS.WritableStream & { destroyed: boolean; writableEnded: boolean };
    const send = (ack: Ack) => {
      if (!out.writableEnded && !out.destroyed) out.write(ackLine(ack));
    };
    context.video.metrics?.putMediaRequest(stream);
    let metered = 0; // fragments of ingest.committed counted for AWS/KinesisVideo
    const persisted = stream.DataRetentionInHours > 0;
    const ingest = new MediaIngest(runtime.fragments, logs, {
      timecodeType: timecodeType as TimecodeType, producerStartMs: producerStartMs ?? Date.now(), persistedAcks: persisted,
      firstSeq: await runtime.fragments.tip(logs), unpersisted: runtime.unpersisted,
    }, send);

    // Quiet is time spent waiting for the producer's next piece: while the upload is held back for
    // a slow store (back-pressure, pacing) the producer is not quiet, and nothing is closed for it.
    let waitingSince: number | undefined = Date.now();
    timers.push(setInterval(() => {
      if (waitingSince === undefined) return;
      const quiet = Date.now() - waitingSince;
      if (quiet >= IDLE_CLOSE_MS) stop({ reason: 'idle' });
      else if (quiet >= IDLE_ACK_INTERVAL_MS) send({ EventType: 'IDLE' });
    }, IDLE_ACK_INTERVAL_MS));
    timers.push(setTimeout(() => stop({ reason: 'error', code: 'MAX_CONNECTION_DURATION_REACHED', message: 'connection open for 45 minutes' }), MAX_CONNECTION_MS));
    for (const timer of timers) timer.unref();

    const startedAt = Date.now();
    const body = (req as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
    let outcome: Stop | 'end' | 'gone';
    let trimmedAt = 0;
    for (;;) {
      let next: IteratorResult<Buffer> | Stop;
      waitingSince = Date.now();
      try {
        next = await new Promise<IteratorResult<Buffer> | Stop>((resolve, reject) => {
          if (stopped) return resolve(stopped);
          wake = resolve;
          body.next().then(resolve, reject);
        });
      } catch {
        outcome = 'gone'; // the producer went away: what was received and closed is still committed
        break;
      } finally {
        wake = undefined;
        waitingSince = undefined;
      }
      if ('reason' in next) {
        outcome = next;
        break;
      }
      if (next.done) {
        outcome = 'end';
        break;
      }
      context.video.metrics?.putMediaBytes(stream, next.value.length);
      try {
        ingest.push(next.value);
        await ingest.waitForRoom();
      } catch (error) {
        outcome = { reason: 'error', code: (error as AckError).code ?? 'INTERNAL_ERROR', message: String(error) };
        break;
      }
      metered = context.video.metrics?.fragmentsCommitted(stream, ingest.committed, metered) ?? metered;
      if (runtime.enforceLimits) await pace(ingest, startedAt);
      if (ingest.committed.length - trimmedAt >= TRIM_EVERY_FRAGMENTS) {
        trimmedAt = ingest.committed.length;
        void runtime.fragments.trim(logs, retentionHorizon(stream)).catch(() => undefined);
      }
    }

    if (outcome === 'end' || (typeof outcome === 'object' && outcome.reason === 'idle')) {
      try {
        await ingest.finish();
      } catch (error) {
        if (error instanceof AckError) send(error.ack());
      }
    } else if (outcome === 'gone') {
      await ingest.settle();
    } else {
      const fragment = ingest.error ? undefined : ingest.openFragment;
      const error = ingest.error ?? new AckError(outcome.code, outcome.message, fragment);
      await ingest.settle();
      send(error.ack());
      // What this upload wrote after the stream's media were dropped (on this node or another,
      // which only this node's lease renewal noticed) goes too: the deletion drops everything.
      if (outcome.code === 'STREAM_NOT_ACTIVE' && !servesMedia(await context.video.streams.lookUp(context.account, context.region, { StreamARN: stream.StreamARN }))) {
        await runtime.fragments.drop(logs).catch(() => undefined);
        trimmedAt = ingest.committed.length;
      }
    }
    context.video.metrics?.fragmentsCommitted(stream, ingest.committed, metered);
    if (ingest.committed.length !== trimmedAt) await runtime.fragments.trim(logs, retentionHorizon(stream)).catch(() => undefined);
    if (outcome !== 'end') discardRest(req, res);
    // The stream is free again before the producer sees the end of the response (and reconnects).
    await lease.release();
    if (!res.writableEnded) res.end();
  } finally {
    for (const timer of timers) clearInterval(timer);
    unregister();
    await lease.release();
  }
}

/** --enforce-limits: the upload is slowed to 12.5 MB/s and 5 fragments/s (§3.5) by reading later. */
async function pace(ingest: MediaIngest, startedAt: number): Promise<void> {
  const due = Math.max(
    (ingest.bytesReceived / PUT_MEDIA_BYTES_PER_SECOND) * 1000,
    ((ingest.fragmentsStarted - PUT_MEDIA_FRAGMENTS_PER_SECOND) / PUT_MEDIA_FRAGMENTS_PER_SECOND) * 1000,
  );
  const wait = startedAt + due - Date.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
}

/**
 * After an ERROR ack the rest of the upload is read and dropped. A producer that ends its upload
 * soon keeps its HTTP/1.1 connection (closing it under a client that already put it back in its
 * keep-alive pool makes its next request fail with "socket hang up"); one that keeps streaming has
 * its connection closed once the acks are out and DISCARD_GRACE_MS have passed.
 */
export const DISCARD_GRACE_MS = 2_000;

function discardRest(req: ServerRequest, res: ServerResponse): void {
  if (req.complete) return;
  req.resume();
  if (req.httpVersionMajor !== 1) return;
  res.once('finish', () => {
    if (req.complete) return;
    const timer = setTimeout(() => req.socket?.end(), DISCARD_GRACE_MS);
    timer.unref();
    req.once('end', () => clearTimeout(timer));
  });
}
