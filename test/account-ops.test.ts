import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  CreateStreamCommand,
  DeleteStreamCommand,
  DeleteResourcePolicyCommand,
  DescribeAccountSettingsCommand,
  DescribeStreamCommand,
  DescribeStreamSummaryCommand,
  DisableEnhancedMonitoringCommand,
  EnableEnhancedMonitoringCommand,
  GetRecordsCommand,
  GetResourcePolicyCommand,
  GetShardIteratorCommand,
  type KinesisClient,
  PutRecordCommand,
  PutRecordsCommand,
  PutResourcePolicyCommand,
  RegisterStreamConsumerCommand,
  StartStreamEncryptionCommand,
  StopStreamEncryptionCommand,
  UpdateAccountSettingsCommand,
  UpdateMaxRecordSizeCommand,
  UpdateStreamWarmThroughputCommand,
} from '@aws-sdk/client-kinesis';
import { sleep, startTestServer, type TestServer } from './helpers.js';

const ACCOUNT = '000000000000';
const arnOf = (name: string) => `arn:aws:kinesis:us-east-1:${ACCOUNT}:stream/${name}`;

async function rejects(promise: Promise<unknown>, name: string, message: string) {
  await assert.rejects(promise, (err: any) => {
    assert.equal(err.name, name);
    assert.equal(err.message, message);
    return true;
  });
}

async function waitActive(client: KinesisClient, name: string) {
  for (;;) {
    const out = await client.send(new DescribeStreamSummaryCommand({ StreamName: name }));
    if (out.StreamDescriptionSummary?.StreamStatus === 'ACTIVE') return out.StreamDescriptionSummary;
    await sleep(20);
  }
}

describe('account, monitoring, policy, warm-throughput, record-size and encryption operations', () => {
  let server: TestServer;
  let client: KinesisClient;

  before(async () => {
    // Long enough that a status read right after a change still sees UPDATING on a loaded machine.
    server = await startTestServer({ updateStreamMs: 1_000 });
    client = server.client();
    await client.send(new CreateStreamCommand({ StreamName: 'prov', ShardCount: 1 }));
    await client.send(new CreateStreamCommand({ StreamName: 'od', StreamModeDetails: { StreamMode: 'ON_DEMAND' } }));
  });
  after(() => server.stop());

  it('Enable/DisableEnhancedMonitoring: union, difference, ALL expansion, DescribeStream', async () => {
    let out = await client.send(new EnableEnhancedMonitoringCommand({ StreamName: 'prov', ShardLevelMetrics: ['IncomingRecords', 'IncomingBytes'] }));
    assert.deepEqual(
      { ...out, $metadata: undefined },
      { $metadata: undefined, StreamName: 'prov', StreamARN: arnOf('prov'), CurrentShardLevelMetrics: [], DesiredShardLevelMetrics: ['IncomingBytes', 'IncomingRecords'] },
    );
    out = await client.send(new EnableEnhancedMonitoringCommand({ StreamARN: arnOf('prov'), ShardLevelMetrics: ['ALL'] }));
    assert.deepEqual(out.CurrentShardLevelMetrics, ['IncomingBytes', 'IncomingRecords']);
    assert.equal(out.DesiredShardLevelMetrics?.length, 7);
    assert.ok(!out.DesiredShardLevelMetrics?.includes('ALL'));
    out = await client.send(new DisableEnhancedMonitoringCommand({ StreamName: 'prov', ShardLevelMetrics: ['IncomingBytes', 'IteratorAgeMilliseconds'] }));
    assert.equal(out.CurrentShardLevelMetrics?.length, 7);
    assert.deepEqual(out.DesiredShardLevelMetrics, ['IncomingRecords', 'OutgoingBytes', 'OutgoingRecords', 'WriteProvisionedThroughputExceeded', 'ReadProvisionedThroughputExceeded']);
    const described = await client.send(new DescribeStreamCommand({ StreamName: 'prov' }));
    assert.deepEqual(described.StreamDescription?.EnhancedMonitoring, [{ ShardLevelMetrics: out.DesiredShardLevelMetrics }]);
    out = await client.send(new DisableEnhancedMonitoringCommand({ StreamName: 'prov', ShardLevelMetrics: ['ALL'] }));
    assert.deepEqual(out.DesiredShardLevelMetrics, []);
    await rejects(
      client.send(new EnableEnhancedMonitoringCommand({ StreamName: 'nope', ShardLevelMetrics: ['ALL'] })),
      'ResourceNotFoundException',
      `Stream nope under account ${ACCOUNT} not found.`,
    );
  });

  it('Describe/UpdateAccountSettings: DISABLED by default, commitment window, per account', async () => {
    const initial = await client.send(new DescribeAccountSettingsCommand({}));
    assert.deepEqual(initial.MinimumThroughputBillingCommitment, { Status: 'DISABLED' });
    const enabled = await client.send(new UpdateAccountSettingsCommand({ MinimumThroughputBillingCommitment: { Status: 'ENABLED' } }));
    const commitment = enabled.MinimumThroughputBillingCommitment!;
    assert.equal(commitment.Status, 'ENABLED');
    assert.ok(commitment.StartedAt instanceof Date);
    assert.equal(commitment.EarliestAllowedEndAt!.getTime() - commitment.StartedAt!.getTime(), 24 * 3_600_000);
    assert.deepEqual((await client.send(new DescribeAccountSettingsCommand({}))).MinimumThroughputBillingCommitment, commitment);
    // Another account (12-digit access key) is unaffected.
    const other = server.client({ accessKeyId: '333333333333' });
    assert.deepEqual((await other.send(new DescribeAccountSettingsCommand({}))).MinimumThroughputBillingCommitment, { Status: 'DISABLED' });
    await rejects(
      other.send(new UpdateStreamWarmThroughputCommand({ StreamName: 'od', WarmThroughputMiBps: 10 })),
      'ResourceNotFoundException',
      'Stream od under account 333333333333 not found.',
    );
  });

  it('UpdateStreamWarmThroughput: on-demand only, needs the commitment, UPDATING then ACTIVE', async () => {
    const other = server.client({ accessKeyId: '444444444444' });
    await other.send(new CreateStreamCommand({ StreamName: 'od', StreamModeDetails: { StreamMode: 'ON_DEMAND' } }));
    await rejects(
      other.send(new UpdateStreamWarmThroughputCommand({ StreamName: 'od', WarmThroughputMiBps: 10 })),
      'InvalidArgumentException',
      'Warm throughput requires the minimum throughput billing commitment for account 444444444444. Enable it with UpdateAccountSettings.',
    );
    await rejects(
      client.send(new UpdateStreamWarmThroughputCommand({ StreamName: 'prov', WarmThroughputMiBps: 10 })),
      'InvalidArgumentException',
      `Warm throughput is only supported for streams in ON_DEMAND mode; stream prov under account ${ACCOUNT} is PROVISIONED.`,
    );
    await rejects(
      client.send(new UpdateStreamWarmThroughputCommand({ StreamName: 'od', WarmThroughputMiBps: 10241 })),
      'ValidationException',
      "1 validation error detected: Value '10241' at 'warmThroughputMiBps' failed to satisfy constraint: Member must have value less than or equal to 10240",
    );
    const out = await client.send(new UpdateStreamWarmThroughputCommand({ StreamName: 'od', WarmThroughputMiBps: 100 }));
    assert.deepEqual({ ...out, $metadata: undefined }, { $metadata: undefined, StreamARN: arnOf('od'), StreamName: 'od', WarmThroughput: { TargetMiBps: 100, CurrentMiBps: 0 } });
    const during = await client.send(new DescribeStreamSummaryCommand({ StreamName: 'od' }));
    assert.equal(during.StreamDescriptionSummary?.StreamStatus, 'UPDATING');
    await rejects(
      client.send(new UpdateStreamWarmThroughputCommand({ StreamName: 'od', WarmThroughputMiBps: 200 })),
      'ResourceInUseException',
      `Stream od under account ${ACCOUNT} not ACTIVE, instead in state UPDATING`,
    );
    const summary = await waitActive(client, 'od');
    assert.deepEqual(summary.WarmThroughput, { TargetMiBps: 100, CurrentMiBps: 100 });
    // Disabling inside the window keeps it until the earliest allowed end.
    const disabled = await client.send(new UpdateAccountSettingsCommand({ MinimumThroughputBillingCommitment: { Status: 'DISABLED' } }));
    assert.equal(disabled.MinimumThroughputBillingCommitment?.Status, 'ENABLED_UNTIL_EARLIEST_ALLOWED_END');
    assert.deepEqual(disabled.MinimumThroughputBillingCommitment?.EndedAt, disabled.MinimumThroughputBillingCommitment?.EarliestAllowedEndAt);
  });

  it('UpdateMaxRecordSize: raises the record limit for PutRecord; range from the model', async () => {
    await client.send(new CreateStreamCommand({ StreamName: 'big', ShardCount: 1 }));
    const twoMiB = Buffer.alloc(2 * 1024 * 1024, 7);
    await assert.rejects(client.send(new PutRecordCommand({ StreamName: 'big', PartitionKey: 'k', Data: twoMiB })), { name: 'ValidationException' });
    await client.send(new UpdateMaxRecordSizeCommand({ StreamARN: arnOf('big'), MaxRecordSizeInKiB: 4096 }));
    assert.equal((await client.send(new DescribeStreamSummaryCommand({ StreamName: 'big' }))).StreamDescriptionSummary?.MaxRecordSizeInKiB, 4096);
    const put = await client.send(new PutRecordCommand({ StreamName: 'big', PartitionKey: 'k', Data: twoMiB }));
    assert.equal(put.ShardId, 'shardId-000000000000');
    await rejects(
      client.send(new UpdateMaxRecordSizeCommand({ StreamARN: arnOf('big'), MaxRecordSizeInKiB: 512 })),
      'ValidationException',
      "1 validation error detected: Value '512' at 'maxRecordSizeInKiB' failed to satisfy constraint: Member must have value greater than or equal to 1024",
    );
    await rejects(
      client.send(new UpdateMaxRecordSizeCommand({ StreamARN: arnOf('missing'), MaxRecordSizeInKiB: 2048 })),
      'ResourceNotFoundException',
      `Stream missing under account ${ACCOUNT} not found.`,
    );
  });

  it('Put/Get/DeleteResourcePolicy on streams and consumers, with document validation', async () => {
    const arn = arnOf('prov');
    assert.equal((await client.send(new GetResourcePolicyCommand({ ResourceARN: arn }))).Policy, '{}');
    await rejects(
      client.send(new DeleteResourcePolicyCommand({ ResourceARN: arn })),
      'ResourceNotFoundException',
      `No resource policy found for resource ARN ${arn}`,
    );
    const invalid: [string, string][] = [
      ['{not json', 'the policy is not valid JSON.'],
      ['[]', 'the policy must be a JSON object.'],
      ['{"Statement":[]}', "missing 'Version'."],
      ['{"Version":"2012-10-17"}', "missing 'Statement'."],
      ['{"Version":"2012-10-17","Statement":[{"Effect":"Maybe","Principal":"*","Action":"kinesis:*"}]}', "Statement[0].Effect must be 'Allow' or 'Deny'."],
      ['{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject"}]}', "Statement[0].Action 's3:GetObject' is not a Kinesis action (kinesis:{Action})."],
      ['{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kinesis:*"}]}', 'Statement[0] must have a Principal.'],
    ];
    for (const [policy, reason] of invalid) {
      await rejects(client.send(new PutResourcePolicyCommand({ ResourceARN: arn, Policy: policy })), 'InvalidArgumentException', `Invalid policy document: ${reason}`);
    }
    const policy = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: '123456789012' }, Action: 'kinesis:Get*', Resource: arn }] });
    await client.send(new PutResourcePolicyCommand({ ResourceARN: arn, Policy: policy }));
    assert.equal((await client.send(new GetResourcePolicyCommand({ ResourceARN: arn }))).Policy, policy);
    await client.send(new DeleteResourcePolicyCommand({ ResourceARN: arn }));
    assert.equal((await client.send(new GetResourcePolicyCommand({ ResourceARN: arn }))).Policy, '{}');
    await rejects(
      client.send(new GetResourcePolicyCommand({ ResourceARN: arnOf('absent') })),
      'ResourceNotFoundException',
      `Stream absent under account ${ACCOUNT} not found.`,
    );

    const { Consumer } = await client.send(new RegisterStreamConsumerCommand({ StreamARN: arn, ConsumerName: 'app' }));
    const consumerArn = Consumer!.ConsumerARN!;
    assert.equal((await client.send(new GetResourcePolicyCommand({ ResourceARN: consumerArn }))).Policy, '{}');
    await client.send(new PutResourcePolicyCommand({ ResourceARN: consumerArn, Policy: policy }));
    assert.equal((await client.send(new GetResourcePolicyCommand({ ResourceARN: consumerArn }))).Policy, policy);
    assert.equal((await client.send(new GetResourcePolicyCommand({ ResourceARN: arn }))).Policy, '{}');
    await client.send(new DeleteResourcePolicyCommand({ ResourceARN: consumerArn }));
    await rejects(
      client.send(new DeleteResourcePolicyCommand({ ResourceARN: consumerArn })),
      'ResourceNotFoundException',
      `No resource policy found for resource ARN ${consumerArn}`,
    );
    const ghost = `${arn}/consumer/ghost:1700000000`;
    await rejects(client.send(new GetResourcePolicyCommand({ ResourceARN: ghost })), 'ResourceNotFoundException', `Consumer ${ghost}, account ${ACCOUNT} not found.`);
  });

  it('Start/StopStreamEncryption: key forms, KMS errors, UPDATING, records encrypted at rest', async () => {
    await client.send(new CreateStreamCommand({ StreamName: 'secret', ShardCount: 1 }));
    await rejects(
      client.send(new StartStreamEncryptionCommand({ StreamName: 'secret', EncryptionType: 'NONE', KeyId: 'alias/aws/kinesis' })),
      'InvalidArgumentException',
      'Invalid EncryptionType NONE. The only supported EncryptionType is KMS.',
    );
    await rejects(
      client.send(new StartStreamEncryptionCommand({ StreamName: 'secret', EncryptionType: 'KMS', KeyId: 'alias/mine' })),
      'KMSNotFoundException',
      `Invalid keyId 'alias/mine': arn:aws:kms:us-east-1:${ACCOUNT}:alias/mine is not found.`,
    );
    await rejects(
      client.send(new StartStreamEncryptionCommand({ StreamName: 'secret', EncryptionType: 'KMS', KeyId: 'not-a-key' })),
      'KMSNotFoundException',
      `Invalid keyId 'not-a-key': arn:aws:kms:us-east-1:${ACCOUNT}:key/not-a-key is not found.`,
    );
    await rejects(
      client.send(new StartStreamEncryptionCommand({ StreamName: 'gone', EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' })),
      'ResourceNotFoundException',
      `Stream gone under account ${ACCOUNT} not found.`,
    );

    const plain = 'PLAINTEXT-BEFORE-ENCRYPTION-0123456789';
    const before = await client.send(new PutRecordCommand({ StreamName: 'secret', PartitionKey: 'p', Data: Buffer.from(plain) }));
    assert.equal(before.EncryptionType, undefined);

    await client.send(new StartStreamEncryptionCommand({ StreamName: 'secret', EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' }));
    assert.equal((await client.send(new DescribeStreamSummaryCommand({ StreamName: 'secret' }))).StreamDescriptionSummary?.StreamStatus, 'UPDATING');
    await rejects(
      client.send(new StopStreamEncryptionCommand({ StreamName: 'secret', EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' })),
      'ResourceInUseException',
      `Stream secret under account ${ACCOUNT} not ACTIVE, instead in state UPDATING`,
    );
    const summary = await waitActive(client, 'secret');
    assert.equal(summary.EncryptionType, 'KMS');
    assert.equal(summary.KeyId, 'alias/aws/kinesis');

    const secret = 'TOP-SECRET-PAYLOAD-Zq8xV3kP9mW2';
    const put = await client.send(new PutRecordCommand({ StreamName: 'secret', PartitionKey: 'p', Data: Buffer.from(secret) }));
    assert.equal(put.EncryptionType, 'KMS');
    const batch = await client.send(
      new PutRecordsCommand({ StreamName: 'secret', Records: [{ PartitionKey: 'q', Data: Buffer.from(`${secret}-batch`) }] }),
    );
    assert.equal(batch.EncryptionType, 'KMS');

    // Key UUIDs and key ARNs count as existing customer keys: re-key the stream.
    const keyArn = `arn:aws:kms:us-east-1:${ACCOUNT}:key/12345678-1234-1234-1234-123456789012`;
    await client.send(new StartStreamEncryptionCommand({ StreamName: 'secret', EncryptionType: 'KMS', KeyId: keyArn }));
    assert.equal((await waitActive(client, 'secret')).KeyId, keyArn);
    const rekeyed = `${secret}-rekeyed`;
    await client.send(new PutRecordCommand({ StreamName: 'secret', PartitionKey: 'p', Data: Buffer.from(rekeyed) }));

    await client.send(new StopStreamEncryptionCommand({ StreamName: 'secret', EncryptionType: 'KMS', KeyId: keyArn }));
    const stopped = await waitActive(client, 'secret');
    assert.equal(stopped.EncryptionType, 'NONE');
    assert.equal(stopped.KeyId, undefined);
    const after = await client.send(new PutRecordCommand({ StreamName: 'secret', PartitionKey: 'p', Data: Buffer.from('after') }));
    assert.equal(after.EncryptionType, undefined);

    const { ShardIterator } = await client.send(
      new GetShardIteratorCommand({ StreamName: 'secret', ShardId: 'shardId-000000000000', ShardIteratorType: 'TRIM_HORIZON' }),
    );
    const { Records } = await client.send(new GetRecordsCommand({ ShardIterator }));
    assert.deepEqual(
      Records!.map((r) => [Buffer.from(r.Data!).toString(), r.EncryptionType]),
      [
        [plain, undefined],
        [secret, 'KMS'],
        [`${secret}-batch`, 'KMS'],
        [rekeyed, 'KMS'],
        ['after', undefined],
      ],
    );

    // The store's files hold the records written in clear, and none of those written encrypted.
    const files = (dir: string): string[] =>
      readdirSync(dir).flatMap((name) => (statSync(join(dir, name)).isDirectory() ? files(join(dir, name)) : [join(dir, name)]));
    const disk = Buffer.concat(files(server.dataDir).map((file) => readFileSync(file)));
    assert.ok(disk.includes(Buffer.from(plain)), 'control: an unencrypted record is visible on disk');
    assert.ok(!disk.includes(Buffer.from(secret)), 'encrypted record data must not be on disk in clear');

    // Deleting the stream removes its incarnation's data keys with its records.
    const { id } = (await server.kinesis.streams.find({ account: ACCOUNT, region: 'us-east-1' }, 'secret'))!;
    assert.ok((await server.kinesis.store.meta.list(`kms/${id}/`)).length > 0, 'control: the stream has data keys');
    await client.send(new DeleteStreamCommand({ StreamName: 'secret' }));
    await rejects(client.send(new DescribeStreamSummaryCommand({ StreamName: 'secret' })), 'ResourceNotFoundException', `Stream secret under account ${ACCOUNT} not found.`);
    assert.deepEqual(await server.kinesis.store.meta.list(`kms/${id}/`), []);
  });
});

describe('daily encryption limits', () => {
  it('Start/StopStreamEncryption: 25 of each per stream in 24 hours, then LimitExceededException', async () => {
    const server = await startTestServer({ updateStreamMs: 0 });
    const client = server.client();
    try {
      await client.send(new CreateStreamCommand({ StreamName: 'rekeyed', ShardCount: 1 }));
      const start = () => client.send(new StartStreamEncryptionCommand({ StreamName: 'rekeyed', EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' }));
      const stop = () => client.send(new StopStreamEncryptionCommand({ StreamName: 'rekeyed', EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' }));
      for (let i = 0; i < 25; i++) {
        await start();
        await waitActive(client, 'rekeyed');
        await stop();
        await waitActive(client, 'rekeyed');
      }
      await rejects(
        start(),
        'LimitExceededException',
        `StartStreamEncryption cannot change the encryption of stream rekeyed under account ${ACCOUNT} more than 25 times in a rolling 24-hour period.`,
      );
      await rejects(
        stop(),
        'LimitExceededException',
        `StopStreamEncryption cannot disable the encryption of stream rekeyed under account ${ACCOUNT} more than 25 times in a rolling 24-hour period.`,
      );
      // Per stream: another stream is unaffected.
      await client.send(new CreateStreamCommand({ StreamName: 'fresh', ShardCount: 1 }));
      await client.send(new StartStreamEncryptionCommand({ StreamName: 'fresh', EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' }));
      assert.equal((await waitActive(client, 'fresh')).EncryptionType, 'KMS');
    } finally {
      await server.stop();
    }
  });
});
