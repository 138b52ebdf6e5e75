import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { CreateStreamCommand as CreateKinesisStream, PutRecordsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import {
  CreateApplicationCommand,
  DescribeApplicationCommand,
  KinesisAnalyticsV2Client,
  ListApplicationOperationsCommand,
  StartApplicationCommand,
} from '@aws-sdk/client-kinesis-analytics-v2';
import { CreateStreamCommand as CreateVideoStream, KinesisVideoClient } from '@aws-sdk/client-kinesis-video';
import { GetMediaForFragmentListCommand, KinesisVideoArchivedMediaClient, ListFragmentsCommand } from '@aws-sdk/client-kinesis-video-archived-media';
import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import type { Browser, Page } from 'playwright-core';
import { HLS_NOT_SERVED } from '../src/console/api/video.js';
import { startTestServer, sleep, type TestServer } from './helpers.js';
import { producerStream, type Media } from './video-producer.js';

/**
 * The console's pages for Analytics and Video (issue 18 §1) with real data from a running
 * Millrace fed through the SDKs, the API's answers to bad input, and the Video and Analytics
 * metrics (Prometheus, AWS/KinesisVideo). Browser parts drive Debian's chromium through
 * playwright-core and are skipped, with the reason printed, where it is missing.
 */

const CHROMIUM = process.env.MILLRACE_CHROMIUM ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.log(`console service page tests skipped: no ${CHROMIUM} (apt-get install chromium)`);

/** Screenshots land beside console.test.ts's. */
const ARTIFACTS = process.env.MILLRACE_TEST_ARTIFACTS ?? join(tmpdir(), 'millrace-test-artifacts', 'console');

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };
let server: TestServer;
let kinesis: KinesisClient;
let kda: KinesisAnalyticsV2Client;
let kvs: KinesisVideoClient;
let archived: KinesisVideoArchivedMediaClient;
let cloudwatch: CloudWatchClient;
let browser: Browser | undefined;
let consoleUrl: string;

const SOURCE_SQL = `CREATE TABLE orders (id INT, item STRING) WITH ('connector' = 'kinesis', 'stream' = 'app-in', 'aws.region' = 'us-east-1', 'format' = 'json');
CREATE TABLE counted (item STRING, n BIGINT) WITH ('connector' = 'kinesis', 'stream' = 'app-out', 'aws.region' = 'us-east-1', 'format' = 'json');
INSERT INTO counted SELECT item, CAST(id AS BIGINT) FROM orders WHERE id > 0;`;

/** Three fragments of made-up H.264 frames (the server stores Clusters; it does not decode frames). */
const MEDIA: Media = {
  tracks: [{ number: 1, codecId: 'V_MPEG4/ISO/AVC', type: 1, width: 320, height: 240 }],
  frames: Array.from({ length: 15 }, (_, i) => ({ track: 1, ms: i * 200, keyframe: i % 5 === 0, data: Buffer.alloc(300 + i, i) })),
};

async function putMedia(stream: string): Promise<string[]> {
  const response = await fetch(`${server.endpoint}/putMedia`, {
    method: 'POST',
    headers: {
      authorization: `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/20240101/us-east-1/kinesisvideo/aws4_request, SignedHeaders=host, Signature=abc`,
      'x-amz-date': '20240101T000000Z',
      'x-amzn-stream-name': stream,
      'x-amzn-fragment-timecode-type': 'RELATIVE',
      'x-amzn-producer-start-timestamp': (Date.now() / 1000).toFixed(3),
    },
    body: new Uint8Array(Buffer.concat(producerStream(MEDIA))),
  });
  assert.equal(response.status, 200);
  const acks = (await response.text()).split('\n').filter(Boolean).map((line) => JSON.parse(line) as { EventType: string; FragmentNumber?: string });
  return acks.filter((a) => a.EventType === 'PERSISTED').map((a) => a.FragmentNumber!);
}

before(async () => {
  server = await startTestServer();
  kinesis = server.client({ http1: true });
  const common = { endpoint: server.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 };
  kda = new KinesisAnalyticsV2Client(common);
  kvs = new KinesisVideoClient(common);
  archived = new KinesisVideoArchivedMediaClient(common);
  cloudwatch = new CloudWatchClient(common);
  consoleUrl = `${server.endpoint}/_millrace/`;
  await kinesis.send(new CreateKinesisStream({ StreamName: 'app-in', ShardCount: 1 }));
  await kinesis.send(new CreateKinesisStream({ StreamName: 'app-out', ShardCount: 1 }));
  await kinesis.send(
    new PutRecordsCommand({ StreamName: 'app-in', Records: [1, 2, 3].map((id) => ({ PartitionKey: `k${id}`, Data: Buffer.from(JSON.stringify({ id, item: `tea-${id}` })) })) }),
  );
  await kda.send(
    new CreateApplicationCommand({
      ApplicationName: 'counter',
      RuntimeEnvironment: 'FLINK-1_20',
      ServiceExecutionRole: 'arn:aws:iam::000000000000:role/kda',
      ApplicationConfiguration: { ApplicationCodeConfiguration: { CodeContentType: 'PLAINTEXT', CodeContent: { TextContent: SOURCE_SQL } } },
    }),
  );
  await kda.send(new StartApplicationCommand({ ApplicationName: 'counter', RunConfiguration: { FlinkRunConfiguration: { AllowNonRestoredState: true } } }));
  await kvs.send(new CreateVideoStream({ StreamName: 'camera', DataRetentionInHours: 1, MediaType: 'video/h264' }));
  await kvs.send(new CreateVideoStream({ StreamName: 'empty-camera', DataRetentionInHours: 1 }));
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
  for (const client of [kda, kvs, archived, cloudwatch]) client.destroy();
  await server.stop();
});

const api = async (path: string) => {
  const response = await fetch(`${server.endpoint}/_millrace/api/v1/${path}`);
  return { status: response.status, body: (await response.json()) as any };
};

/** Waits until StartApplication's operation has ended (the background completes it). */
async function startSettled(): Promise<{ status: string; error?: string }> {
  for (let i = 0; i < 200; i++) {
    const { ApplicationOperationInfoList } = await kda.send(new ListApplicationOperationsCommand({ ApplicationName: 'counter' }));
    const start = ApplicationOperationInfoList?.find((o) => o.Operation === 'StartApplication');
    if (start && start.OperationStatus !== 'IN_PROGRESS') return { status: start.OperationStatus! };
    await sleep(100);
  }
  throw new Error('StartApplication never ended');
}

describe('console API: Analytics and Video', () => {
  test('analytics: the list and one application, with its operations, versions, tables and sample rows', async () => {
    await startSettled();
    const list = await api('analytics');
    assert.equal(list.status, 200);
    const row = list.body.applications.find((a: any) => a.name === 'counter');
    const { ApplicationDetail } = await kda.send(new DescribeApplicationCommand({ ApplicationName: 'counter' }));
    assert.equal(row.status, ApplicationDetail!.ApplicationStatus);
    assert.equal(row.runtime, 'FLINK-1_20');
    assert.equal(row.lastOperation.operation, 'StartApplication');

    const detail = await api('analytics/counter');
    assert.equal(detail.status, 200);
    assert.equal(detail.body.arn, ApplicationDetail!.ApplicationARN);
    assert.deepEqual(detail.body.operations.map((o: any) => o.operation), ['StartApplication']);
    assert.deepEqual(detail.body.versions.map((v: any) => v.versionId), [ApplicationDetail!.ApplicationVersionId]);
    assert.equal(detail.body.code.kind, 'sql');
    assert.equal(detail.body.code.text, SOURCE_SQL);
    const orders = detail.body.tables.find((t: any) => t.name === 'orders');
    assert.deepEqual(orders.role, ['source']);
    assert.equal(orders.stream, 'app-in');
    assert.deepEqual(orders.columns, [{ name: 'id', type: 'INT' }, { name: 'item', type: 'STRING' }]);
    // Newest first, as the data viewer reads: the three put above.
    assert.deepEqual(orders.sample.map((r: any) => JSON.parse(Buffer.from(r.data, 'base64').toString()).id), [3, 2, 1]);
    assert.deepEqual(detail.body.tables.find((t: any) => t.name === 'counted').role, ['sink']);
    // A start that failed says why, in the errors.
    const failed = detail.body.operations.find((o: any) => o.status === 'FAILED');
    if (failed) assert.equal(detail.body.errors.find((e: any) => e.source === 'StartApplication')?.message, failed.error);
  });

  test('analytics: unknown application, bad scope', async () => {
    assert.deepEqual(await api('analytics/nope'), { status: 404, body: { error: 'NotFound', message: 'Application nope under account 000000000000 not found.' } });
    assert.deepEqual(await api('analytics?region=mars'), {
      status: 400,
      body: { error: 'InvalidParameter', message: 'region must be an AWS region name such as us-east-1, got "mars"' },
    });
  });

  test('video: streams, fragments newest first as ListFragments has them, paging, bad input', async () => {
    const persisted = await putMedia('camera');
    assert.equal(persisted.length, 3);
    const list = await api('video');
    const camera = list.body.streams.find((s: any) => s.name === 'camera');
    assert.equal(camera.fragments.committed, 3);
    assert.equal(camera.fragments.newest.fragmentNumber, persisted[2]);
    assert.equal(camera.mediaType, 'video/h264');
    const { Fragments } = await archived.send(new ListFragmentsCommand({ StreamName: 'camera' }));
    const page = await api('video/camera/fragments?limit=2');
    assert.deepEqual(page.body.fragments.map((f: any) => f.fragmentNumber), [persisted[2], persisted[1]]);
    assert.equal(page.body.fragments[0].size, Fragments!.find((f) => f.FragmentNumber === persisted[2])!.FragmentSizeInBytes);
    const older = await api(`video/camera/fragments?limit=2&before=${page.body.next}`);
    assert.deepEqual(older.body.fragments.map((f: any) => f.fragmentNumber), [persisted[0]]);
    assert.equal(older.body.next, undefined);
    assert.deepEqual(await api('video/camera/fragments?limit=5000'), {
      status: 400,
      body: { error: 'InvalidParameter', message: 'limit must be a whole number between 1 and 1000, got 5000' },
    });
    assert.deepEqual(await api('video/nope'), {
      status: 404,
      body: { error: 'ResourceNotFoundException', message: 'The stream nope does not exist under account 000000000000 in us-east-1.' },
    });
    assert.deepEqual(await api('video/camera/hls?mode=VOD'), {
      status: 400,
      body: { error: 'InvalidParameter', message: 'mode must be one of LIVE, LIVE_REPLAY, ON_DEMAND, got "VOD"' },
    });
  });

  test('video: the player session comes from GetHLSStreamingSessionURL, or says why not', async () => {
    const session = await api('video/camera/hls');
    assert.equal(session.status, 200);
    if (session.body.available) {
      assert.match(session.body.url, /^http:\/\/127\.0\.0\.1:\d+\//);
      assert.equal(session.body.mode, 'LIVE');
    } else {
      // This build serves no HLS: the archived-media API's own answer, passed on.
      if (session.body.error === 'UnknownOperationException') assert.equal(session.body.message, HLS_NOT_SERVED);
      else assert.match(session.body.message, /\S/);
    }
    const empty = await api('video/empty-camera/hls');
    assert.equal(empty.status, 200);
    assert.equal(empty.body.available, false, 'a stream without fragments has no live session');
  });

  test('metrics: Video fragments in Prometheus and AWS/KinesisVideo; the Analytics hook in Prometheus', async () => {
    await kvs.send(new CreateVideoStream({ StreamName: 'metered', DataRetentionInHours: 1 }));
    const persisted = await putMedia('metered');
    const bodyBytes = Buffer.concat(producerStream(MEDIA)).length;
    // A reader of two fragments.
    const read = await archived.send(new GetMediaForFragmentListCommand({ StreamName: 'metered', Fragments: persisted.slice(0, 2) }));
    const readBytes = (await read.Payload!.transformToByteArray()).length;
    assert.ok(readBytes > 0);
    server.analytics.metrics!.report({ account: '000000000000', region: 'us-east-1', name: 'counter' }, { rowsIn: 40, rowsOut: 4 }, 1_700_000_000_000);
    // A restarted job reports from zero again: the counter keeps what the first run counted.
    server.analytics.metrics!.report({ account: '000000000000', region: 'us-east-1', name: 'counter' }, { rowsIn: 5, rowsOut: 1 });

    const text = await (await fetch(`${server.endpoint}/_millrace/metrics`)).text();
    const value = (name: string, labels: string) => {
      const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
      return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
    };
    const stream = 'account="000000000000",region="us-east-1",stream="metered"';
    assert.equal(value('millrace_video_put_media_requests_total', stream), 1);
    assert.equal(value('millrace_video_incoming_fragments_total', stream), 3);
    assert.equal(value('millrace_video_incoming_bytes_total', stream), bodyBytes);
    assert.equal(value('millrace_video_media_requests_total', `${stream},api="GetMediaForFragmentList"`), 1);
    assert.equal(value('millrace_video_outgoing_fragments_total', `${stream},api="GetMediaForFragmentList"`), 2);
    const app = 'account="000000000000",region="us-east-1",application="counter"';
    assert.equal(value('millrace_analytics_rows_in_total', app), 45);
    assert.equal(value('millrace_analytics_rows_out_total', app), 5);
    assert.equal(value('millrace_analytics_watermark_seconds', app), 1_700_000_000);

    const now = Date.now();
    const data = await cloudwatch.send(
      new GetMetricDataCommand({
        StartTime: new Date(now - 600_000),
        EndTime: new Date(now + 60_000),
        MetricDataQueries: [
          ['fragments', 'PutMedia.IncomingFragments'],
          ['bytes', 'PutMedia.IncomingBytes'],
          ['out', 'GetMediaForFragmentList.OutgoingFragments'],
        ].map(([Id, MetricName]) => ({
          Id,
          MetricStat: { Metric: { Namespace: 'AWS/KinesisVideo', MetricName, Dimensions: [{ Name: 'StreamName', Value: 'metered' }] }, Period: 60, Stat: 'Sum' },
        })),
      }),
    );
    const sum = (id: string) => data.MetricDataResults!.find((r) => r.Id === id)!.Values!.reduce((a, b) => a + b, 0);
    assert.equal(sum('fragments'), 3);
    assert.equal(sum('bytes'), bodyBytes);
    assert.equal(sum('out'), 2);
  });
});

describe('console pages for Analytics and Video in a browser', { skip: haveChromium ? false : `no ${CHROMIUM}` }, () => {
  let page: Page;
  const errors: string[] = [];

  before(async () => {
    const context = await browser!.newContext({ viewport: { width: 1360, height: 900 } });
    page = await context.newPage();
    page.on('console', (message) => {
      // The player's session request may be answered 200 with "unavailable"; nothing else may fail.
      if (message.type() === 'error') errors.push(message.text());
    });
    page.on('pageerror', (err) => errors.push(err.message));
  });

  const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });

  test('the Analytics pages show the application, its state, operations, tables with sample rows', async () => {
    const settled = await startSettled();
    await page.goto(`${consoleUrl}#/analytics`);
    await page.locator('tr[data-application="counter"]').waitFor();
    await page.locator('tr[data-application="counter"] a').click();
    await page.locator('.card[data-table="orders"]').waitFor();
    const { ApplicationDetail } = await kda.send(new DescribeApplicationCommand({ ApplicationName: 'counter' }));
    assert.equal(await page.locator('h1 .badge').textContent(), ApplicationDetail!.ApplicationStatus);
    const sample = page.getByRole('table', { name: 'sample rows of orders' });
    await sample.locator('tr[data-seq]').nth(2).waitFor();
    assert.match((await sample.locator('tr[data-seq]').first().textContent())!, /"item":"tea-3"/);
    const operations = page.getByRole('table', { name: 'operations' });
    assert.match((await operations.locator('tr[data-operation]').first().textContent())!, new RegExp(`^StartApplication${settled.status}`));
    if (settled.status === 'FAILED') await page.getByRole('table', { name: 'errors' }).getByText('StartApplication').waitFor();
    await page.locator('.card[data-table="orders"] a', { hasText: 'app-in' }).click();
    await page.locator('tr[data-seq]').first().waitFor();
    assert.match(page.url(), /#\/streams\/app-in\/data/);
    await page.goto(`${consoleUrl}#/analytics/counter`);
    await page.locator('.card[data-table="orders"]').waitFor();
    await shot('analytics');
  });

  test('the Video pages show the streams and their fragments', async () => {
    const { Fragments } = await archived.send(new ListFragmentsCommand({ StreamName: 'camera' }));
    await page.goto(`${consoleUrl}#/video`);
    await page.locator('tr[data-video-stream="camera"]').waitFor();
    assert.equal(await page.locator('tr[data-video-stream="camera"] td.num').nth(1).textContent(), String(Fragments!.length));
    await page.locator('tr[data-video-stream="camera"] a', { hasText: 'camera' }).click();
    await page.locator('tr[data-fragment]').nth(Fragments!.length - 1).waitFor();
    const shown = await page.locator('tr[data-fragment] td.mono').allTextContents();
    assert.deepEqual(shown, Fragments!.map((f) => f.FragmentNumber!).sort().reverse());
    await shot('video-fragments');
  });

  test('the live player asks for an HLS session and plays it, or says clearly why it cannot', async () => {
    const expected = await api('video/camera/hls');
    await page.goto(`${consoleUrl}#/video/camera/player`);
    await page.locator('#player-state').waitFor();
    const state = await page.locator('#player-state').getAttribute('data-state');
    if (expected.body.available) {
      assert.equal(state, 'ready');
      const url = new URL(expected.body.url);
      await page.getByText(`${url.pathname}${url.search}`, { exact: false }).first().waitFor();
    } else {
      assert.equal(state, 'unavailable');
      assert.match((await page.locator('#player-state').textContent())!, /^No live playback for this stream yet\. GetHLSStreamingSessionURL answered /);
      await page.getByText(expected.body.error).first().waitFor();
    }
    await shot('video-player');
    await page.goto(`${consoleUrl}#/video/empty-camera/player`);
    await page.locator('#player-state[data-state="unavailable"]').waitFor();
  });

  test('no console errors on these pages', () => {
    assert.deepEqual(errors, []);
  });
});
