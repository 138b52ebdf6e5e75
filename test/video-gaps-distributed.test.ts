import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { CreateStreamCommand, DeleteStreamCommand, DescribeStreamCommand, KinesisVideoClient } from '@aws-sdk/client-kinesis-video';
import { GetMediaCommand, KinesisVideoMediaClient } from '@aws-sdk/client-kinesis-video-media';
import { KinesisVideoArchivedMediaClient, ListFragmentsCommand } from '@aws-sdk/client-kinesis-video-archived-media';
import { startMillrace, type Millrace } from '../src/server.js';
import { streamLogs } from '../src/video/media/fragment-store.js';
import { NatsCluster, natsServerMissing } from './nats-cluster.js';
import { fragmentsIn, pieces, putMediaHttp1, putMediaHeaders, readFragments, syntheticMedia } from './video-gaps-helpers.js';

/**
 * Kinesis Video media in distributed mode (issue 16 Deliver 3 and 7): two Millrace nodes over a
 * 3-node JetStream cluster. PutMedia through one node, GetMedia (live and from the start) and
 * ListFragments through the other; the one-connection rule across nodes; a stream deleted through
 * one node ends the upload on the other with STREAM_NOT_ACTIVE and drops its media from the store.
 */

const skip = natsServerMissing();
const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };
let cluster: NatsCluster;
const nodes: Millrace[] = [];
const controls: KinesisVideoClient[] = [];
const medias: KinesisVideoMediaClient[] = [];
const archiveds: KinesisVideoArchivedMediaClient[] = [];

before(async () => {
  if (skip) return;
  cluster = await NatsCluster.start(3);
  for (let i = 0; i < 2; i++) {
    const node = await startMillrace({ port: 0, host: '127.0.0.1', store: cluster.url, replicas: 3, logLevel: 'silent' });
    nodes.push(node);
    const config = { endpoint: node.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 };
    controls.push(new KinesisVideoClient(config));
    medias.push(new KinesisVideoMediaClient(config));
    archiveds.push(new KinesisVideoArchivedMediaClient(config));
  }
});

after(async () => {
  for (const client of [...controls, ...medias, ...archiveds]) client.destroy();
  for (const node of nodes) await node.close().catch(() => undefined);
  await cluster?.stop();
});

async function createActive(name: string): Promise<string> {
  await controls[0].send(new CreateStreamCommand({ StreamName: name, DataRetentionInHours: 1 }));
  for (;;) {
    const { StreamInfo } = await controls[1].send(new DescribeStreamCommand({ StreamName: name }));
    if (StreamInfo!.Status === 'ACTIVE') return StreamInfo!.StreamARN!;
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('PutMedia through node A; a live GetMedia on node B receives each fragment; GetMedia EARLIEST and ListFragments on B', { skip, timeout: 120_000 }, async () => {
  await createActive('cam-nats');
  const media = syntheticMedia(4);
  // The live reader starts first (NOW = the next fragment), on the other node.
  const live = await medias[1].send(new GetMediaCommand({ StreamName: 'cam-nats', StartSelector: { StartSelectorType: 'NOW' } }));
  const liveRead = readFragments(live.Payload as AsyncIterable<Uint8Array>, 4);
  const put = await putMediaHttp1(nodes[0].endpoint, 'cam-nats', pieces(media), 100);
  assert.equal(put.status, 200);
  const persisted = put.acks.filter((a) => a.EventType === 'PERSISTED');
  assert.equal(persisted.length, 4);
  assert.deepEqual(persisted.map((a) => a.FragmentTimecode), [0, 400, 800, 1200]);
  const numbers = persisted.map((a) => a.FragmentNumber!);

  const liveFragments = await fragmentsIn(await liveRead);
  assert.deepEqual(liveFragments.map((f) => f.tags.AWS_KINESISVIDEO_FRAGMENT_NUMBER), numbers);
  assert.deepEqual(liveFragments.map((f) => f.blocks), [10, 10, 10, 10]);

  const earliest = await medias[1].send(new GetMediaCommand({ StreamName: 'cam-nats', StartSelector: { StartSelectorType: 'EARLIEST' } }));
  const all = await fragmentsIn(await readFragments(earliest.Payload as AsyncIterable<Uint8Array>, 4));
  assert.deepEqual(all.map((f) => f.tags.AWS_KINESISVIDEO_CONTINUATION_TOKEN), numbers);

  const listed = await archiveds[1].send(new ListFragmentsCommand({ StreamName: 'cam-nats' }));
  assert.deepEqual(listed.Fragments!.map((f) => f.FragmentNumber), numbers);
  // Each fragment: 10 frames of 40 ms → 360 ms from the first frame to the last.
  assert.deepEqual(listed.Fragments!.map((f) => f.FragmentLengthInMilliseconds), [360, 360, 360, 360]);
});

test('one PutMedia connection per stream across nodes; a stream deleted through B ends the upload on A and drops its media', { skip, timeout: 120_000 }, async () => {
  const arn = await createActive('cam-nats-delete');
  const media = syntheticMedia(40);
  // A slow upload through node A (a fragment every 200 ms).
  const upload = putMediaHttp1(nodes[0].endpoint, 'cam-nats-delete', pieces(media), 200);
  await new Promise((r) => setTimeout(r, 800));
  const second = await fetch(`${nodes[1].endpoint}/putMedia`, { method: 'POST', headers: putMediaHeaders('cam-nats-delete'), body: new Uint8Array(pieces(media)[0]) });
  assert.equal(second.status, 400);
  assert.match(second.headers.get('x-amzn-errortype')!, /^ConnectionLimitExceededException/);
  assert.deepEqual(await second.json(), { Message: 'A PutMedia connection to this stream is already open; only one is allowed at a time.' });

  // Node B sees the media node A stored (JetStream); on a loaded machine it may take longer than the 800 ms above.
  const logs = streamLogs(arn);
  let tip = 0;
  for (let i = 0; i < 200 && tip === 0; i++) {
    tip = await nodes[1].store.records.tip(logs.media);
    if (tip === 0) await new Promise((r) => setTimeout(r, 50));
  }
  assert.ok(tip > 0, 'node B never saw the media node A stored');
  await controls[1].send(new DeleteStreamCommand({ StreamARN: arn }));
  const result = await upload;
  const last = result.acks[result.acks.length - 1];
  assert.equal(last.EventType, 'ERROR');
  assert.equal(last.ErrorCode, 'STREAM_NOT_ACTIVE');
  assert.equal(last.ErrorId, 4008);
  // (How far the producer got before node A noticed depends on the machine's load, so it is not asserted.)
  for (const node of nodes) {
    const read = await node.store.records.read(logs.fragments, 0, { limit: 100, maxBytes: 1 << 20, notBefore: 0 });
    assert.equal(read.records.length, 0);
    const mediaRead = await node.store.records.read(logs.media, 0, { limit: 100, maxBytes: 1 << 20, notBefore: 0 });
    assert.equal(mediaRead.records.length, 0);
    assert.deepEqual(await node.store.meta.list(logs.headers), []);
  }
  // A new incarnation of the name starts with no fragments, on either node.
  await createActive('cam-nats-delete');
  for (const archived of archiveds) assert.deepEqual((await archived.send(new ListFragmentsCommand({ StreamName: 'cam-nats-delete' }))).Fragments, []);
});
