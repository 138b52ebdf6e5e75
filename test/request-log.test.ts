import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { PutRecordCommand } from '@aws-sdk/client-kinesis';
import { kinesisJson, startTestServer, type RawResponse, type TestServer } from './helpers.js';

/**
 * The request log (issue #20 §4, README "Logs"): at debug exactly one line per request with its
 * service, operation, stream, status, duration and bytes in and out; nothing per request at info;
 * every 5xx answer at warn with its request id, whatever the level.
 */

/** Every line the server logs, parsed. */
const lines: Record<string, any>[] = [];
const capture = new Writable({
  write(chunk: Buffer, _encoding, done) {
    for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(JSON.parse(line));
    done();
  },
});
const log = pino({ level: 'debug' }, capture);
const DEBUG = 20;
const WARN = 40;

let server: TestServer;
before(async () => {
  server = await startTestServer({ createStreamMs: 0 }, log);
  const created = await kinesisJson(server.endpoint, 'CreateStream', { StreamName: 'logged', ShardCount: 1 });
  assert.equal(created.status, 200);
});
after(async () => {
  await server.stop();
});

/** The lines that name the request that got `answer`. */
function linesOf(answer: RawResponse): Record<string, any>[] {
  const requestId = answer.headers['x-amzn-requestid'];
  assert.ok(typeof requestId === 'string' && requestId.length > 0, 'every answer has a request id');
  return lines.filter((line) => line.requestId === requestId);
}

const putRecord = (stream: string) => ({ StreamName: stream, Data: Buffer.from('hello').toString('base64'), PartitionKey: 'k' });

test('at debug, one line per request: service, operation, stream, status, duration and bytes in and out', async () => {
  log.level = 'debug';
  const body = putRecord('logged');
  const answer = await kinesisJson(server.endpoint, 'PutRecord', body);
  assert.equal(answer.status, 200);
  const [line, ...more] = linesOf(answer);
  assert.ok(line, 'the request was logged');
  assert.deepEqual(more, [], 'exactly one line for the request');
  assert.equal(line.level, DEBUG);
  assert.equal(line.msg, 'request');
  assert.equal(line.service, 'Kinesis_20131202');
  assert.equal(line.operation, 'PutRecord');
  assert.equal(line.stream, 'logged');
  assert.equal(line.status, 200);
  assert.equal(typeof line.durationMs, 'number');
  assert.ok(line.durationMs >= 0);
  assert.equal(line.bytesIn, Buffer.byteLength(JSON.stringify(body)));
  assert.equal(line.bytesOut, answer.body.length);
});

test('at debug, a refused request is one line with its status and error type; a stream named by ARN is named', async () => {
  log.level = 'debug';
  const missing = await kinesisJson(server.endpoint, 'DescribeStreamSummary', { StreamARN: 'arn:aws:kinesis:us-east-1:000000000000:stream/absent' });
  assert.equal(missing.status, 400);
  const [line, ...more] = linesOf(missing);
  assert.deepEqual(more, []);
  assert.equal(line?.level, DEBUG);
  assert.equal(line.operation, 'DescribeStreamSummary');
  assert.equal(line.stream, 'absent');
  assert.equal(line.status, 400);
  assert.equal(line.errorType, 'ResourceNotFoundException');
  assert.equal(line.bytesOut, missing.body.length);

  const unknown = await kinesisJson(server.endpoint, 'NoSuchOperation', {});
  assert.equal(unknown.status, 400);
  const unknownLines = linesOf(unknown);
  assert.equal(unknownLines.length, 1);
  assert.equal(unknownLines[0]!.errorType, 'UnknownOperationException');
});

test('at debug, requests through the SDK are logged too (one line each)', async () => {
  log.level = 'debug';
  const before = lines.length;
  const kinesis = server.client({ http1: true });
  for (let i = 0; i < 3; i++) {
    await kinesis.send(new PutRecordCommand({ StreamName: 'logged', Data: Buffer.from(`sdk ${i}`), PartitionKey: `k${i}` }));
  }
  const logged = lines.slice(before).filter((line) => line.msg === 'request' && line.operation === 'PutRecord');
  assert.equal(logged.length, 3);
  assert.equal(new Set(logged.map((line) => line.requestId)).size, 3);
});

test('at info, nothing is logged per request', async () => {
  log.level = 'info';
  try {
    const before = lines.length;
    const put = await kinesisJson(server.endpoint, 'PutRecord', putRecord('logged'));
    assert.equal(put.status, 200);
    const missing = await kinesisJson(server.endpoint, 'DescribeStreamSummary', { StreamName: 'absent' });
    assert.equal(missing.status, 400);
    assert.deepEqual(linesOf(put), []);
    assert.deepEqual(linesOf(missing), []);
    assert.deepEqual(lines.slice(before), [], 'no line at all');
  } finally {
    log.level = 'debug';
  }
});

test('a 5xx answer is logged at warn with its request id, at info as at debug', async () => {
  const records = server.store.records as unknown as Record<string, unknown>;
  const failing = () => Promise.reject(new Error('disk on fire'));
  records.appendOne = failing;
  records.append = failing;
  try {
    for (const level of ['info', 'debug']) {
      log.level = level;
      const answer = await kinesisJson(server.endpoint, 'PutRecord', putRecord('logged'));
      assert.equal(answer.status, 500);
      assert.equal(answer.json?.__type, 'InternalFailure');
      const [line, ...more] = linesOf(answer);
      assert.deepEqual(more, [], `exactly one line at ${level}`);
      assert.equal(line?.level, WARN, `warn at ${level}`);
      assert.equal(line.operation, 'PutRecord');
      assert.equal(line.status, 500);
      assert.match(String(line.err?.message), /disk on fire/);
    }
  } finally {
    delete records.appendOne;
    delete records.append;
    log.level = 'debug';
  }
  const recovered = await kinesisJson(server.endpoint, 'PutRecord', putRecord('logged'));
  assert.equal(recovered.status, 200);
});
