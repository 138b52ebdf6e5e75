import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { KinesisAnalyticsV2Client, CreateApplicationCommand, DescribeApplicationCommand, DescribeApplicationOperationCommand, StartApplicationCommand } from '@aws-sdk/client-kinesis-analytics-v2';
import { CreateStreamCommand, KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { startMillrace, type Millrace } from '../src/server.js';
import { JOB_LEASE_PREFIX } from '../src/analytics/runtime/run-doc.js';
import { NatsCluster, natsServerMissing } from './nats-cluster.js';
import { readJsonRecords, tumblingSql } from './analytics-run-fixtures.js';

/**
 * A running Flink SQL job over the distributed store: it runs on the one Millrace node that holds its
 * lease; when that node stops, another takes the lease over and resumes the job from its last
 * checkpoint in JetStream, and every window comes out with its exact count.
 */

const skip = natsServerMissing();
const ROLE = 'arn:aws:iam::123456789012:role/kda';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const at = (second: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, second)).toISOString().replace('T', ' ').replace('Z', '');
const out = (second: number) => at(second).replace(/\.000$/, '');

describe('a Flink SQL job across three Millrace nodes over a three-server NATS cluster', { skip, timeout: 180_000 }, () => {
  let cluster: NatsCluster;
  const nodes: Millrace[] = [];
  const closed = new Set<number>();
  const destroy: { destroy(): void }[] = [];
  const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };
  const kdaOf = (node: Millrace) => {
    const c = new KinesisAnalyticsV2Client({ endpoint: node.endpoint, region: 'us-east-1', credentials, maxAttempts: 3 });
    destroy.push(c);
    return c;
  };
  const kinesisOf = (node: Millrace) => {
    const c = new KinesisClient({ endpoint: node.endpoint, region: 'us-east-1', credentials, maxAttempts: 3 });
    destroy.push(c);
    return c;
  };

  before(async () => {
    cluster = await NatsCluster.start(3);
    for (let i = 0; i < 3; i++) nodes.push(await startMillrace({ port: 0, host: '127.0.0.1', store: cluster.url, replicas: 1, logLevel: 'silent' }));
  });
  after(async () => {
    for (const c of destroy) c.destroy();
    for (const [i, node] of nodes.entries()) if (!closed.has(i)) await node.close().catch(() => undefined);
    await cluster.stop();
  });

  async function jobHolder(except?: number): Promise<number> {
    for (let i = 0; i < 600; i++) {
      const index = nodes.findIndex((n, j) => j !== except && !closed.has(j) && n.leases.held().some((l) => l.name.startsWith(JOB_LEASE_PREFIX)));
      if (index >= 0) return index;
      await sleep(100);
    }
    assert.fail('no node holds the job');
  }


  /** Distinct window results (a result written again after a failover is the same record). */
  async function windowsUntil(kinesis: KinesisClient, count: number): Promise<Map<string, string>> {
    for (let i = 0; i < 600; i++) {
      const byWindow = new Map<string, string>();
      for (const r of await readJsonRecords(kinesis, 'fo-out')) {
        const k = `${r.sensor as string}@${r.window_start as string}`;
        const v = `${r.readings as number}/${r.total as number}`;
        assert.ok(!byWindow.has(k) || byWindow.get(k) === v, `window ${k} came out as ${byWindow.get(k)} and as ${v}`);
        byWindow.set(k, v);
      }
      if (byWindow.size >= count) return byWindow;
      await sleep(200);
    }
    assert.fail(`fewer than ${count} windows came out`);
  }

  test('the job runs on one node, and resumes on another from its last checkpoint when that node stops', async () => {
    const kda = kdaOf(nodes[0]);
    const kinesis = kinesisOf(nodes[0]);
    await kinesis.send(new CreateStreamCommand({ StreamName: 'fo-in', ShardCount: 1 }));
    await kinesis.send(new CreateStreamCommand({ StreamName: 'fo-out', ShardCount: 1 }));
    await kda.send(
      new CreateApplicationCommand({
        ApplicationName: 'failover',
        RuntimeEnvironment: 'FLINK-1_18',
        ServiceExecutionRole: ROLE,
        ApplicationConfiguration: {
          ApplicationCodeConfiguration: { CodeContentType: 'PLAINTEXT', CodeContent: { TextContent: tumblingSql('fo-in', 'fo-out', 'LATEST') } },
          FlinkApplicationConfiguration: { CheckpointConfiguration: { ConfigurationType: 'CUSTOM', CheckpointingEnabled: true, CheckpointInterval: 300, MinPauseBetweenCheckpoints: 0 } },
        },
      }),
    );
    const { OperationId } = await kda.send(new StartApplicationCommand({ ApplicationName: 'failover' }));
    let status: string | undefined;
    let failure: unknown;
    for (let i = 0; i < 600 && status !== 'SUCCESSFUL' && status !== 'FAILED'; i++) {
      await sleep(100);
      const op = (await kda.send(new DescribeApplicationOperationCommand({ ApplicationName: 'failover', OperationId }))).ApplicationOperationInfoDetails!;
      status = op.OperationStatus;
      failure = op.OperationFailureDetails;
    }
    assert.equal(status, 'SUCCESSFUL', JSON.stringify(failure));
    const first = await jobHolder();
    assert.equal(nodes.filter((n) => n.leases.held().some((l) => l.name.startsWith(JOB_LEASE_PREFIX))).length, 1, 'exactly one node runs the job');

    const put = async (client: KinesisClient, rows: [string, number, number][]) => {
      const res = await client.send(
        new PutRecordsCommand({ StreamName: 'fo-in', Records: rows.map(([sensor, temp, second]) => ({ Data: Buffer.from(JSON.stringify({ sensor, temp, ts: at(second) })), PartitionKey: sensor })) }),
      );
      assert.equal(res.FailedRecordCount, 0);
    };
    await put(kinesis, [['a', 1, 1], ['a', 2, 3], ['b', 5, 4], ['a', 4, 12], ['b', 6, 14]]);
    await windowsUntil(kinesis, 2); // [0,10) closed by the rows at 12 and 14
    await sleep(700); // the job checkpoints the open window [10,20) (interval 300 ms)

    closed.add(first);
    await nodes[first].close();
    const survivor = nodes.findIndex((_n, i) => !closed.has(i));
    const kinesis2 = kinesisOf(nodes[survivor]);
    await put(kinesis2, [['a', 8, 15], ['b', 1, 19], ['a', 100, 22], ['b', 100, 23]]);
    const second = await jobHolder(first);
    assert.notEqual(second, first);
    const windows = await windowsUntil(kinesis2, 4);
    assert.deepEqual(Object.fromEntries(windows), {
      [`a@${out(0)}`]: '2/3',
      [`b@${out(0)}`]: '1/5',
      [`a@${out(10)}`]: '2/12', // 4 (before the failover, from the checkpoint) + 8 (after)
      [`b@${out(10)}`]: '2/7',
    });
    const app = (await kdaOf(nodes[survivor]).send(new DescribeApplicationCommand({ ApplicationName: 'failover' }))).ApplicationDetail!;
    assert.equal(app.ApplicationStatus, 'RUNNING');
  });
});
