import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { decodeFrame, splitFrames } from '../src/protocol/event-stream.js';

/**
 * The subscribers of bench/fan-out.ts, in a worker thread: every consumer subscribes to every
 * shard from LATEST and measures, per record, the time from the producer stamping it to its event
 * arriving here (absolute high-resolution time, comparable across threads).
 */
export const SUBSCRIBE_HEADERS = {
  'Content-Type': 'application/x-amz-json-1.1',
  'X-Amz-Date': '20240101T000000Z',
  Authorization: 'AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/kinesis/aws4_request, SignedHeaders=host, Signature=x',
};

interface Setup {
  endpoint: string;
  arns: string[];
  shardIds: string[];
}

type ToWorker = { type: 'measure' } | { type: 'finish'; expected: number };
type FromWorker = { type: 'ready' } | { type: 'done'; latencies: number[] };

/** The main thread's handle on the worker. */
export class Subscribers {
  private readonly worker: Worker;
  readonly ready: Promise<void>;

  constructor(endpoint: string, arns: string[], shardIds: string[]) {
    this.worker = new Worker(new URL(import.meta.url), { workerData: { endpoint, arns, shardIds } satisfies Setup });
    this.ready = this.next('ready').then(() => undefined);
  }

  private next(type: FromWorker['type']): Promise<FromWorker> {
    return new Promise((resolve, reject) => {
      const onMessage = (message: FromWorker) => {
        if (message.type !== type) return;
        this.worker.off('message', onMessage);
        resolve(message);
      };
      this.worker.on('message', onMessage);
      this.worker.once('error', reject);
    });
  }

  measure(): void {
    this.worker.postMessage({ type: 'measure' } satisfies ToWorker);
  }

  /** Waits (up to 5 s) for `expected` records since measure(), then stops: their latencies in ms. */
  async finish(expected: number): Promise<number[]> {
    const done = this.next('done');
    this.worker.postMessage({ type: 'finish', expected } satisfies ToWorker);
    const { latencies } = (await done) as Extract<FromWorker, { type: 'done' }>;
    await this.worker.terminate();
    return latencies;
  }
}

/**
 * Frames as they arrived, with the time they arrived, decoded after every socket that had data in
 * this turn was read: one thread serves all the subscriptions here, and decoding one socket's
 * event before reading the next would charge the later subscriptions with the earlier ones'
 * decoding (real consumers are separate processes, each reading its own socket).
 */
const arrived: { frame: Buffer; at: number; onRecord: (data: string, arrivedAt: number) => void }[] = [];
let decodeScheduled = false;

function decodeArrived(): void {
  decodeScheduled = false;
  for (const { frame, at, onRecord } of arrived.splice(0)) {
    const { headers, body } = decodeFrame(frame);
    if (headers[':event-type'] !== 'SubscribeToShardEvent') continue;
    for (const record of JSON.parse(body.toString()).Records) onRecord(record.Data, at);
  }
}

/** One subscription; calls `onRecord` with the base64 Data of every record received and the time its event arrived. */
function subscribe(endpoint: string, consumerArn: string, shardId: string, onRecord: (data: string, arrivedAt: number) => void): Promise<() => void> {
  const body = JSON.stringify({ ConsumerARN: consumerArn, ShardId: shardId, StartingPosition: { Type: 'LATEST' } });
  return new Promise((resolve, reject) => {
    const req = http.request(
      new URL('/', endpoint),
      { method: 'POST', agent: false, headers: { ...SUBSCRIBE_HEADERS, 'X-Amz-Target': 'Kinesis_20131202.SubscribeToShard' } },
      (res) => {
        if (res.statusCode !== 200) return reject(new Error(`SubscribeToShard: ${res.statusCode}`));
        let pending: Buffer = Buffer.alloc(0);
        let first = true;
        res.on('data', (chunk: Buffer) => {
          const at = performance.timeOrigin + performance.now();
          const split = splitFrames(pending.length ? Buffer.concat([pending, chunk]) : chunk);
          pending = split.rest;
          for (const frame of split.frames) {
            if (first) {
              // The initial-response event.
              first = false;
              resolve(() => req.destroy());
              continue;
            }
            arrived.push({ frame, at, onRecord });
          }
          if (arrived.length && !decodeScheduled) {
            decodeScheduled = true;
            setImmediate(decodeArrived);
          }
        });
        res.on('error', () => undefined);
      },
    );
    req.on('error', () => undefined);
    req.end(body);
  });
}

async function runWorker(setup: Setup): Promise<void> {
  const latencies: number[] = [];
  let received = 0;
  let measuring = false;
  // Data carries the send time (absolute ms) as base64 of a padded decimal.
  const onRecord = (data: string, arrivedAt: number) => {
    received++;
    if (!measuring) return;
    const sentAt = Number(Buffer.from(data, 'base64').toString('latin1', 0, 20).trim());
    latencies.push(arrivedAt - sentAt);
  };
  const closers: (() => void)[] = [];
  for (const arn of setup.arns) for (const shardId of setup.shardIds) closers.push(await subscribe(setup.endpoint, arn, shardId, onRecord));
  let receivedAtStart = 0;
  parentPort!.on('message', async (message: ToWorker) => {
    if (message.type === 'measure') {
      measuring = true;
      receivedAtStart = received;
      return;
    }
    const deadline = performance.now() + 5000;
    while (received - receivedAtStart < message.expected && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    measuring = false;
    for (const close of closers) close();
    parentPort!.postMessage({ type: 'done', latencies } satisfies FromWorker);
  });
  parentPort!.postMessage({ type: 'ready' } satisfies FromWorker);
}

if (!isMainThread) await runWorker(workerData as Setup);
