import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { spawn, spawnSync, execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateStreamCommand, DeleteStreamCommand, DescribeStreamCommand, GetDataEndpointCommand, KinesisVideoClient } from '@aws-sdk/client-kinesis-video';
import { GetMediaCommand, KinesisVideoMediaClient } from '@aws-sdk/client-kinesis-video-media';
import { GetMediaForFragmentListCommand, KinesisVideoArchivedMediaClient, ListFragmentsCommand } from '@aws-sdk/client-kinesis-video-archived-media';
import { available, startTestServer, type TestServer } from './helpers.js';
import { decodeEbml, ffmpegMkv, producerStream, readMedia, testVideo, ebmlHeader, segmentStart, info, tracksElement, cluster, END_OF_FRAGMENT, type Media } from './video-producer.js';

/**
 * PutMedia → fragments → GetMedia / ListFragments / GetMediaForFragmentList end to end (issue 16
 * §2–§5): curl --aws-sigv4 and a producer-SDK-like TypeScript producer put real H.264 from ffmpeg;
 * acks are checked in order and content; GetMedia output is checked for its element layout with
 * the `ebml` package and read back by ffprobe with the same packet count as the input.
 */

const HAS_FFMPEG = spawnSync('ffmpeg', ['-version']).status === 0;
const needsFfmpeg = { skip: HAS_FFMPEG ? false : 'ffmpeg is not installed (.ci/run installs it)' };
let server: TestServer;
let endpoint: string;
let kvs: KinesisVideoClient;
let mediaClient: KinesisVideoMediaClient;
let archived: KinesisVideoArchivedMediaClient;
const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };
const tmp = mkdtempSync(join(tmpdir(), 'millrace-video-'));

let video: Buffer;
let media: Media;

before(async () => {
  server = await startTestServer();
  kvs = new KinesisVideoClient({ endpoint: server.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
  await kvs.send(new CreateStreamCommand({ StreamName: 'cam', DataRetentionInHours: 24 }));
  const { DataEndpoint } = await kvs.send(new GetDataEndpointCommand({ StreamName: 'cam', APIName: 'PUT_MEDIA' }));
  endpoint = DataEndpoint!;
  mediaClient = new KinesisVideoMediaClient({ endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
  archived = new KinesisVideoArchivedMediaClient({ endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
  if (!HAS_FFMPEG) return;
  video = testVideo(6, 25);
  media = await readMedia(video);
});

after(async () => {
  kvs.destroy();
  mediaClient.destroy();
  archived.destroy();
  await server.stop();
  rmSync(tmp, { recursive: true, force: true });
});

interface AckLine {
  EventType: string;
  FragmentTimecode?: number;
  FragmentNumber?: string;
  ErrorId?: number;
  ErrorCode?: string;
}

/** PutMedia through `curl --aws-sigv4`, as VIDEO-SPEC §6 shows it. */
function curlPutMedia(stream: string, body: Buffer, extra: string[] = []): Promise<{ acks: AckLine[]; raw: string; code: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn('curl', [
      '-sN', '-X', 'POST', '--aws-sigv4', 'aws:amz:us-east-1:kinesisvideo', '-u', `${credentials.accessKeyId}:${credentials.secretAccessKey}`,
      '-H', `x-amzn-stream-name: ${stream}`, '-H', 'x-amzn-fragment-timecode-type: RELATIVE',
      '-H', `x-amzn-producer-start-timestamp: ${(Date.now() / 1000).toFixed(3)}`, ...extra, '-T', '-', `${endpoint}/putMedia`,
    ]);
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ raw: out, acks: out.split('\n').filter(Boolean).map((l) => JSON.parse(l)), code: code ?? -1 }));
    child.stdin.on('error', () => undefined);
    child.stdin.end(body);
  });
}

const signedHeaders = () => ({
  authorization: `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/20240101/us-east-1/kinesisvideo/aws4_request, SignedHeaders=host, Signature=abc`,
  'x-amz-date': '20240101T000000Z',
});

/**
 * The TypeScript producer over HTTP/1.1 chunked: writes `pieces` one by one, waiting `gapMs`
 * between them, and records each ack with how many pieces had been written when it arrived.
 */
function producerPutMedia(stream: string, pieces: Buffer[], options: { gapMs?: number; timecodeType?: string; startSeconds?: number } = {}) {
  return new Promise<{ status: number; acks: Array<AckLine & { afterPieces: number }>; body: string }>((resolve, reject) => {
    const url = new URL(`${endpoint}/putMedia`);
    let written = 0;
    const acks: Array<AckLine & { afterPieces: number }> = [];
    const req = http.request({
      host: url.hostname, port: url.port, path: url.pathname, method: 'POST',
      headers: {
        ...signedHeaders(), 'x-amzn-stream-name': stream, 'x-amzn-fragment-timecode-type': options.timecodeType ?? 'RELATIVE',
        'x-amzn-producer-start-timestamp': (options.startSeconds ?? Date.now() / 1000).toFixed(3), 'x-amzn-fragment-acknowledgment-required': '1',
        'transfer-encoding': 'chunked', 'user-agent': 'AWS-SDK-KVS/3.4.1 millrace-test-producer',
      },
    }, (res) => {
      let body = '';
      let pending = '';
      res.on('data', (d: Buffer) => {
        body += d;
        pending += d;
        let nl: number;
        while ((nl = pending.indexOf('\n')) !== -1) {
          const line = pending.slice(0, nl);
          pending = pending.slice(nl + 1);
          if (line) acks.push({ ...JSON.parse(line), afterPieces: written });
        }
      });
      res.on('end', () => resolve({ status: res.statusCode!, acks, body }));
      res.on('error', reject);
    });
    // After an ERROR ack the server closes the connection while the producer may still be writing.
    req.on('error', (error) => setTimeout(() => reject(error), 200));
    void (async () => {
      for (const piece of pieces) {
        if (req.destroyed) return;
        req.write(piece);
        written++;
        await new Promise((r) => setTimeout(r, options.gapMs ?? 30));
      }
      req.end();
    })();
  });
}

/** The GetMedia payload read to its end (the response ends after GET_MEDIA_IDLE_END_MS without new fragments). */
async function readPayload(payload: unknown): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of payload as AsyncIterable<Uint8Array>) parts.push(Buffer.from(chunk));
  return Buffer.concat(parts);
}

/** Per fragment in a GetMedia output: the Segment-level element names in order, the tags, the block count. */
const SEGMENT_LEVEL = new Set(['Segment', 'SeekHead', 'Info', 'Tracks', 'Tags', 'Cluster', 'Cues']);
async function layout(output: Buffer) {
  const chunks: Array<{ elements: string[]; tags: Record<string, string>; blocks: number }> = [];
  let current: { elements: string[]; tags: Record<string, string>; blocks: number } | undefined;
  let tagName = '';
  // By name, not depth: the ebml package closes an unknown-size Segment early.
  for (const [kind, tag] of await decodeEbml(output)) {
    if (kind === 'start' && tag.name === 'EBML') chunks.push((current = { elements: [], tags: {}, blocks: 0 }));
    if (kind === 'start' && SEGMENT_LEVEL.has(tag.name) && current) current.elements.push(tag.name);
    if (kind === 'tag' && tag.name === 'TagName') tagName = String(tag.value);
    if (kind === 'tag' && tag.name === 'TagString' && current) current.tags[tagName] = String(tag.value);
    if (kind === 'tag' && tag.name === 'SimpleBlock' && current) current.blocks++;
  }
  return chunks;
}

/** Every packet's timestamp (seconds, as ffprobe prints it) in file order. */
function ffprobeTimestamps(file: string): string[] {
  return execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'packet=pts_time', '-of', 'csv=p=0', file]).toString().trim().split('\n');
}

function ffprobePackets(file: string): number {
  return Number(execFileSync('ffprobe', ['-v', 'error', '-count_packets', '-show_entries', 'stream=nb_read_packets', '-of', 'csv=p=0', file]).toString().trim());
}

let curlAcks: AckLine[] = [];

test('PutMedia through curl --aws-sigv4: BUFFERING, RECEIVED, PERSISTED per fragment, echoing the Cluster timecode', needsFfmpeg, async () => {
  const { acks, code } = await curlPutMedia('cam', video);
  assert.equal(code, 0);
  curlAcks = acks;
  const fragments = [...new Set(acks.map((a) => a.FragmentNumber))];
  assert.equal(fragments.length, 6);
  for (const [n, fn] of fragments.entries()) {
    assert.match(fn!, /^[0-9]{47}$/);
    const own = acks.filter((a) => a.FragmentNumber === fn);
    assert.deepEqual(own.map((a) => a.EventType), ['BUFFERING', 'RECEIVED', 'PERSISTED']);
    assert.ok(own.every((a) => a.FragmentTimecode === n * 1000));
  }
  // BUFFERING of a fragment comes after RECEIVED of the one before it.
  const order = acks.filter((a) => a.EventType !== 'PERSISTED').map((a) => `${a.EventType[0]}${a.FragmentTimecode}`);
  assert.deepEqual(order, ['B0', 'R0', 'B1000', 'R1000', 'B2000', 'R2000', 'B3000', 'R3000', 'B4000', 'R4000', 'B5000', 'R5000']);
  assert.deepEqual(fragments, [...fragments].sort(), 'fragment numbers grow');
});

test('ListFragments: every fragment with sizes, timestamps and lengths; paging with NextToken', needsFfmpeg, async () => {
  const all = await archived.send(new ListFragmentsCommand({ StreamName: 'cam' }));
  assert.equal(all.Fragments!.length, 6);
  assert.deepEqual(all.Fragments!.map((f) => f.FragmentNumber), [...new Set(curlAcks.map((a) => a.FragmentNumber))]);
  assert.ok(all.Fragments!.every((f) => f.FragmentLengthInMilliseconds === 960 && f.FragmentSizeInBytes! > 0));
  const producer = all.Fragments!.map((f) => f.ProducerTimestamp!.getTime());
  assert.deepEqual(producer.map((t) => t - producer[0]), [0, 1000, 2000, 3000, 4000, 5000]);
  assert.equal(all.NextToken, undefined);
  const first = await archived.send(new ListFragmentsCommand({ StreamName: 'cam', MaxResults: 4 }));
  assert.equal(first.Fragments!.length, 4);
  const second = await archived.send(new ListFragmentsCommand({ StreamName: 'cam', MaxResults: 4, NextToken: first.NextToken }));
  assert.deepEqual([...first.Fragments!, ...second.Fragments!].map((f) => f.FragmentNumber), all.Fragments!.map((f) => f.FragmentNumber));
  assert.equal(second.NextToken, undefined);
  // Timestamp ranges select by fragment start, both ends inclusive.
  const byProducer = await archived.send(new ListFragmentsCommand({
    StreamName: 'cam',
    FragmentSelector: { FragmentSelectorType: 'PRODUCER_TIMESTAMP', TimestampRange: { StartTimestamp: new Date(producer[1]), EndTimestamp: new Date(producer[3]) } },
  }));
  assert.deepEqual(byProducer.Fragments!.map((f) => f.FragmentNumber), all.Fragments!.slice(1, 4).map((f) => f.FragmentNumber));
  // Paged by producer time (the producer-time index): a token only while more fragments in range follow.
  const producerPage = (NextToken?: string) => archived.send(new ListFragmentsCommand({
    StreamName: 'cam', MaxResults: 2, NextToken,
    FragmentSelector: { FragmentSelectorType: 'PRODUCER_TIMESTAMP', TimestampRange: { StartTimestamp: new Date(producer[1]), EndTimestamp: new Date(producer[4]) } },
  }));
  const firstByProducer = await producerPage();
  assert.ok(firstByProducer.NextToken);
  const secondByProducer = await producerPage(firstByProducer.NextToken);
  assert.equal(secondByProducer.NextToken, undefined);
  assert.deepEqual([...firstByProducer.Fragments!, ...secondByProducer.Fragments!].map((f) => f.FragmentNumber), all.Fragments!.slice(1, 5).map((f) => f.FragmentNumber));
  const server = all.Fragments!.map((f) => f.ServerTimestamp!.getTime());
  const byServer = await archived.send(new ListFragmentsCommand({
    StreamName: 'cam',
    FragmentSelector: { FragmentSelectorType: 'SERVER_TIMESTAMP', TimestampRange: { StartTimestamp: new Date(server[2]), EndTimestamp: new Date(server[5]) } },
  }));
  assert.deepEqual(byServer.Fragments!.map((f) => f.FragmentNumber), all.Fragments!.filter((f, n) => server[n] >= server[2] && server[n] <= server[5]).map((f) => f.FragmentNumber));
  const bad = await archived.send(new ListFragmentsCommand({ StreamName: 'cam', NextToken: 'bm9wZQ==' })).catch((e) => e);
  assert.equal(bad.name, 'InvalidArgumentException');
  assert.equal(bad.message, 'The NextToken is not valid.');
});

test('GetMedia EARLIEST: AWS layout per fragment, and ffprobe reads as many packets as were put', needsFfmpeg, async () => {
  const out = await mediaClient.send(new GetMediaCommand({ StreamName: 'cam', StartSelector: { StartSelectorType: 'EARLIEST' } }));
  assert.equal(out.ContentType, 'video/webm');
  const bytes = await readPayload(out.Payload);
  const chunks = await layout(bytes);
  assert.equal(chunks.length, 6);
  const numbers = [...new Set(curlAcks.map((a) => a.FragmentNumber))];
  for (const [n, chunk] of chunks.entries()) {
    assert.deepEqual(chunk.elements, ['Segment', 'SeekHead', 'Info', 'Tracks', 'Tags', 'Tags', 'Cluster', 'Tags']);
    assert.equal(chunk.tags.AWS_KINESISVIDEO_FRAGMENT_NUMBER, numbers[n]);
    assert.equal(chunk.tags.AWS_KINESISVIDEO_CONTINUATION_TOKEN, numbers[n]);
    assert.match(chunk.tags.AWS_KINESISVIDEO_SERVER_TIMESTAMP, /^[0-9]{10}\.[0-9]{3}$/);
    assert.match(chunk.tags.AWS_KINESISVIDEO_PRODUCER_TIMESTAMP, /^[0-9]{10}\.[0-9]{3}$/);
    assert.match(chunk.tags.AWS_KINESISVIDEO_MILLIS_BEHIND_NOW, /^[0-9]+$/);
    assert.equal(chunk.blocks, 25);
  }
  const file = join(tmp, 'earliest.mkv');
  writeFileSync(file, bytes);
  assert.equal(ffprobePackets(file), media.frames.length);
  // The same timestamps as the input (RELATIVE: the Cluster timecodes come back as they were put).
  const input = join(tmp, 'input.mkv');
  writeFileSync(input, video);
  const timestamps = ffprobeTimestamps(file);
  assert.equal(timestamps.length, media.frames.length);
  assert.deepEqual(timestamps, ffprobeTimestamps(input));
});

test('GetMedia selectors: FRAGMENT_NUMBER, CONTINUATION_TOKEN, SERVER_TIMESTAMP, PRODUCER_TIMESTAMP', needsFfmpeg, async () => {
  // A producer paced so that fragments arrive apart in server time.
  await kvs.send(new CreateStreamCommand({ StreamName: 'paced', DataRetentionInHours: 1 }));
  const put = await producerPutMedia('paced', producerStream(media), { gapMs: 120 });
  assert.equal(put.acks.filter((a) => a.EventType === 'PERSISTED').length, 6);
  const { Fragments } = await archived.send(new ListFragmentsCommand({ StreamName: 'paced' }));
  const numbers = Fragments!.map((f) => f.FragmentNumber!);
  const server = Fragments!.map((f) => f.ServerTimestamp!.getTime());
  assert.ok(server.every((t, n) => n === 0 || t > server[n - 1]), 'server timestamps apart');
  const from = async (selector: Record<string, unknown>) => {
    const out = await mediaClient.send(new GetMediaCommand({ StreamName: 'paced', StartSelector: selector as never }));
    return (await layout(await readPayload(out.Payload))).map((c) => c.tags.AWS_KINESISVIDEO_FRAGMENT_NUMBER);
  };
  const producer = Fragments![1].ProducerTimestamp!.getTime();
  const [earliest, byNumber, byToken, byServer, byServerWithin, byProducer, byProducerGap] = await Promise.all([
    from({ StartSelectorType: 'EARLIEST' }),
    from({ StartSelectorType: 'FRAGMENT_NUMBER', AfterFragmentNumber: numbers[2] }),
    from({ StartSelectorType: 'CONTINUATION_TOKEN', ContinuationToken: numbers[2] }),
    from({ StartSelectorType: 'SERVER_TIMESTAMP', StartTimestamp: new Date(server[4]) }),
    from({ StartSelectorType: 'SERVER_TIMESTAMP', StartTimestamp: new Date(server[3] + 1) }),
    from({ StartSelectorType: 'PRODUCER_TIMESTAMP', StartTimestamp: new Date(producer + 500) }),
    from({ StartSelectorType: 'PRODUCER_TIMESTAMP', StartTimestamp: new Date(producer + 980) }),
  ]);
  assert.deepEqual(earliest, numbers);
  assert.deepEqual(byNumber, numbers.slice(2), 'FRAGMENT_NUMBER starts with the fragment named');
  assert.deepEqual(byToken, numbers.slice(3), 'CONTINUATION_TOKEN resumes after the fragment named');
  assert.deepEqual(byServer, numbers.slice(4));
  assert.deepEqual(byServerWithin, numbers.slice(3), 'the fragment being received at that time');
  assert.deepEqual(byProducer, numbers.slice(1), 'the fragment containing the timestamp');
  assert.deepEqual(byProducerGap, numbers.slice(2), 'between fragments: the next one');
  const missing = await mediaClient.send(new GetMediaCommand({ StreamName: 'paced', StartSelector: { StartSelectorType: 'FRAGMENT_NUMBER' } })).catch((e) => e);
  assert.equal(missing.name, 'InvalidArgumentException');
  assert.equal(missing.message, 'AfterFragmentNumber is required for StartSelectorType FRAGMENT_NUMBER.');
});

test('GetMedia NOW: a live reader receives fragments put after it started, from the TypeScript producer with metadata tags', needsFfmpeg, async () => {
  await kvs.send(new CreateStreamCommand({ StreamName: 'live', DataRetentionInHours: 1 }));
  const out = await mediaClient.send(new GetMediaCommand({ StreamName: 'live', StartSelector: { StartSelectorType: 'NOW' } }));
  const reading = readPayload(out.Payload);
  const pieces = producerStream(media, { metadata: (n) => [['camera', `front-${n}`]] });
  const put = await producerPutMedia('live', pieces, { gapMs: 50 });
  assert.equal(put.status, 200);
  const persisted = put.acks.filter((a) => a.EventType === 'PERSISTED');
  assert.equal(persisted.length, 6);
  // Acks arrive while the request streams: the first fragment is acknowledged before the last piece is written.
  assert.ok(put.acks.find((a) => a.EventType === 'RECEIVED')!.afterPieces < pieces.length);
  const bytes = await reading;
  assert.ok(bytes.length > 0, 'the live reader got media');
  const chunks = await layout(bytes);
  assert.deepEqual(chunks.map((c) => c.tags.AWS_KINESISVIDEO_FRAGMENT_NUMBER), persisted.map((a) => a.FragmentNumber));
  // Unknown-size Clusters come back with their size; the producer's metadata Tags follow the Cluster.
  assert.deepEqual(chunks[0].elements, ['Segment', 'Info', 'Tracks', 'Tags', 'Cluster', 'Tags', 'Tags']);
  assert.deepEqual(chunks.map((c) => c.tags.camera), ['front-0', 'front-1', 'front-2', 'front-3', 'front-4', 'front-5']);
  const file = join(tmp, 'live.mkv');
  writeFileSync(file, bytes);
  assert.equal(ffprobePackets(file), media.frames.length);
});

test('GetMediaForFragmentList: the fragments named, in the order given; a missing one gets the failure tags', needsFfmpeg, async () => {
  const { Fragments } = await archived.send(new ListFragmentsCommand({ StreamName: 'cam' }));
  const numbers = Fragments!.map((f) => f.FragmentNumber!);
  const absent = `${numbers[0].slice(0, 40)}0000000`;
  const out = await archived.send(new GetMediaForFragmentListCommand({ StreamName: 'cam', Fragments: [numbers[3], numbers[1], absent] }));
  const bytes = await readPayload(out.Payload);
  const chunks = await layout(bytes);
  assert.equal(chunks.length, 2);
  assert.deepEqual(chunks[0].elements, ['Segment', 'SeekHead', 'Info', 'Tracks', 'Tags', 'Tags', 'Cluster']);
  assert.equal(chunks[0].tags.AWS_KINESISVIDEO_FRAGMENT_NUMBER, numbers[3]);
  assert.equal(chunks[0].tags.AWS_KINESISVIDEO_MILLIS_BEHIND_NOW, undefined);
  // The second fragment, then the failure Tags of the missing one.
  const names = (await decodeEbml(bytes)).filter(([kind, tag]) => kind === 'tag' && tag.name === 'TagString').map(([, tag]) => String(tag.value));
  assert.deepEqual(names.slice(-3), [absent, 'ResourceNotFoundException', 'The requested fragment is not found.']);
  assert.ok(names.includes(numbers[1]));
});

test('bad input: not MKV, timecodes going backwards, a fourth track, a track not declared — exact ERROR acks', needsFfmpeg, async () => {
  await kvs.send(new CreateStreamCommand({ StreamName: 'bad', DataRetentionInHours: 1 }));
  const notMkv = await curlPutMedia('bad', Buffer.from('GIF89a this is not matroska'));
  assert.equal(notMkv.raw, '{"EventType":"ERROR","ErrorCode":"INVALID_MKV_DATA","ErrorId":4006}\n');

  const header = Buffer.concat([ebmlHeader(), segmentStart(), info(), tracksElement(media.tracks)]);
  const backwards = await producerPutMedia('bad', [header, cluster(5000, media.frames.slice(0, 25).map((f) => ({ ...f, ms: f.ms + 5000 }))), END_OF_FRAGMENT, cluster(4000, media.frames.slice(25, 50).map((f) => ({ ...f, ms: f.ms + 3000 }))), END_OF_FRAGMENT]);
  assert.equal(backwards.status, 200, backwards.body);
  const events = backwards.acks.map(({ afterPieces, ...ack }) => ack);
  assert.deepEqual(events.map((a) => a.EventType), ['BUFFERING', 'RECEIVED', 'PERSISTED', 'ERROR']);
  assert.deepEqual(events[3], { EventType: 'ERROR', FragmentTimecode: 4000, FragmentNumber: events[3].FragmentNumber, ErrorCode: 'FRAGMENT_TIMECODE_LESSER_THAN_PREVIOUS', ErrorId: 4004 });
  assert.match(events[3].FragmentNumber!, /^[0-9]{47}$/);

  const fourTracks = await producerPutMedia('bad', [Buffer.concat([ebmlHeader(), segmentStart(), info(), tracksElement([1, 2, 3, 4].map((number) => ({ ...media.tracks[0], number })))])]);
  assert.equal(fourTracks.body, '{"EventType":"ERROR","ErrorCode":"MORE_THAN_ALLOWED_TRACKS_FOUND","ErrorId":4012}\n');

  const mismatch = await producerPutMedia('bad', [header, cluster(9000, media.frames.slice(0, 25).map((f) => ({ ...f, ms: f.ms + 9000 })), () => 7)]);
  assert.deepEqual(mismatch.acks.map((a) => [a.EventType, a.ErrorId, a.ErrorCode]), [['BUFFERING', undefined, undefined], ['ERROR', 4010, 'TRACK_NUMBER_MISMATCH']]);

  // Only the one good fragment was kept.
  const { Fragments } = await archived.send(new ListFragmentsCommand({ StreamName: 'bad' }));
  assert.equal(Fragments!.length, 1);
});

test('request-level errors: unknown stream, missing stream header, a second concurrent PutMedia', needsFfmpeg, async () => {
  const unknown = await fetch(`${endpoint}/putMedia`, { method: 'POST', headers: { ...signedHeaders(), 'x-amzn-stream-name': 'nope' }, body: 'x' });
  assert.equal(unknown.status, 404);
  assert.match(unknown.headers.get('x-amzn-errortype')!, /^ResourceNotFoundException/);
  assert.deepEqual(await unknown.json(), { Message: 'The requested stream is not found or not active.' });
  const noStream = await fetch(`${endpoint}/putMedia`, { method: 'POST', headers: signedHeaders(), body: 'x' });
  assert.equal(noStream.status, 400);
  assert.deepEqual(await noStream.json(), { Message: 'Either x-amzn-stream-name or x-amzn-stream-arn must be specified.' });

  await kvs.send(new CreateStreamCommand({ StreamName: 'one', DataRetentionInHours: 1 }));
  const pieces = producerStream(media);
  const first = producerPutMedia('one', pieces, { gapMs: 150 });
  await new Promise((r) => setTimeout(r, 200));
  const second = await fetch(`${endpoint}/putMedia`, { method: 'POST', headers: { ...signedHeaders(), 'x-amzn-stream-name': 'one', 'x-amzn-fragment-timecode-type': 'RELATIVE' }, body: new Uint8Array(pieces[0]) });
  assert.equal(second.status, 400);
  assert.match(second.headers.get('x-amzn-errortype')!, /^ConnectionLimitExceededException/);
  assert.deepEqual(await second.json(), { Message: 'A PutMedia connection to this stream is already open; only one is allowed at a time.' });
  assert.equal((await first).acks.filter((a) => a.EventType === 'PERSISTED').length, 6);
  // Once the first has ended, the stream takes a new connection.
  const third = await producerPutMedia('one', producerStream(media, { timecodeBase: 60_000 }), { gapMs: 0 });
  assert.equal(third.acks.filter((a) => a.EventType === 'PERSISTED').length, 6);
});

test('DeleteStream drops the fragments; an incarnation of the same name starts empty', needsFfmpeg, async () => {
  await kvs.send(new CreateStreamCommand({ StreamName: 'gone', DataRetentionInHours: 1 }));
  const put = await producerPutMedia('gone', producerStream(media), { gapMs: 0 });
  assert.equal(put.acks.filter((a) => a.EventType === 'PERSISTED').length, 6);
  const { StreamInfo } = await kvs.send(new DescribeStreamCommand({ StreamName: 'gone' }));
  await kvs.send(new DeleteStreamCommand({ StreamARN: StreamInfo!.StreamARN }));
  for (let i = 0; i < 50; i++) {
    const described = await kvs.send(new DescribeStreamCommand({ StreamName: 'gone' })).catch((e) => e);
    if (described.name === 'ResourceNotFoundException') break;
    await new Promise((r) => setTimeout(r, 50));
  }
  await kvs.send(new CreateStreamCommand({ StreamName: 'gone', DataRetentionInHours: 1 }));
  const { Fragments } = await archived.send(new ListFragmentsCommand({ StreamName: 'gone' }));
  assert.equal(Fragments!.length, 0);
});

test('ffmpeg with audio: the last audio-only Cluster is refused as AWS refuses it (4011)', needsFfmpeg, async () => {
  await kvs.send(new CreateStreamCommand({ StreamName: 'av', DataRetentionInHours: 1 }));
  const av = ffmpegMkv(['-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100', '-t', '3',
    '-c:v', 'libx264', '-profile:v', 'baseline', '-pix_fmt', 'yuv420p', '-g', '25', '-keyint_min', '25', '-sc_threshold', '0', '-bf', '0', '-c:a', 'aac', '-b:a', '64k']);
  const { acks } = await curlPutMedia('av', av);
  const persisted = acks.filter((a) => a.EventType === 'PERSISTED');
  assert.ok(persisted.length >= 2);
  const last = acks.at(-1)!;
  if (last.EventType === 'ERROR') assert.deepEqual([last.ErrorId, last.ErrorCode], [4011, 'FRAMES_MISSING_FOR_TRACK']);
});

test('the AWS CLI as the issue uses it: get-media into out.mkv (played back by ffprobe), list-fragments', needsFfmpeg, async (t) => {
  if (!(await available('aws', ['--version']))) return t.skip('`aws --version` does not run here');
  const env = {
    PATH: process.env.PATH, HOME: process.env.HOME, AWS_ACCESS_KEY_ID: credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    AWS_DEFAULT_REGION: 'us-east-1', AWS_DEFAULT_OUTPUT: 'json', AWS_CONFIG_FILE: '/nonexistent/millrace-config',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/millrace-credentials', AWS_EC2_METADATA_DISABLED: 'true', AWS_PAGER: '',
  };
  const aws = (...args: string[]) => new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile('aws', ['--endpoint-url', endpoint, ...args], { env, timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }));
  });
  const out = join(tmp, 'cli-out.mkv');
  // The response ends GET_MEDIA_IDLE_END_MS after the last fragment; the CLI writes the payload to the file.
  const got = await aws('kinesis-video-media', 'get-media', '--stream-name', 'cam', '--start-selector', 'StartSelectorType=EARLIEST', out);
  assert.equal(got.code, 0, got.stderr);
  assert.equal(JSON.parse(got.stdout).ContentType, 'video/webm');
  assert.equal(ffprobePackets(out), media.frames.length);
  const listedByCli = await aws('kinesis-video-archived-media', 'list-fragments', '--stream-name', 'cam');
  assert.equal(listedByCli.code, 0, listedByCli.stderr);
  const fragments = JSON.parse(listedByCli.stdout).Fragments as Array<{ FragmentNumber: string }>;
  assert.deepEqual(fragments.map((f) => f.FragmentNumber), [...new Set(curlAcks.map((a) => a.FragmentNumber))]);
  const missing = await aws('kinesis-video-media', 'get-media', '--stream-name', 'nope', '--start-selector', 'StartSelectorType=NOW', join(tmp, 'none.mkv'));
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /ResourceNotFoundException.*The requested stream is not found or not active\./);
});
