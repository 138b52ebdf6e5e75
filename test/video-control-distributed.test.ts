import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateSignalingChannelCommand,
  CreateStreamCommand,
  DeleteStreamCommand,
  DescribeSignalingChannelCommand,
  DescribeStreamCommand,
  GetDataEndpointCommand,
  KinesisVideoClient,
  ListStreamsCommand,
  ListTagsForStreamCommand,
  TagStreamCommand,
  UpdateStreamCommand,
} from '@aws-sdk/client-kinesis-video';
import { NatsCluster, natsServerMissing } from './nats-cluster.js';
import { startTestServer, type TestServer } from './helpers.js';

/**
 * The Video control plane over NATS JetStream with two Millrace nodes (issue 16 item 7): what one
 * node writes the other reads and changes, Version checks hold across nodes, and stream names that
 * NATS subjects treat specially (dots, dashes, underscores) are kept as they are.
 */

const skip = natsServerMissing();
let cluster: NatsCluster;
let nodes: TestServer[] = [];
let clients: KinesisVideoClient[] = [];

before(async () => {
  if (skip) return;
  cluster = await NatsCluster.start(1);
  for (let i = 0; i < 2; i++) nodes.push(await startTestServer({ store: cluster.url, replicas: 1 }));
  clients = nodes.map(
    (node) => new KinesisVideoClient({ endpoint: node.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' }, maxAttempts: 1 }),
  );
});

after(async () => {
  for (const client of clients) client.destroy();
  for (const node of nodes) await node.stop();
  await cluster?.stop();
});

test('streams created on one node are described, updated, tagged and deleted through the other', { skip }, async () => {
  const [a, b] = clients;
  const names = ['cam.front', '.lead', 'trail.', 'a..b', 'A_b-C'];
  const arns = new Map<string, string>();
  for (const name of names) arns.set(name, (await a.send(new CreateStreamCommand({ StreamName: name, DataRetentionInHours: 1 }))).StreamARN!);
  for (const name of names) {
    const info = (await b.send(new DescribeStreamCommand({ StreamARN: arns.get(name) }))).StreamInfo!;
    assert.equal(info.StreamName, name);
    assert.equal(info.Status, 'ACTIVE');
  }
  const listed = (await b.send(new ListStreamsCommand({}))).StreamInfoList!.map((s) => s.StreamName);
  assert.deepEqual(listed, [...names].sort());

  // Each node answers its own URL as the data endpoint.
  for (const [i, client] of clients.entries()) {
    assert.equal((await client.send(new GetDataEndpointCommand({ StreamName: 'cam.front', APIName: 'PUT_MEDIA' }))).DataEndpoint, nodes[i].endpoint);
  }

  const version = (await a.send(new DescribeStreamCommand({ StreamName: 'cam.front' }))).StreamInfo!.Version!;
  await b.send(new UpdateStreamCommand({ StreamName: 'cam.front', CurrentVersion: version, DeviceName: 'door' }));
  await assert.rejects(a.send(new UpdateStreamCommand({ StreamName: 'cam.front', CurrentVersion: version, DeviceName: 'late' })), { name: 'VersionMismatchException' });
  assert.equal((await a.send(new DescribeStreamCommand({ StreamName: 'cam.front' }))).StreamInfo!.DeviceName, 'door');

  await a.send(new TagStreamCommand({ StreamName: 'a..b', Tags: { 'k.1': 'v' } }));
  assert.deepEqual((await b.send(new ListTagsForStreamCommand({ StreamName: 'a..b' }))).Tags, { 'k.1': 'v' });

  await b.send(new DeleteStreamCommand({ StreamARN: arns.get('trail.') }));
  await assert.rejects(a.send(new DescribeStreamCommand({ StreamName: 'trail.' })), { name: 'ResourceNotFoundException' });
});

test('signaling channels are shared by the nodes too', { skip }, async () => {
  const [a, b] = clients;
  const { ChannelARN } = await a.send(new CreateSignalingChannelCommand({ ChannelName: 'shared.channel' }));
  assert.equal((await b.send(new DescribeSignalingChannelCommand({ ChannelARN }))).ChannelInfo!.ChannelName, 'shared.channel');
  await assert.rejects(b.send(new CreateSignalingChannelCommand({ ChannelName: 'shared.channel' })), { name: 'ResourceInUseException' });
});
