import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { pino } from 'pino';
import type { ProcessedRecord } from '../src/firehose/processing/pipeline.js';
import {
  deliverToHttpEndpoint,
  HTTP_ENDPOINT_ERRORS,
  MAX_RECORDS_PER_REQUEST,
  MAX_REQUEST_BODY_BYTES,
  splitIntoRequests,
  type DeliveryAttemptContext,
} from '../src/firehose/delivery/http-endpoint.js';
import { deliverToOpenSearch, documentIds, rotatedIndexName, usWeekOfYear } from '../src/firehose/delivery/opensearch.js';
import { deliverToSplunk, SPLUNK_ERRORS } from '../src/firehose/delivery/splunk.js';
import { backoffDelayMs, BACKOFF_CAP_MS, retryWithBackoff } from '../src/firehose/delivery/retry.js';
import { closeDestinationAgents } from '../src/firehose/delivery/destination-http.js';
import { selfSignedCertificate } from '../src/transport/self-signed.js';
import { generate } from 'selfsigned';

/**
 * The HTTP-based destinations against receivers in this process on 127.0.0.1: an HTTP endpoint
 * that answers as each test tells it, a fake `_bulk` cluster and a fake Splunk HEC with acks. The
 * retry clock is a fake: `sleep` records each wait and moves the clock, so no test waits for backoff.
 */

const ARN = 'arn:aws:firehose:us-east-1:000000000000:deliverystream/web-logs';
const ARRIVAL = Date.UTC(2016, 1, 25, 13, 0, 0); // the guide's rotation example instant

interface Received {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}
type Handler = (request: Received, response: http.ServerResponse) => void;

let handler: Handler = (_request, response) => response.end();
const received: Received[] = [];
const sockets = new Set<Duplex>();

function onRequest(req: http.IncomingMessage, res: http.ServerResponse) {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const request = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) };
    received.push(request);
    handler(request, res);
  });
}

const server = http.createServer(onRequest);
server.on('connection', (socket) => {
  sockets.add(socket);
  socket.on('close', () => sockets.delete(socket));
});
let base = '';
let tlsServer: https.Server | undefined;
let tlsBase = '';
let tlsCa: Buffer | undefined;

before(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const { cert, key } = await selfSignedCertificate();
  tlsCa = Buffer.from(cert);
  tlsServer = https.createServer({ cert, key }, onRequest);
  tlsServer.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => tlsServer!.listen(0, '127.0.0.1', resolve));
  tlsBase = `https://127.0.0.1:${(tlsServer.address() as AddressInfo).port}`;
});

after(async () => {
  closeDestinationAgents();
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => server.close(resolve));
  await new Promise((resolve) => tlsServer?.close(resolve));
});

beforeEach(() => {
  received.length = 0;
});

/** A context whose clock only moves when the retry loop sleeps; `delays` lists the waits. */
function fakeContext(overrides: Partial<DeliveryAttemptContext> = {}) {
  const clock = { t: 1_700_000_000_000 };
  const delays: number[] = [];
  const context: DeliveryAttemptContext = {
    deliveryStreamArn: ARN,
    signal: new AbortController().signal,
    log: pino({ level: 'silent' }),
    now: () => clock.t,
    sleep: async (ms) => {
      delays.push(ms);
      clock.t += ms;
    },
    random: () => 0.5, // no jitter: waits are exactly 1 s × 2ⁿ
    responseTimeoutMs: 5_000,
    ...overrides,
  };
  return { context, delays, clock };
}

/** An outcome without its counters, for comparing verdicts. */
const summary = (outcome: { stats?: unknown }) => {
  const { stats: _stats, ...rest } = outcome;
  return rest;
};

const record = (text: string, index = 0, arrival = ARRIVAL): ProcessedRecord => ({ index, data: Buffer.from(text), arrival });

function httpDescription(extra: Record<string, unknown> = {}, url = `${base}/ingest`) {
  return {
    DestinationId: 'destinationId-000000000001',
    HttpEndpointDestinationDescription: {
      EndpointConfiguration: { Url: url, Name: 'receiver' },
      RequestConfiguration: { ContentEncoding: 'NONE', CommonAttributes: [] },
      RetryOptions: { DurationInSeconds: 10 },
      ...extra,
    },
  };
}

/** Answers with a JSON body and its status. */
const json = (response: http.ServerResponse, status: number, body: unknown) => {
  response.statusCode = status;
  response.setHeader('Content-Type', 'application/json');
  response.end(typeof body === 'string' ? body : JSON.stringify(body));
};

/** Answers as a correct endpoint does: 200 with the request's requestId. */
const acceptAll: Handler = (request, response) => {
  const body = JSON.parse((request.headers['content-encoding'] === 'gzip' ? gunzipSync(request.body) : request.body).toString('utf8'));
  response.setHeader('Content-Type', 'application/json');
  response.end(JSON.stringify({ requestId: body.requestId, timestamp: Date.now() }));
};

describe('HTTP endpoint (§12)', () => {
  test('a request carries the protocol headers and the JSON body; 200 with the same requestId is success', async () => {
    handler = acceptAll;
    const { context, delays, clock } = fakeContext();
    const description = httpDescription({
      RequestConfiguration: { ContentEncoding: 'NONE', CommonAttributes: [{ AttributeName: 'env', AttributeValue: 'prod' }, { AttributeName: 'team', AttributeValue: 'données' }] },
    });
    const outcome = await deliverToHttpEndpoint([record('hello'), record('hello world', 1)], description, { httpEndpointAccessKey: 'my-key' }, context);
    assert.deepEqual(summary(outcome), { ok: true, attempts: 1 });
    assert.deepEqual(outcome.stats, { deliveredRecords: 2, deliveredBytes: 16, requests: 1, successfulRequests: 1 });
    assert.deepEqual(delays, []);
    assert.equal(received.length, 1);
    const [request] = received;
    assert.equal(request!.method, 'POST');
    assert.equal(request!.url, '/ingest');
    const headers = request!.headers;
    assert.equal(headers['x-amz-firehose-protocol-version'], '1.0');
    assert.match(String(headers['x-amz-firehose-request-id']), /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.equal(headers['content-type'], 'application/json');
    assert.equal(headers['content-encoding'], undefined);
    assert.equal(headers['x-amz-firehose-source-arn'], ARN);
    assert.equal(headers['x-amz-firehose-access-key'], 'my-key');
    assert.deepEqual(JSON.parse(String(headers['x-amz-firehose-common-attributes'])), { commonAttributes: { env: 'prod', team: 'données' } });
    assert.equal(Number(headers['content-length']), request!.body.length);
    const body = JSON.parse(request!.body.toString('utf8'));
    assert.deepEqual(Object.keys(body), ['requestId', 'timestamp', 'records']);
    assert.equal(body.requestId, headers['x-amz-firehose-request-id']);
    assert.equal(body.timestamp, clock.t, 'timestamp in milliseconds');
    assert.deepEqual(body.records, [{ data: 'aGVsbG8=' }, { data: 'aGVsbG8gd29ybGQ=' }]);
  });

  test('no access key: no X-Amz-Firehose-Access-Key header; GZIP: a gzip body with Content-Encoding gzip', async () => {
    handler = acceptAll;
    const { context } = fakeContext();
    const outcome = await deliverToHttpEndpoint([record('{"a":1}')], httpDescription({ RequestConfiguration: { ContentEncoding: 'GZIP' } }, `${base.replace('http://', 'http://u:p@')}/ingest`), {}, context);
    assert.equal(outcome.ok, true);
    const [request] = received;
    assert.equal(request!.headers['x-amz-firehose-access-key'], undefined);
    assert.equal(request!.headers.authorization, undefined, 'no basic auth from the URL');
    assert.equal(request!.headers['content-encoding'], 'gzip');
    assert.deepEqual(JSON.parse(String(request!.headers['x-amz-firehose-common-attributes'])), { commonAttributes: {} });
    const body = JSON.parse(gunzipSync(request!.body).toString('utf8'));
    assert.deepEqual(body.records, [{ data: Buffer.from('{"a":1}').toString('base64') }]);
  });

  test('more than 10,000 records go in several requests, each with its own requestId', async () => {
    handler = acceptAll;
    const { context } = fakeContext();
    const records = Array.from({ length: MAX_RECORDS_PER_REQUEST + 1 }, (_, i) => record(`r${i}`, i));
    const outcome = await deliverToHttpEndpoint(records, httpDescription(), {}, context);
    assert.equal(outcome.ok, true);
    assert.equal(received.length, 2);
    const bodies = received.map((r) => JSON.parse(r.body.toString('utf8'))).sort((a, b) => b.records.length - a.records.length);
    assert.deepEqual(bodies.map((b) => b.records.length), [10_000, 1]);
    assert.notEqual(bodies[0].requestId, bodies[1].requestId);
    assert.equal(Buffer.from(bodies[1].records[0].data, 'base64').toString(), 'r10000');
  });

  test('one of several requests failing: only its records are reported failed', async () => {
    handler = (request, response) => {
      const body = JSON.parse(request.body.toString('utf8'));
      if (body.records.length === 1) return json(response, 500, { requestId: body.requestId, timestamp: 1, errorMessage: 'no' });
      acceptAll(request, response);
    };
    const records = Array.from({ length: MAX_RECORDS_PER_REQUEST + 1 }, (_, i) => record(`r${i}`, i));
    const outcome = await deliverToHttpEndpoint(records, httpDescription({ RetryOptions: { DurationInSeconds: 0 } }), {}, fakeContext().context);
    assert.equal(outcome.ok, false);
    if (outcome.ok) return;
    assert.deepEqual(outcome.failedIndexes, [10_000]);
    assert.equal(outcome.stats?.deliveredRecords, 10_000);
  });

  test('requests stay within 64 MiB of body before compression', () => {
    const big = Buffer.alloc(1_000_000, 0x61);
    const records = Array.from({ length: 120 }, (_, i) => ({ index: i, data: big, arrival: ARRIVAL }));
    const requests = splitIntoRequests(records);
    assert.ok(requests.length >= 2);
    assert.deepEqual(requests.flat(), records.map((_, i) => i), 'every record once, in order');
    for (const positions of requests) {
      const size = positions.reduce((sum, p) => sum + 12 + Math.ceil(records[p]!.data.length / 3) * 4, 0);
      assert.ok(size <= MAX_REQUEST_BODY_BYTES, `${size} bytes`);
    }
    assert.ok(requests[0]!.length >= 49, 'requests are filled, not split per record');
  });

  test('500 is retried with backoff 1 s × 2ⁿ until RetryOptions runs out, the requestId kept; the error names the response', async () => {
    handler = (request, response) => {
      const { requestId } = JSON.parse(request.body.toString('utf8'));
      response.statusCode = 500;
      response.end(JSON.stringify({ requestId, timestamp: 1, errorMessage: 'Database unavailable' }));
    };
    const { context, delays } = fakeContext();
    const outcome = await deliverToHttpEndpoint([record('a'), record('b', 1)], httpDescription(), {}, context);
    // 10 s of retries: attempts at 0, 1, 3, 7 s; the next wait (8 s) would end at 15 s.
    assert.deepEqual(delays, [1_000, 2_000, 4_000]);
    assert.equal(received.length, 4);
    const ids = new Set(received.map((r) => r.headers['x-amz-firehose-request-id']));
    assert.equal(ids.size, 1, 'same requestId on every retry');
    assert.equal(outcome.ok, false);
    if (outcome.ok) return;
    assert.equal(outcome.attempts, 4);
    assert.equal(outcome.errorCode, 'HttpEndpoint.DestinationException');
    assert.equal(outcome.permanent, false);
    assert.equal(outcome.toErrorOutput, true);
    assert.deepEqual(outcome.failedIndexes, [0, 1]);
    const requestId = [...ids][0];
    assert.equal(outcome.errorMessage, `Received the following response from the endpoint destination. {"requestId":"${requestId}","timestamp":1,"errorMessage":"Database unavailable"}`);
    assert.equal(outcome.failures?.[1]?.attempts, 4);
    assert.deepEqual(outcome.stats, { deliveredRecords: 0, deliveredBytes: 0, requests: 4, successfulRequests: 0 });
  });

  test('RetryOptions.DurationInSeconds 0: one attempt only', async () => {
    handler = (_request, response) => {
      response.statusCode = 503;
      response.end();
    };
    const { context, delays } = fakeContext();
    const outcome = await deliverToHttpEndpoint([record('a')], httpDescription({ RetryOptions: { DurationInSeconds: 0 } }), {}, context);
    assert.equal(received.length, 1);
    assert.deepEqual(delays, []);
    assert.equal(outcome.ok, false);
  });

  test('413 is final: one attempt, and not for the error output', async () => {
    handler = (request, response) => {
      const { requestId } = JSON.parse(request.body.toString('utf8'));
      response.statusCode = 413;
      response.end(JSON.stringify({ requestId, timestamp: 1, errorMessage: 'Payload too large' }));
    };
    const lines: any[] = [];
    const log = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    const { context, delays } = fakeContext({ log });
    const outcome = await deliverToHttpEndpoint([record('a')], httpDescription(), {}, context);
    assert.equal(received.length, 1);
    assert.deepEqual(delays, []);
    assert.equal(outcome.ok, false);
    if (outcome.ok) return;
    // One debug line for the attempt, one warn line for the failure, in the log's own wording.
    const requestId = String(received[0]!.headers['x-amz-firehose-request-id']);
    assert.deepEqual(lines.map((l) => [l.level, l.msg]), [[20, 'delivery attempt'], [40, 'delivery failed, not retried']]);
    assert.equal(lines[1].errorCode, 'HttpEndpoint.DestinationException');
    assert.equal(lines[1].deliveryStreamArn, ARN);
    assert.equal(lines[1].errorMessage, `The following response was received from the endpoint destination. 413: {"requestId":"${requestId}","timestamp":1,"errorMessage":"Payload too large"}`);
    assert.equal(outcome.permanent, true);
    assert.equal(outcome.toErrorOutput, false);
    assert.equal(outcome.errorCode, 'HttpEndpoint.DestinationException');
    assert.match(outcome.errorMessage, /Payload too large/);
  });

  const requestIdOf = (request: Received) => JSON.parse(request.body.toString('utf8')).requestId as string;

  for (const [name, answer, raw] of [
    ['a body that is not JSON', (_request: Received, response: http.ServerResponse) => json(response, 200, 'OK'), () => '200 OK'],
    ['a different requestId', (_request: Received, response: http.ServerResponse) => json(response, 200, { requestId: 'someone-else', timestamp: 1 }), () => '200 {"requestId":"someone-else","timestamp":1}'],
    ['no timestamp', (request: Received, response: http.ServerResponse) => json(response, 200, { requestId: requestIdOf(request) }), (id: string) => `200 {"requestId":"${id}"}`],
    ['a timestamp as a string', (request: Received, response: http.ServerResponse) => json(response, 200, { requestId: requestIdOf(request), timestamp: '1' }), (id: string) => `200 {"requestId":"${id}","timestamp":"1"}`],
    ['an unexpected field', (request: Received, response: http.ServerResponse) => json(response, 200, { requestId: requestIdOf(request), timestamp: 1, status: 'ok' }), (id: string) => `200 {"requestId":"${id}","timestamp":1,"status":"ok"}`],
    ['no Content-Type application/json', (request: Received, response: http.ServerResponse) => {
      response.setHeader('Content-Type', 'text/plain');
      response.end(JSON.stringify({ requestId: requestIdOf(request), timestamp: 1 }));
    }, (id: string) => `200 {"requestId":"${id}","timestamp":1}`],
    ['a chunked body (no Content-Length)', (request: Received, response: http.ServerResponse) => {
      response.setHeader('Content-Type', 'application/json');
      response.write(JSON.stringify({ requestId: requestIdOf(request), timestamp: 1 }));
      response.end();
    }, (id: string) => `200 {"requestId":"${id}","timestamp":1}`],
    ['a redirect (not followed)', (_request: Received, response: http.ServerResponse) => {
      response.statusCode = 307;
      response.setHeader('Location', '/elsewhere');
      response.end();
    }, () => '307 '],
  ] as const) {
    test(`a response with ${name} is an invalid response, retried`, async () => {
      handler = answer;
      const { context, delays } = fakeContext();
      const outcome = await deliverToHttpEndpoint([record('a')], httpDescription({ RetryOptions: { DurationInSeconds: 2 } }), {}, context);
      assert.equal(outcome.ok, false);
      if (outcome.ok) return;
      const id = String(received[0]!.headers['x-amz-firehose-request-id']);
      assert.equal(outcome.errorCode, 'HttpEndpoint.InvalidResponseFromDestination');
      assert.equal(
        outcome.errorMessage,
        `${HTTP_ENDPOINT_ERRORS.InvalidResponseFromDestination} Response for request ${id} is not recognized as valid JSON or has unexpected fields. Raw response received: ${raw(id)}`,
      );
      assert.deepEqual(delays, [1_000]);
      assert.equal(received.length, 2);
      assert.ok(received.every((r) => r.url === '/ingest'), 'the redirect target is never requested');
    });
  }

  test('a 2xx other than 200 is a destination exception; Content-Type with a charset is accepted', async () => {
    handler = (request, response) => json(response, 202, { requestId: requestIdOf(request), timestamp: 1 });
    const accepted = await deliverToHttpEndpoint([record('a')], httpDescription({ RetryOptions: { DurationInSeconds: 0 } }), {}, fakeContext().context);
    assert.equal(accepted.ok, false);
    if (!accepted.ok) assert.equal(accepted.errorCode, 'HttpEndpoint.DestinationException');
    handler = (request, response) => {
      response.setHeader('Content-Type', 'application/json; charset=utf-8');
      response.end(JSON.stringify({ requestId: requestIdOf(request), timestamp: 1 }));
    };
    const ok = await deliverToHttpEndpoint([record('a')], httpDescription(), {}, fakeContext().context);
    assert.equal(ok.ok, true);
  });

  test('a failure then a success: delivered on the retry, same requestId', async () => {
    let calls = 0;
    handler = (request, response) => {
      if (calls++ === 0) {
        response.statusCode = 500;
        response.end();
        return;
      }
      acceptAll(request, response);
    };
    const { context, delays } = fakeContext();
    const outcome = await deliverToHttpEndpoint([record('a')], httpDescription(), {}, context);
    assert.deepEqual(summary(outcome), { ok: true, attempts: 2 });
    assert.deepEqual(delays, [1_000]);
    assert.equal(received[0]!.headers['x-amz-firehose-request-id'], received[1]!.headers['x-amz-firehose-request-id']);
  });

  test('a destination updated while retrying: the next retry uses the new URL and access key (§12)', async () => {
    handler = acceptAll;
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    let reloads = 0;
    const { context, delays } = fakeContext({
      reload: async () => {
        reloads++;
        return { description: httpDescription(), secrets: { httpEndpointAccessKey: 'rotated' } };
      },
    });
    const outcome = await deliverToHttpEndpoint([record('a')], httpDescription({}, `http://127.0.0.1:${port}/ingest`), { httpEndpointAccessKey: 'old' }, context);
    assert.deepEqual(summary(outcome), { ok: true, attempts: 2 });
    assert.equal(reloads, 1, 'read before the retry, not before the first attempt');
    assert.deepEqual(delays, [1_000]);
    assert.equal(received.length, 1);
    assert.equal(received[0]!.headers['x-amz-firehose-access-key'], 'rotated');
  });

  test('an endpoint that never answers times out (HttpEndpoint.RequestTimeout)', async () => {
    handler = () => {}; // never answers
    const { context } = fakeContext({ responseTimeoutMs: 150 });
    const outcome = await deliverToHttpEndpoint([record('a')], httpDescription({ RetryOptions: { DurationInSeconds: 0 } }), {}, context);
    assert.equal(outcome.ok, false);
    if (outcome.ok) return;
    assert.equal(outcome.errorCode, 'HttpEndpoint.RequestTimeout');
    assert.equal(outcome.errorMessage, HTTP_ENDPOINT_ERRORS.RequestTimeout);
  });

  test('a response over 1 MiB is HttpEndpoint.ResponseTooLarge', async () => {
    handler = (_request, response) => response.end(Buffer.alloc(1_048_577, 0x20));
    const { context } = fakeContext();
    const outcome = await deliverToHttpEndpoint([record('a')], httpDescription({ RetryOptions: { DurationInSeconds: 0 } }), {}, context);
    assert.equal(outcome.ok, false);
    if (!outcome.ok) assert.equal(outcome.errorCode, 'HttpEndpoint.ResponseTooLarge');
  });

  test('nothing listening: HttpEndpoint.ConnectionFailed; a dropped connection: HttpEndpoint.ConnectionReset', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const { context } = fakeContext();
    const refused = await deliverToHttpEndpoint([record('a')], httpDescription({ RetryOptions: { DurationInSeconds: 0 } }, `http://127.0.0.1:${port}/`), {}, context);
    assert.equal(refused.ok, false);
    if (!refused.ok) assert.equal(refused.errorCode, 'HttpEndpoint.ConnectionFailed');

    handler = (_request, response) => response.socket?.destroy();
    const reset = await deliverToHttpEndpoint([record('a')], httpDescription({ RetryOptions: { DurationInSeconds: 0 } }), {}, fakeContext().context);
    assert.equal(reset.ok, false);
    if (!reset.ok) assert.equal(reset.errorCode, 'HttpEndpoint.ConnectionReset');
  });

  test('an access key HTTP cannot carry (a line break) fails like a connection, without throwing', async () => {
    handler = acceptAll;
    const outcome = await deliverToHttpEndpoint([record('a')], httpDescription({ RetryOptions: { DurationInSeconds: 0 } }), { httpEndpointAccessKey: 'key\nX-Injected: 1' }, fakeContext().context);
    assert.equal(outcome.ok, false);
    if (!outcome.ok) assert.equal(outcome.errorCode, 'HttpEndpoint.ConnectionFailed');
    assert.equal(received.length, 0);
  });

  test('https: an untrusted certificate fails the handshake; with the CA given (--destination-ca) it is delivered', async () => {
    handler = acceptAll;
    const untrusted = await deliverToHttpEndpoint([record('a')], httpDescription({ RetryOptions: { DurationInSeconds: 0 } }, `${tlsBase}/ingest`), {}, fakeContext().context);
    assert.equal(untrusted.ok, false);
    if (!untrusted.ok) assert.equal(untrusted.errorCode, 'HttpEndpoint.SSLHandshakeFailure');
    assert.equal(received.length, 0);
    const trusted = await deliverToHttpEndpoint([record('a')], httpDescription({}, `${tlsBase}/ingest`), {}, fakeContext({ ca: tlsCa }).context);
    assert.deepEqual(summary(trusted), { ok: true, attempts: 1 });
    assert.equal(received.length, 1);
  });

  test('an abort (lease lost, server stopping) rejects instead of reporting a failure', async () => {
    handler = (_request, response) => {
      response.statusCode = 500;
      response.end();
    };
    const controller = new AbortController();
    const { context } = fakeContext({
      signal: controller.signal,
      sleep: async () => {
        controller.abort(new Error('stopping'));
        throw controller.signal.reason;
      },
    });
    await assert.rejects(deliverToHttpEndpoint([record('a')], httpDescription(), {}, context), /stopping/);
  });
});

describe('backoff', () => {
  test('1 s × 2ⁿ with ±15 % jitter, each wait capped at 120 s', () => {
    assert.equal(backoffDelayMs(0, () => 0.5), 1_000);
    assert.equal(backoffDelayMs(3, () => 0.5), 8_000);
    assert.equal(backoffDelayMs(0, () => 0), 850);
    assert.equal(backoffDelayMs(0, () => 0.999_999), 1_150);
    assert.equal(backoffDelayMs(6, () => 0.5), 64_000);
    assert.equal(backoffDelayMs(7, () => 0.5), BACKOFF_CAP_MS);
    assert.equal(backoffDelayMs(40, () => 0.5), 120_000);
    assert.equal(backoffDelayMs(10, () => 0), 102_000, 'jitter applies to the capped wait');
  });

  test('the retry window opens when the first attempt fails, not when it starts', async () => {
    const { context, delays, clock } = fakeContext();
    const result = await retryWithBackoff<void>(
      async () => {
        clock.t += 100_000; // an attempt that takes 100 s (say, a slow endpoint's error)
        return { ok: false, permanent: false, errorCode: 'X', errorMessage: 'x' };
      },
      10_000,
      { ...context, what: 'test' },
    );
    // Fails at 100 s: the 10 s window starts there, so one retry (1 s later); the second ends at 201 s, past the window.
    assert.equal(result.attempts, 2);
    assert.deepEqual(delays, [1_000]);
  });

  test('with jitter the schedule stays within ±15 % and the retry window', async () => {
    handler = (_request, response) => {
      response.statusCode = 500;
      response.end();
    };
    let n = 0;
    const { context, delays } = fakeContext({ random: () => [0, 0.999, 0.3][n++ % 3]! });
    await deliverToHttpEndpoint([record('a')], httpDescription({ RetryOptions: { DurationInSeconds: 30 } }), {}, context);
    delays.forEach((delay, i) => {
      const base = Math.min(120_000, 1_000 * 2 ** i);
      assert.ok(delay >= base * 0.85 && delay <= base * 1.15, `wait ${i}: ${delay}`);
    });
    assert.ok(delays.reduce((a, b) => a + b, 0) <= 30_000);
    assert.equal(received.length, delays.length + 1);
  });
});

describe('OpenSearch / Elasticsearch _bulk (§13)', () => {
  test('index rotation on UTC arrival time, as the guide shows for 2016-02-25T13:00Z', () => {
    assert.equal(rotatedIndexName('myindex', 'NoRotation', ARRIVAL), 'myindex');
    assert.equal(rotatedIndexName('myindex', 'OneHour', ARRIVAL), 'myindex-2016-02-25-13');
    assert.equal(rotatedIndexName('myindex', 'OneDay', ARRIVAL), 'myindex-2016-02-25');
    assert.equal(rotatedIndexName('myindex', undefined, ARRIVAL), 'myindex-2016-02-25');
    assert.equal(rotatedIndexName('myindex', 'OneWeek', ARRIVAL), 'myindex-2016-w08');
    assert.equal(rotatedIndexName('myindex', 'OneMonth', ARRIVAL), 'myindex-2016-02');
    // Weeks start on Sunday; the days before the year's first Sunday are week 00.
    assert.equal(usWeekOfYear(Date.UTC(2016, 0, 2)), 0); // Saturday
    assert.equal(usWeekOfYear(Date.UTC(2016, 0, 3)), 1); // first Sunday
    assert.equal(usWeekOfYear(Date.UTC(2017, 0, 1)), 1); // 2017 starts on a Sunday
    assert.equal(rotatedIndexName('logs', 'OneHour', Date.UTC(2020, 11, 31, 23, 59, 59)), 'logs-2020-12-31-23');
  });

  test('FIREHOSE_DEFAULT ids: the same for the same record, different for any other', () => {
    const source = { shardId: 'shardId-000000000000', partitionKey: 'k', sequenceNumber: '4960', approximateArrivalTimestamp: ARRIVAL };
    const batch = [record('{"a":1}', 7), record('{"a":1}', 7), record('{"a":1}', 8), { ...record('{"a":1}', 9), source }];
    const ids = documentIds(batch, ARN);
    assert.deepEqual(documentIds(batch.map((r) => ({ ...r, data: Buffer.from(r.data) })), ARN), ids, 'stable');
    assert.equal(new Set(ids).size, 4, 'de-aggregated siblings and equal bytes at other indexes differ');
    assert.notDeepEqual(documentIds(batch, ARN.replace('web-logs', 'other')), ids, 'per stream');
    // A Kinesis-sourced record is named by its shard and sequence number, not its place in the batch.
    assert.equal(documentIds([{ ...batch[3]!, index: 0 }], ARN)[0], ids[3]);
    assert.ok(ids.every((id) => /^[A-Za-z0-9_-]{20}$/.test(id)));
  });

  /** A bulk API like OpenSearch's: documents with `"bad"` are refused (400), `"busy"` ones once (429). */
  function bulkServer(): { seen: Array<{ action: any; source: string }>; handler: Handler } {
    const seen: Array<{ action: any; source: string }> = [];
    const busyOnce = new Set<string>();
    return {
      seen,
      handler: (request, response) => {
        assert.equal(request.url, '/_bulk');
        const lines = request.body.toString('utf8').split('\n');
        assert.equal(lines.pop(), '', 'the body ends with a newline');
        const items = [];
        for (let i = 0; i < lines.length; i += 2) {
          const action = JSON.parse(lines[i]!);
          const source = lines[i + 1]!;
          seen.push({ action, source });
          const meta = action.index;
          if (source.includes('"bad"')) {
            items.push({ index: { _index: meta._index, _id: meta._id ?? 'auto', status: 400, error: { type: 'mapper_parsing_exception', reason: "failed to parse field [n] of type [long] in document with id 'x'" } } });
          } else if (source.includes('"busy"') && !busyOnce.has(source)) {
            busyOnce.add(source);
            items.push({ index: { _index: meta._index, _id: meta._id ?? 'auto', status: 429, error: { type: 'es_rejected_execution_exception', reason: 'rejected execution' } } });
          } else {
            items.push({ index: { _index: meta._index, _id: meta._id ?? 'auto', _version: 1, result: 'created', status: 201 } });
          }
        }
        response.setHeader('Content-Type', 'application/json');
        response.end(JSON.stringify({ took: 3, errors: items.some((item) => item.index.status >= 300), items }));
      },
    };
  }

  const osDescription = (extra: Record<string, unknown> = {}) => ({
    AmazonopensearchserviceDestinationDescription: { ClusterEndpoint: base, IndexName: 'myindex', IndexRotationPeriod: 'OneDay', RetryOptions: { DurationInSeconds: 5 }, S3BackupMode: 'FailedDocumentsOnly', ...extra },
  });

  test('documents go to their rotated index with stable ids; only refused documents are retried, then reported with the cluster error', async () => {
    const fake = bulkServer();
    handler = fake.handler;
    const { context, delays } = fakeContext();
    const records = [record('{"n":1}'), record('{"busy":true}\n', 1), record('{"bad":true}', 2), record('{"n":2}', 3, Date.UTC(2016, 1, 26, 0, 0, 1))];
    const outcome = await deliverToOpenSearch(records, osDescription({ DocumentIdOptions: { DefaultDocumentIdFormat: 'FIREHOSE_DEFAULT' } }), 'Amazonopensearchservice', context);
    assert.equal(outcome.ok, false);
    if (outcome.ok) return;
    // attempts at 0, 1, 3 s (the 4 s wait would pass 5 s)
    assert.deepEqual(delays, [1_000, 2_000]);
    assert.equal(outcome.attempts, 3);
    assert.deepEqual(outcome.failedIndexes, [2]);
    const [failure] = outcome.failures!;
    assert.equal(failure!.errorCode, '400');
    assert.deepEqual(JSON.parse(failure!.errorMessage), { type: 'mapper_parsing_exception', reason: "failed to parse field [n] of type [long] in document with id 'x'" });
    assert.equal(failure!.indexName, 'myindex-2016-02-25');
    assert.equal(failure!.attempts, 3);
    assert.equal(failure!.toErrorOutput, true);

    const first = fake.seen.slice(0, 4);
    assert.deepEqual(first.map((s) => s.action.index._index), ['myindex-2016-02-25', 'myindex-2016-02-25', 'myindex-2016-02-25', 'myindex-2016-02-26']);
    assert.equal(first[1]!.source, '{"busy":true}', 'the trailing newline is not part of the document');
    assert.ok(first.every((s) => typeof s.action.index._id === 'string' && s.action.index._id.length === 20));
    assert.equal(new Set(first.map((s) => s.action.index._id)).size, 4);
    assert.equal(first[0]!.action.index._type, undefined);
    // The retry carries only the busy and bad documents, with the same ids.
    const retry = fake.seen.slice(4, 6);
    assert.deepEqual(retry.map((s) => s.source), ['{"busy":true}', '{"bad":true}']);
    assert.deepEqual(retry.map((s) => s.action.index._id), [first[1]!.action.index._id, first[2]!.action.index._id]);
    assert.equal(fake.seen.length, 7, 'third attempt: the bad document alone');
    assert.deepEqual(outcome.stats, { deliveredRecords: 3, deliveredBytes: 7 + 14 + 7, requests: 3, successfulRequests: 0 });

    // A redelivery of the same records (after a restart) reuses the ids.
    fake.seen.length = 0;
    await deliverToOpenSearch(records.slice(0, 1), osDescription(), 'Amazonopensearchservice', fakeContext().context);
    assert.equal(fake.seen[0]!.action.index._id, first[0]!.action.index._id);
  });

  test('Elasticsearch with TypeName and NO_DOCUMENT_ID; all delivered', async () => {
    const fake = bulkServer();
    handler = fake.handler;
    const description = { ElasticsearchDestinationDescription: { ClusterEndpoint: `${base}/`, IndexName: 'logs', TypeName: 'entry', IndexRotationPeriod: 'OneMonth', DocumentIdOptions: { DefaultDocumentIdFormat: 'NO_DOCUMENT_ID' } } };
    const outcome = await deliverToOpenSearch([record('{"n":1}'), record('{"n":2}', 1)], description, 'Elasticsearch', fakeContext().context);
    assert.deepEqual(summary(outcome), { ok: true, attempts: 1 });
    assert.deepEqual(fake.seen.map((s) => s.action), [{ index: { _index: 'logs-2016-02', _type: 'entry' } }, { index: { _index: 'logs-2016-02', _type: 'entry' } }]);
    assert.equal(received[0]!.headers['content-type'], 'application/x-ndjson');
    assert.equal(received[0]!.headers.authorization, undefined, 'unsigned');
  });

  test('credentials in the cluster URL are sent as basic auth (a user\'s own secured cluster)', async () => {
    handler = bulkServer().handler;
    const description = osDescription({ ClusterEndpoint: base.replace('http://', 'http://admin:s3cret@') });
    const outcome = await deliverToOpenSearch([record('{"n":1}')], description, 'Amazonopensearchservice', fakeContext().context);
    assert.equal(outcome.ok, true);
    assert.equal(received[0]!.headers.authorization, `Basic ${Buffer.from('admin:s3cret').toString('base64')}`);
  });

  test('a record that is not single-line fails at once without being sent; Serverless has no rotation', async () => {
    const fake = bulkServer();
    handler = fake.handler;
    const description = { AmazonOpenSearchServerlessDestinationDescription: { CollectionEndpoint: base, IndexName: 'coll' } };
    const outcome = await deliverToOpenSearch([record('{"a":\n1}'), record('{"ok":1}', 1)], description, 'AmazonOpenSearchServerless', fakeContext().context);
    assert.equal(outcome.ok, false);
    if (outcome.ok) return;
    assert.deepEqual(outcome.failedIndexes, [0]);
    assert.equal(outcome.errorCode, 'AOSS.MalformedDocument');
    assert.equal(outcome.permanent, true);
    assert.deepEqual(fake.seen.map((s) => s.action), [{ index: { _index: 'coll' } }]);
  });

  test('a cluster answering 503 to the whole request: every document retried, then failed with the cluster error', async () => {
    handler = (_request, response) => {
      response.statusCode = 503;
      response.end(JSON.stringify({ error: { type: 'cluster_block_exception', reason: 'blocked by: [SERVICE_UNAVAILABLE/1/state not recovered / initialized];' }, status: 503 }));
    };
    const { context, delays } = fakeContext();
    const outcome = await deliverToOpenSearch([record('{"a":1}'), record('{"b":1}', 1)], osDescription({ RetryOptions: { DurationInSeconds: 2 } }), 'Amazonopensearchservice', context);
    assert.equal(outcome.ok, false);
    if (outcome.ok) return;
    assert.deepEqual(delays, [1_000]);
    assert.deepEqual(outcome.failedIndexes, [0, 1]);
    assert.equal(outcome.errorCode, '503');
    assert.equal(JSON.parse(outcome.errorMessage).type, 'cluster_block_exception');
    assert.equal(outcome.permanent, false);
  });
});

describe('Splunk HEC (§13)', () => {
  /** A HEC with indexer acknowledgement: each ack is reported true on its `pollsBeforeAck`-th poll. */
  function hecServer(options: { token?: string; pollsBeforeAck?: number; ack?: boolean } = {}) {
    const state = { events: [] as string[], polls: 0, nextAck: 0 };
    const handler: Handler = (request, response) => {
      response.setHeader('Content-Type', 'application/json');
      if (request.headers.authorization !== `Splunk ${options.token ?? 'hec-token'}`) {
        response.statusCode = 403;
        response.end(JSON.stringify({ text: 'Invalid token', code: 4 }));
        return;
      }
      if (!request.headers['x-splunk-request-channel']) {
        response.statusCode = 400;
        response.end(JSON.stringify({ text: 'Data channel is missing', code: 10 }));
        return;
      }
      if (request.url!.startsWith('/services/collector/ack')) {
        assert.equal(new URL(request.url, 'http://x').searchParams.get('channel'), request.headers['x-splunk-request-channel']);
        const { acks } = JSON.parse(request.body.toString('utf8'));
        state.polls++;
        const done = options.pollsBeforeAck !== undefined && state.polls >= options.pollsBeforeAck;
        response.end(JSON.stringify({ acks: Object.fromEntries(acks.map((id: number) => [String(id), done])) }));
        return;
      }
      state.events.push(`${request.url} ${request.body.toString('utf8')}`);
      response.end(JSON.stringify(options.ack === false ? { text: 'Success', code: 0 } : { text: 'Success', code: 0, ackId: state.nextAck++ }));
    };
    return { state, handler };
  }

  const splunkDescription = (extra: Record<string, unknown> = {}) => ({
    SplunkDestinationDescription: { HECEndpoint: base, HECEndpointType: 'Event', HECAcknowledgmentTimeoutInSeconds: 180, RetryOptions: { DurationInSeconds: 10 }, ...extra },
  });

  test('Event endpoint: the records in one POST with the token and channel, acknowledged on the ack endpoint', async () => {
    const hec = hecServer({ pollsBeforeAck: 3 });
    handler = hec.handler;
    const { context, delays } = fakeContext();
    const outcome = await deliverToSplunk([record('{"event":"a"}'), record('{"event":"b"}', 1)], splunkDescription(), { splunkHecToken: 'hec-token' }, context);
    assert.deepEqual(summary(outcome), { ok: true, attempts: 1 });
    assert.deepEqual(hec.state.events, ['/services/collector/event {"event":"a"}{"event":"b"}']);
    assert.equal(hec.state.polls, 3);
    assert.deepEqual(delays, [1_000, 1_000], 'polled once a second');
    assert.deepEqual(outcome.stats, { deliveredRecords: 2, deliveredBytes: 26, requests: 1, successfulRequests: 1, ackLatencyMs: 2_000 });
    const channels = new Set(received.map((r) => r.headers['x-splunk-request-channel']));
    assert.equal(channels.size, 1, 'data and acks on one channel');
  });

  test('nothing to send: no request', async () => {
    handler = hecServer({ pollsBeforeAck: 1 }).handler;
    const outcome = await deliverToSplunk([], splunkDescription(), { splunkHecToken: 'hec-token' }, fakeContext().context);
    assert.equal(outcome.ok, true);
    assert.equal(received.length, 0);
    const http = await deliverToHttpEndpoint([], httpDescription(), {}, fakeContext().context);
    assert.equal(http.ok, true);
    assert.equal(received.length, 0);
  });

  test('Raw endpoint path', async () => {
    const hec = hecServer({ pollsBeforeAck: 1 });
    handler = hec.handler;
    const outcome = await deliverToSplunk([record('line one\n')], splunkDescription({ HECEndpointType: 'Raw' }), { splunkHecToken: 'hec-token' }, fakeContext().context);
    assert.equal(outcome.ok, true);
    assert.deepEqual(hec.state.events, ['/services/collector/raw line one\n']);
  });

  test('a wrong token is Splunk.InvalidToken, retried until RetryOptions runs out', async () => {
    handler = hecServer({ pollsBeforeAck: 1 }).handler;
    const { context, delays } = fakeContext();
    const outcome = await deliverToSplunk([record('x')], splunkDescription({ RetryOptions: { DurationInSeconds: 3 } }), { splunkHecToken: 'wrong' }, context);
    assert.equal(outcome.ok, false);
    if (outcome.ok) return;
    assert.equal(outcome.errorCode, 'Splunk.InvalidToken');
    assert.equal(outcome.errorMessage, SPLUNK_ERRORS.InvalidToken);
    assert.deepEqual(delays, [1_000, 2_000]);
    assert.equal(outcome.attempts, 3);
    assert.equal(outcome.toErrorOutput, true);
  });

  test('no acknowledgement within HECAcknowledgmentTimeoutInSeconds: Splunk.AckTimeout, resent while the retry window lasts', async () => {
    const hec = hecServer({}); // never acknowledges
    handler = hec.handler;
    const { context, delays } = fakeContext();
    const outcome = await deliverToSplunk([record('x')], splunkDescription({ RetryOptions: { DurationInSeconds: 2 } }), { splunkHecToken: 'hec-token' }, context);
    assert.equal(outcome.ok, false);
    if (outcome.ok) return;
    assert.equal(outcome.errorCode, 'Splunk.AckTimeout');
    assert.equal(outcome.errorMessage, SPLUNK_ERRORS.AckTimeout);
    assert.equal(outcome.permanent, false);
    // Each send waits the whole acknowledgement timeout (a poll a second for 180 s); the window opens at the first timeout.
    assert.equal(hec.state.events.length, 2, 'sent, timed out, resent once within 2 s');
    assert.equal(outcome.attempts, 2);
    const pollWaits = delays.filter((d) => d === 1_000).length;
    assert.equal(pollWaits, 2 * 180 + 1, 'two acknowledgement windows plus one backoff of 1 s');
  });

  test('a token without indexer acknowledgement: Splunk.DisabledAck', async () => {
    handler = hecServer({ ack: false }).handler;
    const outcome = await deliverToSplunk([record('x')], splunkDescription({ RetryOptions: { DurationInSeconds: 0 } }), { splunkHecToken: 'hec-token' }, fakeContext().context);
    assert.equal(outcome.ok, false);
    if (!outcome.ok) assert.equal(outcome.errorCode, 'Splunk.DisabledAck');
  });

  test('TLS: a certificate for another host is Splunk.SSLUnverified, an untrusted one Splunk.SSLHandshake', async () => {
    handler = hecServer({ pollsBeforeAck: 1 }).handler;
    const pems = await generate([{ name: 'commonName', value: 'hec.example' }], {
      keyType: 'ec',
      curve: 'P-256',
      algorithm: 'sha256',
      extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: 'hec.example' }] }],
    });
    const other = https.createServer({ cert: pems.cert, key: pems.private }, onRequest);
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    try {
      const url = `https://127.0.0.1:${(other.address() as AddressInfo).port}`;
      const description = splunkDescription({ HECEndpoint: url, RetryOptions: { DurationInSeconds: 0 } });
      const wrongHost = await deliverToSplunk([record('x')], description, { splunkHecToken: 'hec-token' }, fakeContext({ ca: Buffer.from(pems.cert) }).context);
      assert.equal(wrongHost.ok, false);
      if (!wrongHost.ok) assert.equal(wrongHost.errorCode, 'Splunk.SSLUnverified');
      const untrusted = await deliverToSplunk([record('x')], description, { splunkHecToken: 'hec-token' }, fakeContext().context);
      assert.equal(untrusted.ok, false);
      if (!untrusted.ok) assert.equal(untrusted.errorCode, 'Splunk.SSLHandshake');
      // With the CA trusted, the same server on its own name's certificate is reached over https.
      const trusted = await deliverToSplunk([record('x')], splunkDescription({ HECEndpoint: tlsBase }), { splunkHecToken: 'hec-token' }, fakeContext({ ca: tlsCa }).context);
      assert.equal(trusted.ok, true);
    } finally {
      closeDestinationAgents();
      await new Promise((resolve) => other.close(resolve));
    }
  });

  test('HEC unreachable: Splunk.InvalidEndpoint', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const outcome = await deliverToSplunk([record('x')], splunkDescription({ HECEndpoint: `http://127.0.0.1:${port}`, RetryOptions: { DurationInSeconds: 0 } }), { splunkHecToken: 'hec-token' }, fakeContext().context);
    assert.equal(outcome.ok, false);
    if (!outcome.ok) assert.equal(outcome.errorCode, 'Splunk.InvalidEndpoint');
  });
});
