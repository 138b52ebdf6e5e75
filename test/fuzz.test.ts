import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import http from 'node:http';
import http2 from 'node:http2';
import { Decoder, Encoder } from 'cbor-x';
import {
  AddTagsToStreamCommand,
  CreateStreamCommand,
  DescribeStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  IncreaseStreamRetentionPeriodCommand,
  ListTagsForStreamCommand,
  PutRecordsCommand,
  type KinesisClient,
} from '@aws-sdk/client-kinesis';
import model from '../src/model/kinesis-2013-12-02.json' with { type: 'json' };
import { startTestServer, type TestServer } from './helpers.js';

/**
 * Hostile input, bounded and seeded (issue 6 "Proof"): random and mutated JSON and CBOR bodies for
 * every operation of the model, raw HTTP/1.1 garbage and truncated requests, odd HTTP/2 streams and
 * frames, oversized bodies and clients that never finish their headers. Every HTTP answer must be
 * a well-formed AWS error or a success; garbage below HTTP may only close the connection. After
 * each batch a canary stream must still answer, unchanged, and memory must stay bounded.
 */

const SEED = 0x6d696c6c; // 'mill'
const TARGET_PREFIX = 'Kinesis_20131202';
const JSON_TYPE = 'application/x-amz-json-1.1';
const CBOR_TYPE = 'application/x-amz-cbor-1.1';
/** Well above the 1 s headers timeout the server runs with: reaching it means a hang. */
const HANG_MS = 15_000;
const HEADERS_TIMEOUT_MS = 1000;
/** How long a raw connection that keeps its side open is listened to (twice the headers timeout). */
const OPEN_CONNECTION_MS = 2 * HEADERS_TIMEOUT_MS;
const MAX_RSS_GROWTH = 300 * 1024 * 1024;
const CASES_PER_OPERATION = 24;
const AUTHORIZATION = 'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/us-east-1/kinesis/aws4_request, SignedHeaders=host, Signature=abc';

/** mulberry32: small, seeded, good enough to pick mutations reproducibly. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  return {
    next,
    int,
    pick: <T>(xs: readonly T[]): T => xs[int(xs.length)],
    chance: (p: number) => next() < p,
    bytes: (n: number) => Buffer.from(Array.from({ length: n }, () => int(256))),
  };
}
type Rng = ReturnType<typeof prng>;

interface Shape {
  type: string;
  members?: Record<string, { shape: string }>;
  member?: { shape: string };
  key?: { shape: string };
  value?: { shape: string };
  required?: string[];
  enum?: string[];
  min?: number;
  max?: number;
}
const shapes = (model as unknown as { shapes: Record<string, Shape> }).shapes;
const operations = (model as unknown as { operations: Record<string, { input?: { shape: string } }> }).operations;

const deepArray = (depth: number): unknown => {
  let v: unknown = 0;
  for (let i = 0; i < depth; i++) v = [v];
  return v;
};
const deepJson = (depth: number) => '['.repeat(depth) + '0' + ']'.repeat(depth);

/** A value of the wrong kind for any shape: what type checks and the codecs must refuse calmly. */
function hostileValue(rng: Rng): unknown {
  switch (rng.int(12)) {
    case 0: return rng.pick([1e308, -1e308, 2 ** 53 + 1, -(2 ** 63), 1.5, -0, 0]);
    case 1: return 'x'.repeat(rng.pick([0, 1, 257, 70_000]));
    case 2: return rng.pick([true, false, null]);
    case 3: return [];
    case 4: return {};
    case 5: return deepArray(rng.pick([100, 10_000]));
    case 6: return rng.pick(['!!!not base64!!!', 'abc', '====', 'YQ', '\u0000\uffff', '\ud800']);
    case 7: return { __proto__: 'x', constructor: 1, toString: 2 };
    case 8: return Array.from({ length: rng.pick([1, 501, 10_001]) }, () => ({}));
    case 9: return rng.pick(['2015-01-01T00:00:00Z', '1e999', 'NaN', '-1']);
    case 10: return { nested: deepArray(50) };
    default: return rng.int(2 ** 31) - 2 ** 30;
  }
}

/** A value of the shape's type (sometimes out of its constraints), or now and then a hostile one. */
function valueFor(shapeName: string, rng: Rng, depth = 0): unknown {
  if (rng.chance(0.12) || depth > 6) return hostileValue(rng);
  const shape = shapes[shapeName];
  switch (shape.type) {
    case 'structure': {
      const out: Record<string, unknown> = {};
      for (const [name, member] of Object.entries(shape.members ?? {})) {
        if (shape.required?.includes(name) ? rng.chance(0.9) : rng.chance(0.5)) out[name] = valueFor(member.shape, rng, depth + 1);
      }
      if (rng.chance(0.1)) out[`Unknown${rng.int(100)}`] = hostileValue(rng);
      return out;
    }
    case 'list':
      return Array.from({ length: rng.pick([0, 1, 2, 3]) }, () => valueFor(shape.member!.shape, rng, depth + 1));
    case 'map':
      return Object.fromEntries(Array.from({ length: rng.int(3) }, () => [`k${rng.int(1000)}`, valueFor(shape.value!.shape, rng, depth + 1)]));
    case 'string':
      if (shape.enum && rng.chance(0.7)) return rng.pick(shape.enum);
      // Random names never collide with the canary (which has no digits in its name).
      return rng.chance(0.5) ? `fz${rng.int(1e9)}` : rng.bytes(rng.int(40)).toString('latin1');
    case 'integer':
    case 'long':
      return rng.pick([0, 1, -1, 5, 500, 10_000, 2 ** 31, 1e15, rng.int(100)]);
    case 'boolean':
      return rng.chance(0.5);
    case 'blob':
      return rng.bytes(rng.int(64)).toString('base64');
    case 'timestamp':
      return rng.pick([0, 1.5, -1, 1e12, 1e20, Date.now() / 1000]);
    default:
      return null;
  }
}

const cborEncoder = new Encoder({ useRecords: false, mapsAsObjects: true });
const cborDecoder = new Decoder({ useRecords: false, mapsAsObjects: true });

function mutate(body: Buffer, rng: Rng): Buffer {
  switch (rng.int(5)) {
    case 0: return body.subarray(0, rng.int(body.length + 1)); // truncated
    case 1: {
      const copy = Buffer.from(body);
      for (let i = 0; i < 1 + rng.int(4) && copy.length; i++) copy[rng.int(copy.length)] = rng.int(256);
      return copy;
    }
    case 2: return Buffer.concat([body, rng.bytes(rng.int(16))]);
    default: return body;
  }
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

const XML_FORMS: Record<number, RegExp> = {
  403: /^<AccessDeniedException>/,
  404: /^<UnknownOperationException\/>/,
};

/** A well-formed AWS answer (§1.5, §1.6): success, `__type` in the request's encoding, or a documented raw form. */
function assertAwsAnswer(answer: Answer, what: string): void {
  const type = String(answer.headers['content-type'] ?? '');
  const describe = () => `${what}: ${answer.status} ${type} ${answer.body.subarray(0, 200).toString('latin1')}`;
  if (answer.status === 413) return assert.equal(answer.body.length, 0, describe());
  if (type === 'application/json') {
    // The legacy JSON 1.0 forms (§1.6).
    const parsed = JSON.parse(answer.body.toString());
    return assert.match(String(parsed?.Output?.__type), /^com\.amazon\.coral\.service#/, describe());
  }
  if (type === JSON_TYPE || type === CBOR_TYPE) {
    if (answer.body.length === 0) return assert.equal(answer.status, 200, describe());
    const decoded = type === JSON_TYPE ? JSON.parse(answer.body.toString()) : cborDecoder.decode(answer.body);
    assert.equal(typeof decoded, 'object', describe());
    if (answer.status === 200) return;
    assert.ok(answer.status >= 400 && answer.status < 600, describe());
    assert.equal(typeof decoded.__type, 'string', describe());
    assert.equal(answer.headers['x-amzn-errortype'], decoded.__type, describe());
    return;
  }
  const xml = XML_FORMS[answer.status];
  assert.ok(xml && xml.test(answer.body.toString()), describe());
}

function h1Request(endpoint: string, headers: Record<string, string>, body: Buffer): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(new URL('/', endpoint), { method: 'POST', headers, agent: false, timeout: HANG_MS }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('timeout', () => reject(new Error('hang: no answer')));
    req.on('error', reject);
    req.end(body);
  });
}

function h2Request(session: http2.ClientHttp2Session, headers: Record<string, string>, body: Buffer): Promise<Answer | 'reset'> {
  return new Promise((resolve, reject) => {
    const stream = session.request({ ':method': 'POST', ':path': '/', ...headers });
    const timer = setTimeout(() => reject(new Error('hang: no h2 answer')), HANG_MS);
    let head: Record<string, string | string[] | undefined> = {};
    const chunks: Buffer[] = [];
    stream.on('response', (h) => (head = h as typeof head));
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      clearTimeout(timer);
      resolve({ status: Number(head[':status']), headers: head, body: Buffer.concat(chunks) });
    });
    stream.on('error', () => {
      clearTimeout(timer);
      resolve('reset');
    });
    stream.end(body);
  });
}

/** Everything a raw socket receives until the server closes it (or the hang bound). */
function rawExchange(port: number, chunks: Buffer[], options: { halfClose: boolean; openAfterMs?: number }): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const received: Buffer[] = [];
    // `openAfterMs`: the connection may legitimately stay open (keep-alive after a complete answer,
    // or a body the client announced but never sent): stop listening then.
    const timer = setTimeout(() => {
      socket.destroy();
      if (options.openAfterMs === undefined) reject(new Error('hang: the server kept a garbage connection open'));
    }, options.openAfterMs ?? HANG_MS);
    socket.on('data', (c) => received.push(c));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(received));
    });
    socket.on('connect', () => {
      for (const c of chunks) socket.write(c);
      if (options.halfClose) socket.end();
    });
  });
}

/**
 * What came back on a raw HTTP/1.1 connection: nothing (closed), or responses each of which is an
 * AWS answer or Node's bare connection-level refusal (400/408/431 with Connection: close) for
 * bytes that are not HTTP.
 */
function assertRawAnswers(bytes: Buffer, what: string): void {
  let rest = bytes;
  while (rest.length) {
    const end = rest.indexOf('\r\n\r\n');
    assert.ok(end > 0, `${what}: partial response head ${rest.subarray(0, 100).toString('latin1')}`);
    const [statusLine, ...lines] = rest.subarray(0, end).toString('latin1').split('\r\n');
    const match = /^HTTP\/1\.1 (\d{3}) /.exec(statusLine);
    assert.ok(match, `${what}: ${statusLine}`);
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
    }
    const status = Number(match[1]);
    if (headers['x-amzn-requestid'] === undefined) {
      // Node's own refusal, with an empty body, sometimes chunked.
      const emptyBody = headers['transfer-encoding'] === 'chunked' ? '0\r\n\r\n' : '';
      const ok = [400, 408, 431].includes(status) && headers.connection === 'close' && Number(headers['content-length'] ?? 0) === 0;
      assert.ok(ok && rest.subarray(end + 4, end + 4 + emptyBody.length).toString() === emptyBody, `${what}: ${statusLine}`);
      rest = rest.subarray(end + 4 + emptyBody.length);
      continue;
    }
    const length = Number(headers['content-length'] ?? 0);
    assertAwsAnswer({ status, headers, body: rest.subarray(end + 4, end + 4 + length) }, what);
    rest = rest.subarray(end + 4 + length);
  }
}

// --- HTTP/2 frames by hand, for what node:http2's client will not send -----------------------
const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
function frame(type: number, flags: number, streamId: number, payload: Buffer, declaredLength = payload.length): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(declaredLength, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(streamId & 0x7fffffff, 5);
  return Buffer.concat([head, payload]);
}
function hpackInt(value: number, prefixBits: number, first: number): Buffer {
  const max = (1 << prefixBits) - 1;
  if (value < max) return Buffer.from([first | value]);
  const out = [first | max];
  value -= max;
  while (value >= 128) {
    out.push((value % 128) + 128);
    value = Math.floor(value / 128);
  }
  out.push(value);
  return Buffer.from(out);
}
/** HPACK literal header fields without indexing and without Huffman coding. */
function hpack(headers: [string, string][]): Buffer {
  return Buffer.concat(
    headers.flatMap(([name, value]) => [Buffer.from([0]), hpackInt(Buffer.byteLength(name), 7, 0), Buffer.from(name), hpackInt(Buffer.byteLength(value), 7, 0), Buffer.from(value)]),
  );
}
const SETTINGS_FRAME = frame(0x4, 0, 0, Buffer.alloc(0));
const END_HEADERS = 0x4;
const END_STREAM = 0x1;

describe('fuzz: hostile requests leave the server serving and its streams unchanged', () => {
  let server: TestServer;
  let client: KinesisClient;
  let canary: unknown;
  let rssBefore = 0;
  const rng = prng(SEED);

  async function canaryState() {
    const described = await client.send(new DescribeStreamCommand({ StreamName: 'canary' }));
    const tags = await client.send(new ListTagsForStreamCommand({ StreamName: 'canary' }));
    const records: string[] = [];
    for (const shard of described.StreamDescription!.Shards!) {
      const { ShardIterator } = await client.send(new GetShardIteratorCommand({ StreamName: 'canary', ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON' }));
      const out = await client.send(new GetRecordsCommand({ ShardIterator }));
      for (const r of out.Records!) records.push(`${shard.ShardId}/${r.SequenceNumber}/${r.PartitionKey}/${Buffer.from(r.Data!).toString('base64')}`);
    }
    const d = described.StreamDescription!;
    return { status: d.StreamStatus, retention: d.RetentionPeriodHours, shards: d.Shards, mode: d.StreamModeDetails, encryption: d.EncryptionType, tags: tags.Tags, records };
  }

  async function assertCanaryUnchanged() {
    assert.deepEqual(await canaryState(), canary);
  }

  before(async () => {
    server = await startTestServer({ headersTimeoutMs: HEADERS_TIMEOUT_MS, bodyTimeoutMs: HEADERS_TIMEOUT_MS });
    client = server.client();
    await client.send(new CreateStreamCommand({ StreamName: 'canary', ShardCount: 2 }));
    await client.send(new AddTagsToStreamCommand({ StreamName: 'canary', Tags: { owner: 'fuzz', purpose: 'canary' } }));
    await client.send(new IncreaseStreamRetentionPeriodCommand({ StreamName: 'canary', RetentionPeriodHours: 48 }));
    await client.send(
      new PutRecordsCommand({
        StreamName: 'canary',
        Records: Array.from({ length: 8 }, (_, i) => ({ Data: Buffer.from(`canary record ${i}`), PartitionKey: `key-${i}` })),
      }),
    );
    canary = await canaryState();
    rssBefore = process.memoryUsage().rss;
  });
  after(async () => {
    await server.stop();
  });

  it('random and mutated JSON and CBOR bodies for every operation, over HTTP/1.1 and HTTP/2', async () => {
    const session = http2.connect(server.endpoint);
    session.on('error', () => {});
    try {
      let answered = 0;
      for (const operation of Object.keys(operations).sort()) {
        const inputShape = operations[operation].input?.shape;
        for (let c = 0; c < CASES_PER_OPERATION; c++) {
          const value = inputShape ? valueFor(inputShape, rng) : {};
          const cbor = rng.chance(0.4);
          let body: Buffer;
          try {
            body = cbor ? cborEncoder.encode(value) : Buffer.from(JSON.stringify(value));
          } catch {
            body = Buffer.from(deepJson(10_000));
          }
          if (rng.chance(0.4)) body = mutate(body, rng);
          if (rng.chance(0.03)) body = Buffer.from(deepJson(10_000));
          if (rng.chance(0.03)) body = Buffer.concat([Buffer.alloc(10_000, 0x81), Buffer.from([0])]); // CBOR: 10,000 nested arrays
          const headers: Record<string, string> = {
            'content-type': cbor ? CBOR_TYPE : rng.chance(0.05) ? 'application/json' : JSON_TYPE,
            'x-amz-target': rng.chance(0.95) ? `${TARGET_PREFIX}.${operation}` : `${TARGET_PREFIX}.${operation}${rng.int(10)}`,
            authorization: AUTHORIZATION,
          };
          const what = `${operation} #${c} (${cbor ? 'cbor' : 'json'})`;
          const answer = rng.chance(0.5) ? await h1Request(server.endpoint, headers, body) : await h2Request(session, headers, body);
          assert.notEqual(answer, 'reset', `${what}: stream reset`);
          assertAwsAnswer(answer as Answer, what);
          answered++;
        }
      }
      assert.equal(answered, Object.keys(operations).length * CASES_PER_OPERATION);
    } finally {
      session.destroy();
    }
    await assertCanaryUnchanged();
  });

  it('raw HTTP/1.1 garbage, truncated requests and odd headers', async () => {
    const valid = (body: string, extra = '') =>
      `POST / HTTP/1.1\r\nHost: x\r\nAuthorization: ${AUTHORIZATION}\r\nContent-Type: ${JSON_TYPE}\r\nX-Amz-Target: ${TARGET_PREFIX}.DescribeStream\r\n${extra}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
    const cases: Buffer[] = [
      rng.bytes(64),
      rng.bytes(4096),
      Buffer.from('GET / HTTP/1.1\r\n'),
      Buffer.from('POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\n{"Str'),
      Buffer.from(valid('{"StreamName":"fz"}').slice(0, 40)),
      Buffer.from(valid('{"StreamName":"fz"}', 'Transfer-Encoding: chunked\r\n')),
      Buffer.from(`POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Type: ${JSON_TYPE}\r\nX-Amz-Target: ${TARGET_PREFIX}.ListStreams\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`),
      Buffer.from(`POST / HTTP/1.1\r\nHost: x\r\nX-Long: ${'a'.repeat(100_000)}\r\n\r\n`),
      Buffer.from(`POST / HTTP/1.1\r\nHost: x\r\n${Array.from({ length: 3000 }, (_, i) => `X-${i}: v`).join('\r\n')}\r\n\r\n`),
      Buffer.from('POST / HTTP/9.9\r\nHost: x\r\n\r\n'),
      Buffer.from('POST /\u0000 HTTP/1.1\r\nHost: x\r\n\r\n'),
      Buffer.from(valid('{"StreamName":"canary"}') + valid('{"StreamName":"canary"}', 'Content-Length: 5\r\n')),
      Buffer.from(valid('\u0000\u0001\u0002')),
      Buffer.from(valid(deepJson(10_000))),
      Buffer.from(valid('{"StreamName":"canary"}').replace('x-amz-json-1.1', 'x-amz-cbor-1.1')),
    ];
    for (let i = 0; i < 40; i++) cases.push(mutate(Buffer.from(valid(JSON.stringify({ StreamName: `fz${i}`, Limit: 5 }))), rng));
    // Half the cases hang up their side after sending (one after the other); the rest keep it open (all at once).
    for (const [i, bytes] of cases.entries()) {
      if (i % 2 === 0) assertRawAnswers(await rawExchange(server.port, [bytes], { halfClose: true }), `raw case ${i}`);
    }
    const open = await Promise.all(cases.map((bytes, i) => (i % 2 ? rawExchange(server.port, [bytes], { halfClose: false, openAfterMs: OPEN_CONNECTION_MS }) : undefined)));
    for (const [i, answer] of open.entries()) if (answer) assertRawAnswers(answer, `raw case ${i}`);
    await assertCanaryUnchanged();
  });

  it('clients that never finish their headers are cut off by the headers timeout', async () => {
    const slow = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        rawExchange(server.port, [Buffer.from(i % 2 ? 'POST / HTTP/1.1\r\nHost: x\r\nX-Slow: ' : 'P')], { halfClose: false }),
      ),
    );
    for (const [i, bytes] of slow.entries()) assertRawAnswers(bytes, `slow client ${i}`);
    // Nothing at all, and an HTTP/2 preface with no frames after it.
    assert.equal((await rawExchange(server.port, [], { halfClose: false })).length, 0);
    await rawExchange(server.port, [H2_PREFACE], { halfClose: false });
    await assertCanaryUnchanged();
  });

  it('clients whose body stalls are cut off by the body timeout, over HTTP/1.1 and HTTP/2', async () => {
    const head = (length: number) =>
      `POST / HTTP/1.1\r\nHost: x\r\nContent-Type: ${JSON_TYPE}\r\nX-Amz-Target: ${TARGET_PREFIX}.DescribeStream\r\n` +
      `Authorization: ${AUTHORIZATION}\r\nX-Amz-Date: 20240101T000000Z\r\nContent-Length: ${length}\r\n\r\n{"StreamName":`;
    // The server closes these connections itself (rawExchange fails on a connection kept open).
    const stalled = await Promise.all(Array.from({ length: 10 }, () => rawExchange(server.port, [Buffer.from(head(100))], { halfClose: false })));
    for (const bytes of stalled) assert.equal(bytes.length, 0, 'nobody is answered for a body that never came');
    const session = http2.connect(server.endpoint);
    session.on('error', () => {});
    try {
      const stream = session.request({
        ':method': 'POST',
        ':path': '/',
        'content-type': JSON_TYPE,
        'x-amz-target': `${TARGET_PREFIX}.DescribeStream`,
        authorization: AUTHORIZATION,
        'x-amz-date': '20240101T000000Z',
        'content-length': '100',
      });
      stream.on('error', () => {});
      stream.write('{"StreamName":');
      const code = await new Promise<number>((resolve) => stream.on('close', () => resolve(stream.rstCode ?? -1)));
      assert.equal(code, http2.constants.NGHTTP2_CANCEL);
      // The session itself stays usable.
      const answer = await h2Request(session, { 'content-type': JSON_TYPE, 'x-amz-target': `${TARGET_PREFIX}.DescribeStream`, authorization: AUTHORIZATION, 'x-amz-date': '20240101T000000Z' }, Buffer.from('{"StreamName":"canary"}'));
      assert.notEqual(answer, 'reset');
    } finally {
      session.close();
    }
    await assertCanaryUnchanged();
  });

  it('HTTP/2: odd headers, resets mid-body, truncated and malformed frames', async () => {
    const session = http2.connect(server.endpoint);
    session.on('error', () => {});
    try {
      const base = { 'content-type': JSON_TYPE, 'x-amz-target': `${TARGET_PREFIX}.DescribeStream`, authorization: AUTHORIZATION, 'x-amz-date': '20240101T000000Z' };
      const odd: Record<string, string>[] = [
        { ...base, 'content-type': 'text/plain' },
        { ...base, 'x-amz-target': '' },
        { ...base, 'x-amz-target': 'a'.repeat(10_000) },
        { ...base, 'content-length': '999' },
        { ...base, 'content-length': '-1' },
        { ...base, 'x-many': 'v'.repeat(30_000) },
        { ...base, authorization: 'AWS4-HMAC-SHA256 Credential=/' },
        { ...base, authorization: 'garbage' },
        { ...base, origin: 'http://x' },
        { ...base, ':method': 'PUT' },
        { ...base, ':path': '/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=%ZZ' },
      ];
      for (const [i, headers] of odd.entries()) {
        const answer = await h2Request(session, headers, Buffer.from('{"StreamName":"fz"}'));
        if (answer !== 'reset') assertAwsAnswer(answer, `h2 odd headers ${i}`);
      }
      // Reset mid-body.
      for (let i = 0; i < 10; i++) {
        const stream = session.request({ ':method': 'POST', ':path': '/', ...base, 'content-length': '1000' });
        stream.on('error', () => {});
        stream.write('{"StreamName":"ca');
        await new Promise((resolve) => setTimeout(resolve, 5));
        stream.close(http2.constants.NGHTTP2_CANCEL);
      }
      const after = await h2Request(session, base, Buffer.from('{"StreamName":"canary"}'));
      assert.notEqual(after, 'reset');
      assert.equal((after as Answer).status, 200, (after as Answer).body.toString());
    } finally {
      session.destroy();
    }

    // Hand-built frames: truncated DATA, DATA on an unopened stream, garbage frames, bad HPACK.
    const headersBlock = hpack([
      [':method', 'POST'],
      [':path', '/'],
      [':scheme', 'http'],
      [':authority', 'x'],
      ['content-type', JSON_TYPE],
      ['x-amz-target', `${TARGET_PREFIX}.DescribeStream`],
    ]);
    const frameCases: Buffer[][] = [
      [H2_PREFACE, SETTINGS_FRAME, frame(0x1, END_HEADERS, 1, headersBlock), frame(0x0, END_STREAM, 1, Buffer.from('{"Stream'), 100)],
      [H2_PREFACE, SETTINGS_FRAME, frame(0x0, END_STREAM, 3, Buffer.from('{}'))],
      [H2_PREFACE, SETTINGS_FRAME, frame(0x1, END_HEADERS | END_STREAM, 1, rng.bytes(50))],
      [H2_PREFACE, SETTINGS_FRAME, frame(0x1, END_HEADERS, 1, headersBlock.subarray(0, 20))],
      [H2_PREFACE, rng.bytes(200)],
      [H2_PREFACE, SETTINGS_FRAME, frame(0x1, END_HEADERS, 1, headersBlock), frame(0x0, 0, 1, Buffer.from('{"StreamName":')), frame(0x3, 0, 1, Buffer.from([0, 0, 0, 8]))],
      [H2_PREFACE, SETTINGS_FRAME, frame(0x1, 0, 1, headersBlock)], // CONTINUATION that never comes
      [H2_PREFACE, SETTINGS_FRAME, frame(0x4, 0, 0, Buffer.from([0, 4, 0xff, 0xff, 0xff, 0xff]))], // window size too large
      [H2_PREFACE, SETTINGS_FRAME, frame(0x8, 0, 1, Buffer.from([0x7f, 0xff, 0xff, 0xff]))],
    ];
    for (let i = 0; i < 20; i++) frameCases.push([H2_PREFACE, SETTINGS_FRAME, frame(rng.int(10), rng.int(256), rng.int(8), rng.bytes(rng.int(64)))]);
    // Whatever comes back is HTTP/2 frames. A client that hangs up is let go; one that keeps its side
    // open with a stream opened may be waited on (as for a stalled HTTP/1.1 body).
    await Promise.all(
      frameCases.map((chunks, i) => rawExchange(server.port, chunks, { halfClose: true }).catch((err) => assert.fail(`frame case ${i}: ${err.message}`))),
    );
    await Promise.all(frameCases.map((chunks) => rawExchange(server.port, chunks, { halfClose: false, openAfterMs: OPEN_CONNECTION_MS })));
    await assertCanaryUnchanged();
  });

  it('oversized bodies are refused with 413 over HTTP/1.1 and HTTP/2', async () => {
    const big = Buffer.alloc(17 * 1024 * 1024, 0x20);
    const headers = { 'content-type': JSON_TYPE, 'x-amz-target': `${TARGET_PREFIX}.PutRecord` };
    for (let i = 0; i < 2; i++) {
      const h1 = await h1Request(server.endpoint, headers, big).catch(() => 'closed' as const);
      if (h1 !== 'closed') assert.equal(h1.status, 413);
    }
    const session = http2.connect(server.endpoint);
    session.on('error', () => {});
    try {
      const h2 = await h2Request(session, headers, big);
      assert.notEqual(h2, 'reset');
      assert.equal((h2 as Answer).status, 413);
    } finally {
      session.destroy();
    }
    await assertCanaryUnchanged();
  });

  it('memory stays bounded over the run', () => {
    const growth = process.memoryUsage().rss - rssBefore;
    assert.ok(growth < MAX_RSS_GROWTH, `rss grew by ${Math.round(growth / 1024 / 1024)} MiB`);
  });
});
