import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import {
  CreateStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListShardsCommand,
  PutRecordCommand,
  PutRecordsCommand,
  type KinesisClient,
} from '@aws-sdk/client-kinesis';
import { CreateDeliveryStreamCommand, FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import type { Browser, Page } from 'playwright-core';
import { startTestServer, sleep, type TestServer } from './helpers.js';
import { aggregateKpl } from '../src/firehose/processing/kpl-aggregation.js';
import { STATIC_ROOT } from '../src/console/static-files.js';

/**
 * The web console in a real browser (issue 18 tests): Debian's chromium driven by playwright-core,
 * against a running Millrace fed through the SDKs. Never downloads a browser: without
 * /usr/bin/chromium the browser tests are skipped with the reason printed. The API's answers to
 * bad input are checked without a browser.
 */

const CHROMIUM = process.env.MILLRACE_CHROMIUM ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.log(`console browser tests skipped: no ${CHROMIUM} (apt-get install chromium)`);
/** Screenshots land here (git-ignored), for a person or CI to look at. */
export const ARTIFACTS = process.env.MILLRACE_TEST_ARTIFACTS ?? join(tmpdir(), 'millrace-test-artifacts', 'console');

let server: TestServer;
let kinesis: KinesisClient;
let browser: Browser | undefined;
let consoleUrl: string;

before(async () => {
  server = await startTestServer();
  kinesis = server.client({ http1: true });
  consoleUrl = `${server.endpoint}/_millrace/`;
  await kinesis.send(new CreateStreamCommand({ StreamName: 'orders', ShardCount: 2 }));
  await kinesis.send(new CreateStreamCommand({ StreamName: 'to-split', ShardCount: 1 }));
  if (haveChromium) {
    mkdirSync(ARTIFACTS, { recursive: true });
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  }
});

after(async () => {
  await browser?.close();
  await server.stop();
});

const api = async (path: string, init?: RequestInit) => {
  const response = await fetch(`${server.endpoint}/_millrace/api/v1/${path}`, init);
  return { status: response.status, body: (await response.json()) as any };
};
const write = (path: string, body: unknown) =>
  api(path, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Millrace-Console': '1' }, body: JSON.stringify(body) });

/** Issue 18 §2: the whole console under 100 KB gzipped. */
const MAX_CONSOLE_GZIP_BYTES = 100 * 1024;

test('the whole console is under 100 KB gzipped, and served gzipped', async () => {
  const files = readdirSync(STATIC_ROOT, { recursive: true, withFileTypes: true }).filter((f) => f.isFile() && !f.name.endsWith('.map'));
  assert.ok(files.some((f) => f.name === 'main.js'), 'the console is built (npm run build:console)');
  const total = files.reduce((sum, f) => sum + gzipSync(readFileSync(join(f.parentPath ?? f.path, f.name)), { level: 9 }).length, 0);
  console.log(`console: ${files.length} files, ${total} bytes gzipped`);
  assert.ok(total < MAX_CONSOLE_GZIP_BYTES, `${total} bytes gzipped`);
  const response = await fetch(`${server.endpoint}/_millrace/ui/vendor/preact.mjs`, { headers: { 'Accept-Encoding': 'gzip' } });
  assert.equal(response.headers.get('content-encoding'), 'gzip');
  assert.equal(response.headers.get('content-type'), 'text/javascript; charset=utf-8');
  assert.equal((await fetch(`${server.endpoint}/_millrace/ui/../../package.json`)).status, 404);
  assert.equal((await fetch(`${server.endpoint}/_millrace/ui/%2e%2e/%2e%2e/package.json`)).status, 404);
});

describe('console API', () => {
  test('streams list and detail read the store', async () => {
    const list = await api('streams');
    assert.equal(list.status, 200);
    const orders = list.body.streams.find((s: any) => s.name === 'orders');
    assert.equal(orders.openShards, 2);
    assert.equal(orders.status, 'ACTIVE');
    const detail = await api('streams/orders');
    assert.equal(detail.body.shards.length, 2);
    assert.equal(detail.body.shards[1].endingHashKey, '340282366920938463463374607431768211455');
  });

  test('unknown stream: 404 with the Kinesis error', async () => {
    const answer = await api('streams/nope/records');
    assert.equal(answer.status, 404);
    assert.deepEqual(answer.body, { error: 'ResourceNotFoundException', message: 'Stream nope under account 000000000000 not found.' });
  });

  test('bad parameters are named', async () => {
    const cases: Array<[string, string]> = [
      ['streams/orders/records?limit=100000', 'limit must be a whole number between 1 and 1000, got 100000'],
      ['streams/orders/records?limit=0', 'limit must be a whole number between 1 and 1000, got 0'],
      ['streams/orders/records?limit=abc', 'limit must be a whole number between 1 and 1000, got "abc"'],
      ['streams/orders/records?type=OLDEST', 'type must be one of TRIM_HORIZON, LATEST, AT_SEQUENCE_NUMBER, AFTER_SEQUENCE_NUMBER, AT_TIMESTAMP, got "OLDEST"'],
      ['streams/orders/records?cursor=xyz', 'cursor is not a cursor this API gave'],
      ['streams/orders/records?shard=first', 'shard must be a shard id such as shardId-000000000000, got "first"'],
      ['streams/orders/records?type=AT_TIMESTAMP&ts=yesterday', 'ts must be epoch milliseconds or an ISO 8601 time, got "yesterday"'],
      ['streams?account=12', 'account must be 12 digits, got "12"'],
      ['streams?region=moon-1', 'region must be an AWS region name such as us-east-1, got "moon-1"'],
      ['streams/%E0%A4%A', 'malformed escape in "%E0%A4%A"'],
    ];
    for (const [path, message] of cases) {
      const answer = await api(path);
      assert.equal(answer.status, 400, path);
      assert.deepEqual(answer.body, { error: 'InvalidParameter', message }, path);
    }
  });

  test('a shard the stream does not have', async () => {
    const answer = await api('streams/orders/records?shard=shard-7');
    assert.deepEqual(answer, { status: 404, body: { error: 'NotFound', message: 'stream orders has no shard shardId-000000000007' } });
  });

  test('an iterator position of the domain keeps its Kinesis error', async () => {
    const answer = await api(`streams/orders/records?type=AT_TIMESTAMP&ts=${Date.now() + 3_600_000}`);
    assert.equal(answer.status, 400);
    assert.equal(answer.body.error, 'InvalidArgumentException');
    assert.match(answer.body.message, /^The timestampInMillis parameter cannot be greater than the currentTimestampInMillis/);
  });

  test('writes need JSON and the console header; bad records are refused', async () => {
    const plain = await api('streams/orders/records', { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: '{"partitionKey":"a","text":"x"}' });
    assert.equal(plain.status, 403);
    assert.deepEqual(plain.body, { error: 'Forbidden', message: 'console writes are JSON with an x-millrace-console header' });
    assert.deepEqual((await write('streams/orders/records', { text: 'x' })).body, { error: 'InvalidParameter', message: 'partitionKey is required' });
    assert.deepEqual((await write('streams/orders/records', { partitionKey: 'a' })).body, { error: 'InvalidParameter', message: 'record needs either data (base64) or text' });
    const many = await write('streams/orders/records', { records: Array.from({ length: 501 }, () => ({ partitionKey: 'a', text: 'x' })) });
    assert.deepEqual(many.body, { error: 'InvalidParameter', message: 'records must hold 1 to 500 records' });
    const split = await write('streams/orders/split', { shardId: 'shardId-000000000000', newStartingHashKey: '1' });
    assert.equal(split.status, 400);
    assert.equal(split.body.error, 'InvalidArgumentException');
    assert.match(split.body.message, /^NewStartingHashKey 1 used in SplitShard\(\) on shard shardId-000000000000 in stream orders/);
  });

  test('metric series: bad parameters, then the AWS/Kinesis metrics of puts', async () => {
    const cases: Array<[string, string]> = [
      ['metrics/series?metric=IncomingRecords', 'namespace and metric are required'],
      ['metrics/series?namespace=AWS/Kinesis&metric=IncomingRecords&stat=Median', 'stat must be SampleCount, Average, Sum, Minimum, Maximum or a percentile such as p99, got "Median"'],
      ['metrics/series?namespace=AWS/Kinesis&metric=IncomingRecords&period=90', 'period must be 1, 5, 10, 20, 30 or a multiple of 60 seconds, got 90'],
      [`metrics/series?namespace=AWS/Kinesis&metric=IncomingRecords&from=${Date.now() - 30 * 86_400_000}&period=86400`, 'metrics are kept 14 days: from is older'],
      [`metrics/series?namespace=AWS/Kinesis&metric=IncomingRecords&from=${Date.now() - 10 * 86_400_000}`, 'at most 1440 points a series: choose a longer period'],
      ['metrics/series?namespace=AWS/Kinesis&metric=IncomingRecords&dimensions=StreamName', 'dimensions must be Name=Value pairs separated by commas, got "StreamName"'],
    ];
    for (const [path, message] of cases) assert.deepEqual(await api(path), { status: 400, body: { error: 'InvalidParameter', message } }, path);
    await kinesis.send(new CreateStreamCommand({ StreamName: 'measured', ShardCount: 1 }));
    await kinesis.send(new PutRecordsCommand({ StreamName: 'measured', Records: Array.from({ length: 7 }, (_, i) => ({ PartitionKey: `k${i}`, Data: Buffer.from('x') })) }));
    let total = 0;
    for (let i = 0; i < 150 && total < 7; i++) {
      const series = await api(`metrics/series?namespace=AWS/Kinesis&metric=IncomingRecords&dimensions=StreamName=measured&stat=Sum&from=${Date.now() - 600_000}`);
      assert.equal(series.status, 200);
      total = series.body.values.reduce((a: number, b: number) => a + b, 0);
      if (total < 7) await sleep(100);
    }
    assert.equal(total, 7);
    // The list reads what the publisher has stored, which may trail the series by one publication.
    const listedMeasured = async () => ((await api('metrics?namespace=AWS/Kinesis')).body.metrics as any[]).some((m) => m.metricName === 'IncomingRecords' && m.dimensions[0]?.Value === 'measured');
    let listed = await listedMeasured();
    for (let i = 0; i < 300 && !listed; i++) {
      await sleep(100);
      listed = await listedMeasured();
    }
    assert.ok(listed, 'IncomingRecords of "measured" is listed');
  });

  test('unknown paths and methods', async () => {
    assert.deepEqual(await api('nothing'), { status: 404, body: { error: 'NotFound', message: 'no API /_millrace/api/v1/nothing' } });
    const wrong = await api('streams', { method: 'DELETE' });
    assert.deepEqual(wrong, { status: 405, body: { error: 'MethodNotAllowed', message: '/_millrace/api/v1/streams takes GET' } });
  });

  test('pages merge shards by arrival and continue with the cursor, oldest- and newest-first', async () => {
    await kinesis.send(new CreateStreamCommand({ StreamName: 'paged', ShardCount: 3 }));
    const put = await kinesis.send(
      new PutRecordsCommand({ StreamName: 'paged', Records: Array.from({ length: 25 }, (_, i) => ({ PartitionKey: `k${i}`, Data: Buffer.from(`r${i}`) })) }),
    );
    const expected = put.Records!.map((r) => r.SequenceNumber!);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await api(`streams/paged/records?limit=7${cursor ? `&cursor=${cursor}` : ''}`);
      assert.equal(page.status, 200);
      seen.push(...page.body.records.map((r: any) => r.sequenceNumber));
      cursor = page.body.records.length > 0 ? page.body.cursor : undefined;
    } while (cursor);
    assert.deepEqual([...seen].sort(), [...expected].sort());
    assert.equal(new Set(seen).size, 25);
    const newest: string[] = [];
    cursor = undefined;
    for (;;) {
      const page = await api(`streams/paged/records?order=newest&limit=10${cursor ? `&cursor=${cursor}` : ''}`);
      newest.push(...page.body.records.map((r: any) => r.sequenceNumber));
      cursor = page.body.cursor;
      if (!cursor) break;
    }
    assert.deepEqual([...newest].sort(), [...expected].sort());
  });

  test('KPL aggregates come with their sub-records', async () => {
    const data = aggregateKpl([
      { partitionKey: 'a', data: Buffer.from('{"n":1}') },
      { partitionKey: 'b', data: Buffer.from('{"n":2}') },
    ]);
    const put = await kinesis.send(new PutRecordCommand({ StreamName: 'orders', PartitionKey: 'kpl', Data: data }));
    const page = await api(`streams/orders/records?type=AT_SEQUENCE_NUMBER&seq=${put.SequenceNumber}&limit=1`);
    assert.equal(page.body.records[0].sequenceNumber, put.SequenceNumber);
    assert.deepEqual(
      page.body.records[0].kpl.map((s: any) => [s.subSequenceNumber, s.partitionKey, Buffer.from(s.data, 'base64').toString()]),
      [[0, 'a', '{"n":1}'], [1, 'b', '{"n":2}']],
    );
  });
});

test('console files: immutable under the current build name, revalidated by ETag otherwise', async () => {
  const build = readFileSync(join(STATIC_ROOT, 'BUILD_ID'), 'utf8').trim();
  const index = await (await fetch(`${server.endpoint}/_millrace/`)).text();
  assert.ok(index.includes(`src="ui/~${build}/js/main.js"`), 'the page asks for the modules under the build name');
  const current = await fetch(`${server.endpoint}/_millrace/ui/~${build}/js/main.js`);
  assert.equal(current.status, 200);
  assert.equal(current.headers.get('cache-control'), 'public, max-age=31536000, immutable');
  const plain = await fetch(`${server.endpoint}/_millrace/ui/js/main.js`);
  assert.equal(await plain.text(), await current.text());
  assert.equal(plain.headers.get('cache-control'), 'no-cache');
  // A page open across a rebuild: what is there now, not promised for good.
  const stale = await fetch(`${server.endpoint}/_millrace/ui/~older-build/js/main.js`);
  assert.equal(stale.status, 200);
  assert.equal(stale.headers.get('cache-control'), 'no-cache');
  const etag = plain.headers.get('etag')!;
  assert.match(etag, /^"[\w-]+(-gz)?"$/);
  const again = await fetch(`${server.endpoint}/_millrace/ui/js/main.js`, { headers: { 'If-None-Match': etag } });
  assert.equal(again.status, 304);
  assert.equal((await again.arrayBuffer()).byteLength, 0);
  const changed = await fetch(`${server.endpoint}/_millrace/ui/js/main.js`, { headers: { 'If-None-Match': '"something-else"' } });
  assert.equal(changed.status, 200);
  assert.equal((await fetch(`${server.endpoint}/_millrace/ui/BUILD_ID`)).status, 404);
});

describe('console in a browser', { skip: haveChromium ? false : `no ${CHROMIUM}` }, () => {
  let page: Page;
  const errors: string[] = [];

  before(async () => {
    const context = await browser!.newContext({ viewport: { width: 1360, height: 900 } });
    page = await context.newPage();
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    page.on('pageerror', (err) => errors.push(err.message));
  });

  const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });

  test('home loads with no console errors and shows the endpoint', async () => {
    await page.goto(consoleUrl);
    await page.getByRole('heading', { name: /^Millrace / }).waitFor();
    assert.ok(await page.getByText(`export AWS_ENDPOINT_URL=${server.endpoint}`, { exact: false }).first().isVisible());
    await shot('home');
    assert.deepEqual(errors, []);
  });

  test('the first page loads only its own modules and asks for its data once, from the head', async () => {
    const context = await browser!.newContext();
    const fresh = await context.newPage();
    const requested: string[] = [];
    fresh.on('request', (request) => requested.push(new URL(request.url()).pathname));
    try {
      await fresh.goto(`${consoleUrl}#/streams`);
      await fresh.locator('tr[data-stream="orders"]').waitFor();
      const count = (suffix: string) => requested.filter((path) => path.endsWith(suffix)).length;
      assert.equal(count('/pages/streams.js'), 1);
      // Other pages (the stream page, charts, the data viewer) come when the user goes there.
      for (const other of ['/pages/stream.js', '/pages/data.js', '/pages/chart.js', '/pages/home.js']) assert.equal(count(other), 0, other);
      // The boot script's answers are the ones the page used: asked once, not again by the page.
      assert.equal(count('/api/v1/server'), 1);
      await fresh.getByRole('link', { name: 'orders' }).click();
      await fresh.getByRole('heading', { name: /^orders/ }).waitFor();
      assert.equal(count('/pages/stream.js'), 1);
    } finally {
      await context.close();
    }
  });

  test('the streams page lists the streams', async () => {
    await page.goto(`${consoleUrl}#/streams`);
    await page.locator('tr[data-stream="orders"]').waitFor();
    assert.equal(await page.locator('tr[data-stream="to-split"]').count(), 1);
    await shot('streams');
  });

  test('the data viewer shows records put through the SDK with exact sequence numbers and decodes them', async () => {
    await kinesis.send(new CreateStreamCommand({ StreamName: 'viewer', ShardCount: 2 }));
    const put = await kinesis.send(
      new PutRecordsCommand({
        StreamName: 'viewer',
        Records: [
          { PartitionKey: 'json', Data: Buffer.from('{"order": 17, "item": "tea"}') },
          { PartitionKey: 'text', Data: Buffer.from('plain words') },
          { PartitionKey: 'bin', Data: Buffer.from([0, 1, 2, 0xff, 0xfe]) },
        ],
      }),
    );
    const sequences = put.Records!.map((r) => r.SequenceNumber!);
    await page.goto(`${consoleUrl}#/streams/viewer/data`);
    await page.locator('tr[data-seq]').nth(2).waitFor();
    const shown = await page.locator('tr[data-seq] td.seq').allTextContents();
    assert.deepEqual([...shown].sort(), [...sequences].sort());
    await page.locator(`tr[data-seq="${sequences[0]}"]`).click();
    await page.locator('#detail-seq').waitFor();
    assert.equal(await page.locator('#detail-seq').textContent(), sequences[0]);
    await page.locator('.json-tree').getByText('"tea"').waitFor();
    await shot('data-viewer-json');
    await page.locator(`tr[data-seq="${sequences[2]}"]`).click();
    await page.locator('.hex-view').waitFor();
    assert.match((await page.locator('.hex-view').textContent())!, /^00000000  00 01 02 ff fe/);
    await page.locator(`tr[data-seq="${sequences[1]}"]`).click();
    assert.equal(await page.locator('.text-view').textContent(), 'plain words');
    // One shard at a time, from a permalink.
    const shardId = put.Records![0].ShardId!;
    await page.goto(`${consoleUrl}#/streams/viewer/data?shard=${shardId}&type=AT_SEQUENCE_NUMBER&seq=${sequences[0]}`);
    await page.locator(`tr[data-seq="${sequences[0]}"]`).waitFor();
    const onShard = put.Records!.filter((r) => r.ShardId === shardId).map((r) => r.SequenceNumber!);
    await page.waitForFunction((n) => document.querySelectorAll('tr[data-seq]').length === n, onShard.length);
    assert.deepEqual(await page.locator('tr[data-seq] td.seq').allTextContents(), onShard);
  });

  test('live tail receives records put after it opened, a burst of 500 included', async () => {
    await page.goto(`${consoleUrl}#/streams/orders/tail`);
    await page.locator('#tail-state', { hasText: 'live' }).waitFor();
    const put = await kinesis.send(new PutRecordCommand({ StreamName: 'orders', PartitionKey: 'tail', Data: Buffer.from('{"tail": true}') }));
    await page.locator(`tr[data-seq="${put.SequenceNumber}"]`).waitFor();
    await kinesis.send(
      new PutRecordsCommand({ StreamName: 'orders', Records: Array.from({ length: 500 }, (_, i) => ({ PartitionKey: `burst${i}`, Data: Buffer.from(`b${i}`) })) }),
    );
    await page.locator('#tail-received', { hasText: /^501$/ }).waitFor();
    await page.waitForFunction(() => document.querySelectorAll('.tail-list tr[data-seq]').length === 501);
    await shot('live-tail');
  });

  test('the produce form puts a record the SDK then reads, on the predicted shard', async () => {
    await page.goto(`${consoleUrl}#/streams/orders/produce`);
    await page.locator('input[name="partitionKey"]').fill('from-the-browser');
    await page.locator('textarea[name="data"]').fill('{"hello": "console"}');
    await page.locator('#predicted-shard', { hasText: /^shardId-/ }).waitFor();
    const predicted = await page.locator('#predicted-shard').textContent();
    await page.getByRole('button', { name: 'Put record' }).click();
    await page.locator('td.result-seq').waitFor();
    const sequenceNumber = (await page.locator('td.result-seq').textContent())!;
    const shardId = (await page.locator('td.result-shard').textContent())!;
    assert.equal(shardId, predicted);
    const { ShardIterator } = await kinesis.send(
      new GetShardIteratorCommand({ StreamName: 'orders', ShardId: shardId, ShardIteratorType: 'AT_SEQUENCE_NUMBER', StartingSequenceNumber: sequenceNumber }),
    );
    const { Records } = await kinesis.send(new GetRecordsCommand({ ShardIterator, Limit: 1 }));
    assert.equal(Records![0].SequenceNumber, sequenceNumber);
    assert.equal(Records![0].PartitionKey, 'from-the-browser');
    assert.equal(Buffer.from(Records![0].Data!).toString(), '{"hello": "console"}');
    await shot('produce');
  });

  test('a split from the shard page shows up in ListShards', async () => {
    await page.goto(`${consoleUrl}#/streams/to-split/shards`);
    await page.getByRole('button', { name: 'split shardId-000000000000' }).click();
    await page.getByRole('status').filter({ hasText: 'UPDATING' }).waitFor();
    let shards: string[] = [];
    for (let i = 0; i < 50 && shards.length < 3; i++) {
      shards = ((await kinesis.send(new ListShardsCommand({ StreamName: 'to-split' }))).Shards ?? []).map((s) => s.ShardId!);
      if (shards.length < 3) await sleep(100);
    }
    assert.deepEqual(shards, ['shardId-000000000000', 'shardId-000000000001', 'shardId-000000000002']);
    await page.locator('tr[data-shard="shardId-000000000002"]').waitFor();
    await page.getByText('generation 1').waitFor();
    await shot('shards-after-split');
  });

  test('monitoring charts have points', async () => {
    await page.goto(`${consoleUrl}#/streams/orders/monitoring`);
    await page.locator('.chart canvas').first().waitFor();
    await kinesis.send(new PutRecordCommand({ StreamName: 'orders', PartitionKey: 'm', Data: Buffer.from('m') }));
    await page.waitForFunction(() => Number(document.querySelector('.chart')?.getAttribute('data-points')) >= 2, undefined, { timeout: 15_000 });
    // The stored one-minute AWS/Kinesis series: published every 10 s, charted once there.
    const incoming = page.locator('.chart', { has: page.locator('.u-title', { hasText: 'IncomingRecords (Sum)' }) });
    await page.waitForFunction((el) => Number(el?.getAttribute('data-points')) >= 1, await incoming.elementHandle(), { timeout: 25_000 });
    await shot('monitoring');
  });

  test('the Firehose page shows a delivery stream and its delivered objects', async () => {
    const firehose = new FirehoseClient({ endpoint: server.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' }, maxAttempts: 1 });
    try {
      await server.objects.createBucket('console-bucket', 'us-east-1');
      await firehose.send(
        new CreateDeliveryStreamCommand({
          DeliveryStreamName: 'to-s3',
          ExtendedS3DestinationConfiguration: { BucketARN: 'arn:aws:s3:::console-bucket', RoleARN: 'arn:aws:iam::000000000000:role/f', Prefix: 'out/', BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 60 } },
        }),
      );
      await firehose.send(new PutRecordBatchCommand({ DeliveryStreamName: 'to-s3', Records: [{ Data: Buffer.from('{"a":1}\n') }, { Data: Buffer.from('{"a":2}\n') }] }));
      await server.delivery.flush('000000000000', 'us-east-1', 'to-s3');
      await page.goto(`${consoleUrl}#/firehose`);
      await page.locator('tr[data-delivery-stream="to-s3"]').waitFor();
      await page.goto(`${consoleUrl}#/firehose/to-s3`);
      await page.getByRole('table', { name: 'delivered objects' }).getByRole('link').first().waitFor();
      const link = await page.getByRole('table', { name: 'delivered objects' }).getByRole('link').first().getAttribute('href');
      const object = await fetch(new URL(link!, consoleUrl));
      assert.equal(await object.text(), '{"a":1}\n{"a":2}\n');
      await shot('firehose');
    } finally {
      firehose.destroy();
    }
  });

  test('server page, dark mode and keyboard navigation', async () => {
    await page.goto(`${consoleUrl}#/server`);
    await page.getByRole('cell', { name: '--console-read-only' }).waitFor();
    await page.getByLabel('theme').selectOption('dark');
    // The theme is applied by an effect after the re-render, so wait for it rather than read once.
    await page.waitForFunction(() => document.documentElement.getAttribute('data-theme') === 'dark', undefined, { timeout: 5000 });
    await shot('server-dark');
    // Keys go to the page, not the theme select just used (a click could land on a link).
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await page.keyboard.press('g');
    await page.keyboard.press('s');
    await page.locator('tr[data-stream="orders"]').waitFor();
    assert.match(page.url(), /#\/streams/);
    await page.getByLabel('theme').selectOption('system');
  });

  test('no console errors on any page', () => {
    assert.deepEqual(errors, []);
  });
});
