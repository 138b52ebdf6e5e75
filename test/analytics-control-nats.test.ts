import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  KinesisAnalyticsV2Client,
  CreateApplicationCommand,
  DescribeApplicationCommand,
  DescribeApplicationOperationCommand,
  StartApplicationCommand,
  StopApplicationCommand,
} from '@aws-sdk/client-kinesis-analytics-v2';
import { startMillrace, type Millrace } from '../src/server.js';
import { LIFECYCLE_LEASE } from '../src/analytics/background.js';
import type { ApplicationRunner, RunnableApplication, SnapshotRef } from '../src/analytics/domain/runner.js';
import { NatsCluster, natsServerMissing } from './nats-cluster.js';

/**
 * Analytics over the distributed store: applications live only in JetStream, a transition asked of
 * one node is completed by whichever node holds the lifecycle lease, and after that node leaves the
 * other takes the lease over and completes the next one.
 */

const skip = natsServerMissing();
const ROLE = 'arn:aws:iam::123456789012:role/kda';

/** One runner shared by both nodes, as a job would be visible to both through the store. */
class SharedRunner implements ApplicationRunner {
  readonly running = new Set<string>();
  async start(app: RunnableApplication) {
    this.running.add(app.doc.name);
  }
  async stop(app: RunnableApplication): Promise<SnapshotRef | undefined> {
    this.running.delete(app.doc.name);
    return undefined;
  }
  async snapshot(_app: RunnableApplication, name: string) {
    return { name };
  }
  async dropSnapshot() {}
  async status(app: RunnableApplication) {
    return this.running.has(app.doc.name) ? { state: 'RUNNING' as const } : { state: 'STOPPED' as const };
  }
}

describe('Analytics lifecycle across two nodes over JetStream', { skip, timeout: 120_000 }, () => {
  let cluster: NatsCluster;
  const nodes: Millrace[] = [];
  const clients: KinesisAnalyticsV2Client[] = [];
  const runner = new SharedRunner();

  const client = (node: Millrace) => {
    const c = new KinesisAnalyticsV2Client({ endpoint: node.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' }, maxAttempts: 1 });
    clients.push(c);
    return c;
  };

  before(async () => {
    cluster = await NatsCluster.start(1);
    for (let i = 0; i < 2; i++) {
      const node = await startMillrace({ port: 0, host: '127.0.0.1', store: cluster.url, replicas: 1, logLevel: 'silent' });
      node.analytics.runner = runner;
      nodes.push(node);
    }
  });
  after(async () => {
    for (const c of clients) c.destroy();
    for (const node of nodes) await node.close().catch(() => undefined);
    await cluster.stop();
  });

  async function holder(): Promise<number> {
    for (let i = 0; i < 600; i++) {
      const index = nodes.findIndex((n) => n.leases.held().some((l) => l.name === LIFECYCLE_LEASE));
      if (index >= 0) return index;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.fail('no node took the Analytics lifecycle lease');
  }

  async function status(kda: KinesisAnalyticsV2Client, name: string, wanted: string): Promise<void> {
    for (let i = 0; i < 600; i++) {
      const d = (await kda.send(new DescribeApplicationCommand({ ApplicationName: name }))).ApplicationDetail!;
      if (d.ApplicationStatus === wanted) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.fail(`${name} never reached ${wanted}`);
  }

  test('a start asked of the node without the lease completes; after the holder leaves, the other node completes a stop', async () => {
    const holding = await holder();
    const other = 1 - holding;
    const viaOther = client(nodes[other]);
    const viaHolder = client(nodes[holding]);
    await viaOther.send(
      new CreateApplicationCommand({
        ApplicationName: 'dist',
        RuntimeEnvironment: 'FLINK-1_20',
        ServiceExecutionRole: ROLE,
        ApplicationConfiguration: { ApplicationCodeConfiguration: { CodeContentType: 'PLAINTEXT', CodeContent: { TextContent: 'SELECT 1' } } },
      }),
    );
    const { OperationId } = await viaOther.send(new StartApplicationCommand({ ApplicationName: 'dist' }));
    await status(viaHolder, 'dist', 'RUNNING');
    assert.ok(runner.running.has('dist'));
    // The application's status and its operation's record are two writes: the operation may still
    // read IN_PROGRESS for a moment after RUNNING shows; it must then end SUCCESSFUL.
    let op = (await viaHolder.send(new DescribeApplicationOperationCommand({ ApplicationName: 'dist', OperationId }))).ApplicationOperationInfoDetails!;
    for (let i = 0; i < 600 && op.OperationStatus === 'IN_PROGRESS'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      op = (await viaHolder.send(new DescribeApplicationOperationCommand({ ApplicationName: 'dist', OperationId }))).ApplicationOperationInfoDetails!;
    }
    assert.equal(op.OperationStatus, 'SUCCESSFUL');

    await nodes[holding].close();
    await viaOther.send(new StopApplicationCommand({ ApplicationName: 'dist' }));
    await status(viaOther, 'dist', 'READY');
    assert.ok(!runner.running.has('dist'));
    assert.ok(nodes[other].leases.held().some((l) => l.name === LIFECYCLE_LEASE));
  });
});
