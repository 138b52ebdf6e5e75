import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { CreateStreamCommand, ListStreamsCommand } from '@aws-sdk/client-kinesis';
import { startMillrace } from '../src/server.js';
import { NatsCluster, natsServerMissing } from './nats-cluster.js';
import { kinesisJson, rawRequest, startTestServer, type TestServer } from './helpers.js';

/**
 * One endpoint for the family (src/protocol/router.ts): X-Amz-Target first, then the SigV4
 * scope's service, then anonymous claims; Millrace's own pages under /_millrace/.
 */

let server: TestServer;

before(async () => {
  server = await startTestServer();
});

after(async () => {
  await server.stop();
});

const scoped = (service: string) => `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/us-east-1/${service}/aws4_request, SignedHeaders=host, Signature=abc`;

test('a Kinesis client is served as before: the target prefix routes it, whatever its scope says', async () => {
  const kinesis = server.client();
  await kinesis.send(new CreateStreamCommand({ StreamName: 'routed', ShardCount: 1 }));
  assert.ok((await kinesis.send(new ListStreamsCommand({}))).StreamNames?.includes('routed'));
  // A target of a prefix no service has is Kinesis's UnknownOperationException, as on AWS's endpoint.
  const unknown = await rawRequest(server.endpoint, { target: 'Logs_20140328.DescribeLogGroups', body: '{}' });
  assert.equal(unknown.status, 400);
  assert.deepEqual(unknown.json, { __type: 'UnknownOperationException' });
});

test('a signed request for a service Millrace does not serve gets AWS\'s UnrecognizedClientException', async () => {
  for (const method of ['GET', 'POST']) {
    const res = await rawRequest(server.endpoint, { method, path: '/queue', contentType: '', headers: { Authorization: scoped('sqs') } });
    assert.equal(res.status, 403);
    assert.equal(
      res.body.toString(),
      '<UnrecognizedClientException>\n  <Message>No authorization strategy was found for service: sqs, operation: </Message>\n</UnrecognizedClientException>\n',
    );
  }
  // Presigned: the scope comes from X-Amz-Credential.
  const presigned = await rawRequest(server.endpoint, {
    method: 'GET',
    path: '/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20240101%2Fus-east-1%2Fsns%2Faws4_request',
    contentType: '',
    headers: { Authorization: '' },
  });
  assert.equal(presigned.status, 403);
  assert.match(presigned.body.toString(), /service: sns,/);
});

test('Kinesis-scoped requests without a target keep Kinesis\'s answers', async () => {
  const res = await rawRequest(server.endpoint, { method: 'GET', contentType: '' });
  assert.equal(res.status, 403);
  assert.match(res.body.toString(), /^<AccessDeniedException>/);
  const unsigned = await rawRequest(server.endpoint, { body: '{}', headers: { Authorization: '' } });
  assert.equal(unsigned.status, 400);
  assert.deepEqual(unsigned.json, { __type: 'UnknownOperationException' });
});

test('a browser opening the endpoint is sent to /_millrace/; other GET / requests are not', async () => {
  const browser = await rawRequest(server.endpoint, { method: 'GET', contentType: '', headers: { Authorization: '', Accept: 'text/html,application/xhtml+xml' } });
  assert.equal(browser.status, 302);
  assert.equal(browser.headers.location, '/_millrace/');
  const index = await fetch(`${server.endpoint}/_millrace/`);
  assert.equal(index.status, 200);
  assert.match(index.headers.get('content-type')!, /^text\/html/);
  assert.match(await index.text(), /<title>Millrace console<\/title>/);
  const curl = await rawRequest(server.endpoint, { method: 'GET', contentType: '', headers: { Authorization: '', Accept: '*/*' } });
  assert.equal(curl.status, 403);
});

test('GET /_millrace/health: version, services, store kind and reachability', async () => {
  const res = await fetch(`${server.endpoint}/_millrace/health`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('cache-control'), 'no-store');
  const health = (await res.json()) as any;
  assert.equal(health.status, 'ok');
  assert.match(health.version, /^\d+\.\d+\.\d+/);
  assert.ok(health.services.includes('kinesis'));
  assert.equal(health.store.kind, 'lmdb');
  assert.equal(health.store.reachable, true);
  // Only the exact prefix is Millrace's: /_millraceX is an ordinary (Kinesis) request.
  const other = await rawRequest(server.endpoint, { method: 'GET', path: '/_millraceX', contentType: '' });
  assert.equal(other.status, 403);
  const missing = await fetch(`${server.endpoint}/_millrace/nothing-here`);
  assert.equal(missing.status, 404);
});

test('the router serves HTTP/2 too: health over h2c', async () => {
  const session = http2.connect(server.endpoint);
  try {
    const status = await new Promise<number>((resolve, reject) => {
      const req = session.request({ ':path': '/_millrace/health' });
      req.on('response', (headers) => resolve(Number(headers[':status'])));
      req.on('error', reject);
      req.resume();
      req.end();
    });
    assert.equal(status, 200);
  } finally {
    session.close();
  }
});

test('health answers 503 while the store cannot be reached (NATS cluster down)', { skip: natsServerMissing() }, async () => {
  const cluster = await NatsCluster.start(1);
  let node: Awaited<ReturnType<typeof startMillrace>> | undefined;
  try {
    node = await startMillrace({ port: 0, host: '127.0.0.1', store: cluster.url, replicas: 1, logLevel: 'silent' });
    assert.equal((await fetch(`${node.endpoint}/_millrace/health`)).status, 200);
    await cluster.kill(cluster.nodes[0].name);
    const res = await fetch(`${node.endpoint}/_millrace/health`);
    assert.equal(res.status, 503);
    const health = (await res.json()) as any;
    assert.equal(health.status, 'unavailable');
    assert.equal(health.store.kind, 'nats');
    assert.equal(health.store.reachable, false);
    // Kinesis keeps answering (with its retryable error) rather than hanging the router.
    const list = await kinesisJson(node.endpoint, 'ListStreams', {});
    assert.ok(list.status >= 500);
  } finally {
    await node?.close();
    await cluster.stop();
  }
});
