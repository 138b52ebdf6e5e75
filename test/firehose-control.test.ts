import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import {
  FirehoseClient,
  CreateDeliveryStreamCommand,
  DeleteDeliveryStreamCommand,
  DescribeDeliveryStreamCommand,
  ListDeliveryStreamsCommand,
  ListTagsForDeliveryStreamCommand,
  PutRecordCommand,
  StartDeliveryStreamEncryptionCommand,
  StopDeliveryStreamEncryptionCommand,
  TagDeliveryStreamCommand,
  UntagDeliveryStreamCommand,
  UpdateDestinationCommand,
  type CreateDeliveryStreamCommandInput,
} from '@aws-sdk/client-firehose';
import { CreateStreamCommand } from '@aws-sdk/client-kinesis';
import { ORC_NOT_SUPPORTED_MESSAGE } from '../src/firehose/delivery/format-conversion.js';
import { deliveryStreamKey, ingestLogName } from '../src/firehose/domain/delivery-stream.js';
import { DELIVERY_STREAM_QUOTA } from '../src/firehose/operations/CreateDeliveryStream.js';
import { available, startTestServer, type TestServer } from './helpers.js';

/**
 * The Firehose control plane (FIREHOSE-SPEC §2–4, §16–17; issue items 1 and 10) through
 * @aws-sdk/client-firehose with its default HTTP/2 handler, boto3 and the AWS CLI, against the
 * real embedded store.
 */

let server: TestServer;
let firehose: FirehoseClient;
const ACCOUNT = '000000000000';
const ROLE = 'arn:aws:iam::123456789012:role/firehose';
const BUCKET = 'arn:aws:s3:::bucket';

before(async () => {
  server = await startTestServer();
  firehose = client();
});
after(async () => {
  firehose.destroy();
  await server.stop();
});

function client(region = 'us-east-1'): FirehoseClient {
  return new FirehoseClient({ endpoint: server.endpoint, region, credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' }, maxAttempts: 1 });
}

/** Asserts the call fails with AWS's exact error type and message. */
async function fails(call: Promise<unknown>, type: string, message: string | RegExp): Promise<void> {
  await assert.rejects(call, (err: any) => {
    assert.equal(err.name, type, err.message);
    if (typeof message === 'string') assert.equal(err.message, message);
    else assert.match(err.message, message);
    return true;
  });
}

const s3Stream = (name: string, extra: Partial<CreateDeliveryStreamCommandInput> = {}): CreateDeliveryStreamCommandInput => ({
  DeliveryStreamName: name,
  ExtendedS3DestinationConfiguration: { RoleARN: ROLE, BucketARN: BUCKET },
  ...extra,
});

const describe = async (name: string) => (await firehose.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: name }))).DeliveryStreamDescription!;

test('CreateDeliveryStream answers the ARN; Describe fills every default and mirrors the S3 description (§3)', async () => {
  const created = await firehose.send(new CreateDeliveryStreamCommand(s3Stream('defaults')));
  assert.equal(created.DeliveryStreamARN, `arn:aws:firehose:us-east-1:${ACCOUNT}:deliverystream/defaults`);
  const d = await describe('defaults');
  assert.equal(d.DeliveryStreamStatus, 'ACTIVE');
  assert.equal(d.DeliveryStreamType, 'DirectPut');
  assert.equal(d.VersionId, '1');
  assert.ok(d.CreateTimestamp instanceof Date);
  assert.equal(d.LastUpdateTimestamp, undefined);
  assert.equal(d.HasMoreDestinations, false);
  assert.deepEqual(d.DeliveryStreamEncryptionConfiguration, { Status: 'DISABLED' });
  assert.equal(d.Source, undefined);
  assert.equal(d.Destinations!.length, 1);
  const [destination] = d.Destinations!;
  assert.equal(destination.DestinationId, 'destinationId-000000000001');
  assert.deepEqual(destination.ExtendedS3DestinationDescription, {
    RoleARN: ROLE,
    BucketARN: BUCKET,
    Prefix: '',
    BufferingHints: { SizeInMBs: 5, IntervalInSeconds: 300 },
    CompressionFormat: 'UNCOMPRESSED',
    EncryptionConfiguration: { NoEncryptionConfig: 'NoEncryption' },
    CloudWatchLoggingOptions: { Enabled: false },
    S3BackupMode: 'Disabled',
  });
  assert.deepEqual(destination.S3DestinationDescription, {
    RoleARN: ROLE,
    BucketARN: BUCKET,
    Prefix: '',
    BufferingHints: { SizeInMBs: 5, IntervalInSeconds: 300 },
    CompressionFormat: 'UNCOMPRESSED',
    EncryptionConfiguration: { NoEncryptionConfig: 'NoEncryption' },
    CloudWatchLoggingOptions: { Enabled: false },
  });
  // A single destination: starting after it leaves an empty page.
  const after = await firehose.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: 'defaults', ExclusiveStartDestinationId: 'destinationId-000000000001', Limit: 1 }));
  assert.deepEqual(after.DeliveryStreamDescription!.Destinations, []);
});

test('dynamic partitioning gets its RetryOptions default; the recorded describe shape (§3) comes back', async () => {
  await firehose.send(
    new CreateDeliveryStreamCommand(
      s3Stream('dp', {
        ExtendedS3DestinationConfiguration: {
          RoleARN: ROLE,
          BucketARN: BUCKET,
          Prefix: 'firehoseTest/!{partitionKeyFromQuery:s3Prefix}',
          ErrorOutputPrefix: 'firehoseTest-errors/!{firehose:error-output-type}/',
          BufferingHints: { SizeInMBs: 64, IntervalInSeconds: 60 },
          DynamicPartitioningConfiguration: { Enabled: true },
          ProcessingConfiguration: {
            Enabled: true,
            Processors: [
              {
                Type: 'MetadataExtraction',
                Parameters: [
                  { ParameterName: 'MetadataExtractionQuery', ParameterValue: '{s3Prefix: .tableName}' },
                  { ParameterName: 'JsonParsingEngine', ParameterValue: 'JQ-1.6' },
                ],
              },
            ],
          },
        },
      }),
    ),
  );
  const description = (await describe('dp')).Destinations![0].ExtendedS3DestinationDescription!;
  assert.deepEqual(description.DynamicPartitioningConfiguration, { Enabled: true, RetryOptions: { DurationInSeconds: 300 } });
  assert.deepEqual(description.BufferingHints, { SizeInMBs: 64, IntervalInSeconds: 60 });
  assert.equal(description.ProcessingConfiguration!.Processors![0].Type, 'MetadataExtraction');
});

test('create-time refusals with their texts (§4, §17, issue item 10)', async () => {
  await fails(firehose.send(new CreateDeliveryStreamCommand({ DeliveryStreamName: 'none' })), 'InvalidArgumentException', 'Exactly one destination configuration is supported for a Firehose');
  await fails(
    firehose.send(new CreateDeliveryStreamCommand(s3Stream('two', { S3DestinationConfiguration: { RoleARN: ROLE, BucketARN: BUCKET } }))),
    'InvalidArgumentException',
    'Exactly one destination configuration is supported for a Firehose',
  );
  await fails(
    firehose.send(
      new CreateDeliveryStreamCommand({
        DeliveryStreamName: 'redshift',
        RedshiftDestinationConfiguration: {
          RoleARN: ROLE,
          ClusterJDBCURL: 'jdbc:redshift://c.abc.us-east-1.redshift.amazonaws.com:5439/db',
          CopyCommand: { DataTableName: 't' },
          S3Configuration: { RoleARN: ROLE, BucketARN: BUCKET },
        },
      }),
    ),
    'InvalidArgumentException',
    /^RedshiftDestinationConfiguration is not supported by Millrace/,
  );
  await fails(
    firehose.send(new CreateDeliveryStreamCommand(s3Stream('msk', { DeliveryStreamType: 'MSKAsSource' }))),
    'InvalidArgumentException',
    /^DeliveryStreamType MSKAsSource is not supported by Millrace/,
  );
  await fails(
    firehose.send(new CreateDeliveryStreamCommand(s3Stream('dbsrc', { DeliveryStreamType: 'DatabaseAsSource' }))),
    'InvalidArgumentException',
    /^DeliveryStreamType DatabaseAsSource is not supported by Millrace/,
  );
  await fails(
    firehose.send(new CreateDeliveryStreamCommand(s3Stream('dpsmall', { ExtendedS3DestinationConfiguration: { RoleARN: ROLE, BucketARN: BUCKET, DynamicPartitioningConfiguration: { Enabled: true }, Prefix: '!{partitionKeyFromQuery:a}/', ErrorOutputPrefix: 'e/', BufferingHints: { SizeInMBs: 5, IntervalInSeconds: 60 } } }))),
    'InvalidArgumentException',
    'BufferingHints.SizeInMBs must be at least 64 when Dynamic Partitioning is enabled.',
  );
  await fails(
    firehose.send(new CreateDeliveryStreamCommand(s3Stream('prefix', { ExtendedS3DestinationConfiguration: { RoleARN: ROLE, BucketARN: BUCKET, Prefix: 'logs/!{timestamp:yyyy}/' } }))),
    'InvalidArgumentException',
    'Ths supplied prefix(es) do not satisfy the following constraint: ErrorOutputPrefix cannot be null or empty when Prefix contains expressions',
  );
  await fails(
    firehose.send(new CreateDeliveryStreamCommand(s3Stream('zone', { ExtendedS3DestinationConfiguration: { RoleARN: ROLE, BucketARN: BUCKET, CustomTimeZone: 'Mars/Olympus' } }))),
    'InvalidArgumentException',
    'CustomTimeZone Mars/Olympus is not a valid time zone.',
  );
  await firehose.send(new CreateDeliveryStreamCommand(s3Stream('zone-ok', { ExtendedS3DestinationConfiguration: { RoleARN: ROLE, BucketARN: BUCKET, CustomTimeZone: 'Asia/Tokyo', FileExtension: '.json' } })));
  const zoned = (await describe('zone-ok')).Destinations![0].ExtendedS3DestinationDescription!;
  assert.equal(zoned.CustomTimeZone, 'Asia/Tokyo');
  assert.equal(zoned.FileExtension, '.json');
  const orc = {
    Enabled: true,
    InputFormatConfiguration: { Deserializer: { OpenXJsonSerDe: {} } },
    OutputFormatConfiguration: { Serializer: { OrcSerDe: {} } },
    SchemaConfiguration: { RoleARN: ROLE, DatabaseName: 'db', TableName: 't' },
  };
  await fails(
    firehose.send(new CreateDeliveryStreamCommand(s3Stream('orc', { ExtendedS3DestinationConfiguration: { RoleARN: ROLE, BucketARN: BUCKET, BufferingHints: { SizeInMBs: 128, IntervalInSeconds: 300 }, DataFormatConversionConfiguration: orc } }))),
    'InvalidArgumentException',
    ORC_NOT_SUPPORTED_MESSAGE,
  );
  await fails(
    firehose.send(new CreateDeliveryStreamCommand(s3Stream('kds', { DeliveryStreamType: 'KinesisStreamAsSource' }))),
    'InvalidArgumentException',
    'KinesisStreamSourceConfiguration must be provided for KinesisStreamAsSource stream type',
  );
  await fails(
    firehose.send(
      new CreateDeliveryStreamCommand(
        s3Stream('kds2', { KinesisStreamSourceConfiguration: { KinesisStreamARN: 'arn:aws:kinesis:us-east-1:000000000000:stream/s', RoleARN: ROLE } }),
      ),
    ),
    'InvalidArgumentException',
    'KinesisSourceStreamConfig is only applicable for KinesisStreamAsSource stream type',
  );
  await fails(
    firehose.send(new CreateDeliveryStreamCommand(s3Stream('cmk', { DeliveryStreamEncryptionConfigurationInput: { KeyType: 'CUSTOMER_MANAGED_CMK' } }))),
    'InvalidArgumentException',
    'KeyARN must be provided when KeyType is CUSTOMER_MANAGED_CMK.',
  );
  // Nothing refused was created.
  const names = (await firehose.send(new ListDeliveryStreamsCommand({ Limit: 100 }))).DeliveryStreamNames!;
  for (const refused of ['zone', 'none', 'two', 'redshift', 'msk', 'dbsrc', 'dpsmall', 'prefix', 'orc', 'kds', 'kds2', 'cmk']) assert.ok(!names.includes(refused), refused);
});

test('model validation: AWS texts with lowerCamel member paths (§2, §17)', async () => {
  await fails(
    firehose.send(new CreateDeliveryStreamCommand(s3Stream('bad name'))),
    'ValidationException',
    "1 validation error detected: Value 'bad name' at 'deliveryStreamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+",
  );
  await fails(
    firehose.send(new CreateDeliveryStreamCommand(s3Stream('enum', { ExtendedS3DestinationConfiguration: { RoleARN: ROLE, BucketARN: BUCKET, CompressionFormat: 'gzip' as any } }))),
    'ValidationException',
    "1 validation error detected: Value 'gzip' at 'extendedS3DestinationConfiguration.compressionFormat' failed to satisfy constraint: Member must satisfy enum value set: [ZIP, HADOOP_SNAPPY, Snappy, GZIP, UNCOMPRESSED]",
  );
  await fails(
    firehose.send(new CreateDeliveryStreamCommand({ DeliveryStreamName: 'nulls', ExtendedS3DestinationConfiguration: {} as any })),
    'ValidationException',
    "2 validation errors detected: Value null at 'extendedS3DestinationConfiguration.bucketARN' failed to satisfy constraint: Member must not be null; Value null at 'extendedS3DestinationConfiguration.roleARN' failed to satisfy constraint: Member must not be null",
  );
  await fails(
    firehose.send(new CreateDeliveryStreamCommand(s3Stream('buffer', { ExtendedS3DestinationConfiguration: { RoleARN: ROLE, BucketARN: BUCKET, BufferingHints: { SizeInMBs: 129, IntervalInSeconds: 901 } } }))),
    'ValidationException',
    "2 validation errors detected: Value '901' at 'extendedS3DestinationConfiguration.bufferingHints.intervalInSeconds' failed to satisfy constraint: Member must have value less than or equal to 900; Value '129' at 'extendedS3DestinationConfiguration.bufferingHints.sizeInMBs' failed to satisfy constraint: Member must have value less than or equal to 128",
  );
  await fails(
    firehose.send(new CreateDeliveryStreamCommand(s3Stream('tagged', { Tags: [{ Key: 'aws:reserved', Value: 'x' }] }))),
    'ValidationException',
    "1 validation error detected: Value 'aws:reserved' at 'tags.1.member.key' failed to satisfy constraint: Member must satisfy regular expression pattern: ^(?!aws:)[\\p{L}\\p{Z}\\p{N}_.:\\/=+\\-@%]*$",
  );
  await fails(
    firehose.send(new ListDeliveryStreamsCommand({ Limit: 0 })),
    'ValidationException',
    "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1",
  );
});

test('HTTP endpoint: http:// accepted (documented deviation), AccessKey never described, defaults filled', async () => {
  await firehose.send(
    new CreateDeliveryStreamCommand({
      DeliveryStreamName: 'http',
      HttpEndpointDestinationConfiguration: {
        EndpointConfiguration: { Url: 'http://127.0.0.1:9999/ingest', Name: 'local', AccessKey: 'very-secret' },
        S3Configuration: { RoleARN: ROLE, BucketARN: BUCKET },
      },
    }),
  );
  const destination = (await describe('http')).Destinations![0];
  const description = destination.HttpEndpointDestinationDescription!;
  assert.deepEqual(description.EndpointConfiguration, { Url: 'http://127.0.0.1:9999/ingest', Name: 'local' });
  assert.deepEqual(description.BufferingHints, { SizeInMBs: 5, IntervalInSeconds: 300 });
  assert.deepEqual(description.RetryOptions, { DurationInSeconds: 300 });
  assert.equal(description.S3BackupMode, 'FailedDataOnly');
  assert.deepEqual(description.RequestConfiguration, { ContentEncoding: 'NONE' });
  assert.equal(description.S3DestinationDescription!.CompressionFormat, 'UNCOMPRESSED');
  assert.ok(!JSON.stringify(destination).includes('very-secret'));
  // The secret is kept for delivery, only not described.
  const stored = await server.store.meta.get<any>(deliveryStreamKey(ACCOUNT, 'us-east-1', 'http'));
  assert.equal(stored!.value.secrets.httpEndpointAccessKey, 'very-secret');
  await fails(
    firehose.send(
      new CreateDeliveryStreamCommand({
        DeliveryStreamName: 'ftp',
        HttpEndpointDestinationConfiguration: { EndpointConfiguration: { Url: 'ftp://host/' }, S3Configuration: { RoleARN: ROLE, BucketARN: BUCKET } },
      }),
    ),
    'ValidationException',
    "1 validation error detected: Value 'ftp://host/' at 'httpEndpointDestinationConfiguration.endpointConfiguration.url' failed to satisfy constraint: Member must satisfy regular expression pattern: https?://.*",
  );
});

test('KinesisStreamAsSource: the source must exist; Describe shows it; no SSE; puts refused (§1 fact 6)', async () => {
  const arn = `arn:aws:kinesis:us-east-1:${ACCOUNT}:stream/fh-source`;
  const config = { DeliveryStreamType: 'KinesisStreamAsSource' as const, KinesisStreamSourceConfiguration: { KinesisStreamARN: arn, RoleARN: ROLE } };
  await fails(firehose.send(new CreateDeliveryStreamCommand(s3Stream('from-kds', config))), 'InvalidArgumentException', `The Kinesis stream ${arn} does not exist or is not ACTIVE.`);
  await server.client().send(new CreateStreamCommand({ StreamName: 'fh-source', ShardCount: 1 }));
  const before = Date.now();
  await firehose.send(new CreateDeliveryStreamCommand(s3Stream('from-kds', config)));
  const d = await describe('from-kds');
  assert.equal(d.DeliveryStreamType, 'KinesisStreamAsSource');
  assert.equal(d.DeliveryStreamEncryptionConfiguration, undefined);
  const source = d.Source!.KinesisStreamSourceDescription!;
  assert.equal(source.KinesisStreamARN, arn);
  assert.equal(source.RoleARN, ROLE);
  assert.ok(source.DeliveryStartTimestamp!.getTime() >= before - 1000);
  await fails(
    firehose.send(new PutRecordCommand({ DeliveryStreamName: 'from-kds', Record: { Data: Buffer.from('x') } })),
    'InvalidArgumentException',
    'This operation is not permitted on KinesisStreamAsSource delivery stream type.',
  );
  await fails(
    firehose.send(new StartDeliveryStreamEncryptionCommand({ DeliveryStreamName: 'from-kds' })),
    'InvalidArgumentException',
    'Server-side encryption is only supported for DirectPut delivery streams.',
  );
  const kdsOnly = await firehose.send(new ListDeliveryStreamsCommand({ DeliveryStreamType: 'KinesisStreamAsSource' }));
  assert.deepEqual(kdsOnly.DeliveryStreamNames, ['from-kds']);
});

test('not found and duplicate texts (§17)', async () => {
  await fails(firehose.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: 'missing' })), 'ResourceNotFoundException', `Firehose missing under account ${ACCOUNT} not found.`);
  await fails(firehose.send(new DeleteDeliveryStreamCommand({ DeliveryStreamName: 'missing' })), 'ResourceNotFoundException', `Firehose missing under account ${ACCOUNT} not found.`);
  await fails(firehose.send(new TagDeliveryStreamCommand({ DeliveryStreamName: 'missing', Tags: [{ Key: 'a' }] })), 'ResourceNotFoundException', `Firehose missing under account ${ACCOUNT} not found.`);
  await firehose.send(new CreateDeliveryStreamCommand(s3Stream('dup')));
  await fails(firehose.send(new CreateDeliveryStreamCommand(s3Stream('dup'))), 'ResourceInUseException', `Firehose dup under accountId ${ACCOUNT} already exists`);
});

test('ListDeliveryStreams: name order, Limit default 10, paging, type filter (§4)', async () => {
  const other = client('eu-central-1');
  try {
    const names = Array.from({ length: 12 }, (_, i) => `list-${String(11 - i).padStart(2, '0')}`);
    for (const name of names) await other.send(new CreateDeliveryStreamCommand(s3Stream(name)));
    const first = await other.send(new ListDeliveryStreamsCommand({}));
    assert.deepEqual(first.DeliveryStreamNames, [...names].sort().slice(0, 10));
    assert.equal(first.HasMoreDeliveryStreams, true);
    const rest = await other.send(new ListDeliveryStreamsCommand({ ExclusiveStartDeliveryStreamName: first.DeliveryStreamNames!.at(-1) }));
    assert.deepEqual(rest.DeliveryStreamNames, ['list-10', 'list-11']);
    assert.equal(rest.HasMoreDeliveryStreams, false);
    const page = await other.send(new ListDeliveryStreamsCommand({ Limit: 12 }));
    assert.equal(page.DeliveryStreamNames!.length, 12);
    assert.equal(page.HasMoreDeliveryStreams, false);
    const direct = await other.send(new ListDeliveryStreamsCommand({ DeliveryStreamType: 'KinesisStreamAsSource' }));
    assert.deepEqual(direct.DeliveryStreamNames, []);
  } finally {
    other.destroy();
  }
});

test('tags: replace by key, sorted pages, unknown keys ignored, 50 at most (§4, §16)', async () => {
  await firehose.send(new CreateDeliveryStreamCommand(s3Stream('tags', { Tags: [{ Key: 'b', Value: '1' }, { Key: 'a' }] })));
  await firehose.send(new TagDeliveryStreamCommand({ DeliveryStreamName: 'tags', Tags: [{ Key: 'b', Value: '2' }, { Key: 'c', Value: '3' }] }));
  const all = await firehose.send(new ListTagsForDeliveryStreamCommand({ DeliveryStreamName: 'tags' }));
  assert.deepEqual(all.Tags, [{ Key: 'a' }, { Key: 'b', Value: '2' }, { Key: 'c', Value: '3' }]);
  assert.equal(all.HasMoreTags, false);
  const page = await firehose.send(new ListTagsForDeliveryStreamCommand({ DeliveryStreamName: 'tags', Limit: 1, ExclusiveStartTagKey: 'a' }));
  assert.deepEqual(page.Tags, [{ Key: 'b', Value: '2' }]);
  assert.equal(page.HasMoreTags, true);
  await firehose.send(new UntagDeliveryStreamCommand({ DeliveryStreamName: 'tags', TagKeys: ['a', 'nope'] }));
  assert.deepEqual((await firehose.send(new ListTagsForDeliveryStreamCommand({ DeliveryStreamName: 'tags' }))).Tags!.map((t) => t.Key), ['b', 'c']);
  const many = Array.from({ length: 48 }, (_, i) => ({ Key: `k${i}`, Value: 'v' }));
  await firehose.send(new TagDeliveryStreamCommand({ DeliveryStreamName: 'tags', Tags: many }));
  await fails(firehose.send(new TagDeliveryStreamCommand({ DeliveryStreamName: 'tags', Tags: [{ Key: 'one-too-many' }] })), 'LimitExceededException', 'A Firehose can have at most 50 tags.');
  await fails(
    firehose.send(new TagDeliveryStreamCommand({ DeliveryStreamName: 'tags', Tags: Array.from({ length: 51 }, (_, i) => ({ Key: `x${i}` })) })),
    'ValidationException',
    /^1 validation error detected: Value '\[.*\]' at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50$/,
  );
});

test('UpdateDestination: version check, merge for the same type, replace for another, refused changes (§4)', async () => {
  await firehose.send(
    new CreateDeliveryStreamCommand(
      s3Stream('update', { ExtendedS3DestinationConfiguration: { RoleARN: ROLE, BucketARN: BUCKET, CompressionFormat: 'GZIP', Prefix: 'a/', S3BackupMode: 'Enabled', S3BackupConfiguration: { RoleARN: ROLE, BucketARN: 'arn:aws:s3:::backup' } } }),
    ),
  );
  const base = { DeliveryStreamName: 'update', DestinationId: 'destinationId-000000000001' };
  await fails(
    firehose.send(new UpdateDestinationCommand({ ...base, CurrentDeliveryStreamVersionId: '2', ExtendedS3DestinationUpdate: { Prefix: 'b/' } })),
    'ConcurrentModificationException',
    'Cannot update firehose: update since the current version id: 1 and specified version id: 2 do not match',
  );
  await fails(
    firehose.send(new UpdateDestinationCommand({ ...base, DestinationId: 'destinationId-000000000002', CurrentDeliveryStreamVersionId: '1', ExtendedS3DestinationUpdate: { Prefix: 'b/' } })),
    'InvalidArgumentException',
    'Destination Id destinationId-000000000002 not found',
  );
  await fails(
    firehose.send(new UpdateDestinationCommand({ ...base, CurrentDeliveryStreamVersionId: '1', ExtendedS3DestinationUpdate: { DynamicPartitioningConfiguration: { Enabled: true } } })),
    'InvalidArgumentException',
    'Dynamic Partitioning cannot be enabled or disabled on an existing Firehose.',
  );
  await fails(
    firehose.send(new UpdateDestinationCommand({ ...base, CurrentDeliveryStreamVersionId: '1', ExtendedS3DestinationUpdate: { S3BackupMode: 'Disabled' } })),
    'InvalidArgumentException',
    'S3BackupMode cannot be changed from Enabled to Disabled.',
  );
  await fails(
    firehose.send(new UpdateDestinationCommand({ ...base, CurrentDeliveryStreamVersionId: '1', ExtendedS3DestinationUpdate: { Prefix: '!{timestamp:yyyy}/' } })),
    'InvalidArgumentException',
    'Ths supplied prefix(es) do not satisfy the following constraint: ErrorOutputPrefix cannot be null or empty when Prefix contains expressions',
  );
  await fails(
    firehose.send(
      new UpdateDestinationCommand({
        ...base,
        CurrentDeliveryStreamVersionId: '1',
        AmazonopensearchserviceDestinationUpdate: { IndexName: 'i', ClusterEndpoint: 'https://search.example.com' },
      }),
    ),
    'InvalidArgumentException',
    'Changing the destination type to or from OpenSearch or Elasticsearch is not supported.',
  );
  await fails(
    firehose.send(new UpdateDestinationCommand({ ...base, CurrentDeliveryStreamVersionId: '1', HttpEndpointDestinationUpdate: { EndpointConfiguration: { Url: 'https://example.com/' } } })),
    'InvalidArgumentException',
    'Changing the destination type to HttpEndpoint requires S3Configuration in HttpEndpointDestinationUpdate.',
  );
  assert.equal((await describe('update')).VersionId, '1', 'refused updates change nothing');

  await firehose.send(new UpdateDestinationCommand({ ...base, CurrentDeliveryStreamVersionId: '1', ExtendedS3DestinationUpdate: { Prefix: 'b/', BufferingHints: { SizeInMBs: 10 } } }));
  let d = await describe('update');
  assert.equal(d.VersionId, '2');
  assert.equal(d.DeliveryStreamStatus, 'ACTIVE');
  assert.ok(d.LastUpdateTimestamp instanceof Date);
  const merged = d.Destinations![0].ExtendedS3DestinationDescription!;
  assert.equal(merged.Prefix, 'b/');
  assert.equal(merged.CompressionFormat, 'GZIP', 'unspecified members are kept');
  assert.deepEqual(merged.BufferingHints, { SizeInMBs: 10, IntervalInSeconds: 300 });
  assert.equal(merged.S3BackupMode, 'Enabled');
  assert.equal(merged.S3BackupDescription!.BucketARN, 'arn:aws:s3:::backup');
  assert.equal(d.Destinations![0].S3DestinationDescription!.Prefix, 'b/', 'the mirror follows');

  await firehose.send(
    new UpdateDestinationCommand({
      ...base,
      CurrentDeliveryStreamVersionId: '2',
      HttpEndpointDestinationUpdate: { EndpointConfiguration: { Url: 'https://example.com/', AccessKey: 'k' }, S3Update: { RoleARN: ROLE, BucketARN: BUCKET } },
    }),
  );
  d = await describe('update');
  assert.equal(d.VersionId, '3');
  const replaced = d.Destinations![0];
  assert.equal(replaced.ExtendedS3DestinationDescription, undefined);
  assert.equal(replaced.S3DestinationDescription, undefined);
  assert.deepEqual(replaced.HttpEndpointDestinationDescription!.EndpointConfiguration, { Url: 'https://example.com/' });
  assert.equal(replaced.HttpEndpointDestinationDescription!.S3DestinationDescription!.BucketARN, BUCKET);
});

test('SSE: start, stop, key rules, Encrypted on puts (§4)', async () => {
  await firehose.send(new CreateDeliveryStreamCommand(s3Stream('sse')));
  await firehose.send(new StartDeliveryStreamEncryptionCommand({ DeliveryStreamName: 'sse', DeliveryStreamEncryptionConfigurationInput: { KeyType: 'AWS_OWNED_CMK' } }));
  assert.deepEqual((await describe('sse')).DeliveryStreamEncryptionConfiguration, { Status: 'ENABLED', KeyType: 'AWS_OWNED_CMK' });
  assert.equal((await firehose.send(new PutRecordCommand({ DeliveryStreamName: 'sse', Record: { Data: Buffer.from('a') } }))).Encrypted, true);
  const key = 'arn:aws:kms:us-east-1:123456789012:key/abcd';
  await fails(
    firehose.send(new StartDeliveryStreamEncryptionCommand({ DeliveryStreamName: 'sse', DeliveryStreamEncryptionConfigurationInput: { KeyType: 'AWS_OWNED_CMK', KeyARN: key } })),
    'InvalidArgumentException',
    'KeyARN must not be provided when KeyType is AWS_OWNED_CMK.',
  );
  await firehose.send(new StartDeliveryStreamEncryptionCommand({ DeliveryStreamName: 'sse', DeliveryStreamEncryptionConfigurationInput: { KeyType: 'CUSTOMER_MANAGED_CMK', KeyARN: key } }));
  assert.deepEqual((await describe('sse')).DeliveryStreamEncryptionConfiguration, { Status: 'ENABLED', KeyType: 'CUSTOMER_MANAGED_CMK', KeyARN: key });
  await firehose.send(new StopDeliveryStreamEncryptionCommand({ DeliveryStreamName: 'sse' }));
  assert.deepEqual((await describe('sse')).DeliveryStreamEncryptionConfiguration, { Status: 'DISABLED' });
  assert.equal((await firehose.send(new PutRecordCommand({ DeliveryStreamName: 'sse', Record: { Data: Buffer.from('b') } }))).Encrypted, false);
  // 25 changes per stream in 24 hours (§16): 3 made, 22 more allowed.
  for (let i = 0; i < 22; i++) await firehose.send(new StopDeliveryStreamEncryptionCommand({ DeliveryStreamName: 'sse' }));
  await fails(
    firehose.send(new StartDeliveryStreamEncryptionCommand({ DeliveryStreamName: 'sse' })),
    'LimitExceededException',
    'Firehose sse has reached the limit of 25 StartDeliveryStreamEncryption and StopDeliveryStreamEncryption calls in 24 hours.',
  );
});

test('lifecycle: CREATING for --create-delivery-stream-ms, Delete refused then; DELETING, then gone (§3)', { timeout: 30_000 }, async () => {
  const config = server.firehose.config;
  config.createDeliveryStreamMs = 400;
  config.deleteDeliveryStreamMs = 400;
  try {
    await firehose.send(new CreateDeliveryStreamCommand(s3Stream('life')));
    assert.equal((await describe('life')).DeliveryStreamStatus, 'CREATING');
    await fails(
      firehose.send(new PutRecordCommand({ DeliveryStreamName: 'life', Record: { Data: Buffer.from('x') } })),
      'ResourceInUseException',
      `Firehose life under account ${ACCOUNT} is not ACTIVE, instead in state CREATING.`,
    );
    await fails(
      firehose.send(new DeleteDeliveryStreamCommand({ DeliveryStreamName: 'life' })),
      'ResourceInUseException',
      `Firehose life under account ${ACCOUNT} is in CREATING state and cannot be deleted.`,
    );
    while ((await describe('life')).DeliveryStreamStatus === 'CREATING') await new Promise((r) => setTimeout(r, 50));
    assert.equal((await describe('life')).DeliveryStreamStatus, 'ACTIVE');
    await firehose.send(new DeleteDeliveryStreamCommand({ DeliveryStreamName: 'life', AllowForceDelete: true }));
    assert.equal((await describe('life')).DeliveryStreamStatus, 'DELETING');
    // DELETING "might continue to accept records" (§3).
    await firehose.send(new PutRecordCommand({ DeliveryStreamName: 'life', Record: { Data: Buffer.from('late') } }));
    await assert.rejects(async () => {
      for (;;) {
        await describe('life');
        await new Promise((r) => setTimeout(r, 50));
      }
    }, /ResourceNotFoundException|not found/);
    assert.ok(!(await firehose.send(new ListDeliveryStreamsCommand({ Limit: 100 }))).DeliveryStreamNames!.includes('life'));
    // Nobody reads this one: the lifecycle sweep purges it, its ingest log with it.
    config.createDeliveryStreamMs = 0;
    await firehose.send(new CreateDeliveryStreamCommand(s3Stream('swept')));
    await firehose.send(new PutRecordCommand({ DeliveryStreamName: 'swept', Record: { Data: Buffer.from('gone') } }));
    const key = deliveryStreamKey(ACCOUNT, 'us-east-1', 'swept');
    const document = (await server.store.meta.get<any>(key))!.value;
    const readLog = async () => (await server.store.records.read(ingestLogName(document), 0, { limit: 10, maxBytes: 1 << 20, notBefore: 0 })).records.length;
    assert.equal(await readLog(), 1);
    await firehose.send(new DeleteDeliveryStreamCommand({ DeliveryStreamName: 'swept' }));
    while (await server.store.meta.get(key)) await new Promise((r) => setTimeout(r, 100));
    assert.equal(await readLog(), 0);
  } finally {
    config.createDeliveryStreamMs = 0;
    config.deleteDeliveryStreamMs = 0;
  }
  // With no delay a deleted stream is gone at once and its name can be used again.
  await firehose.send(new CreateDeliveryStreamCommand(s3Stream('again')));
  await firehose.send(new DeleteDeliveryStreamCommand({ DeliveryStreamName: 'again' }));
  await fails(firehose.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: 'again' })), 'ResourceNotFoundException', `Firehose again under account ${ACCOUNT} not found.`);
  await firehose.send(new CreateDeliveryStreamCommand(s3Stream('again')));
  assert.equal((await describe('again')).VersionId, '1');
});

test(`the quota of ${DELIVERY_STREAM_QUOTA} delivery streams per account and region (§16)`, async () => {
  const region = 'ap-south-2';
  // The first 4,999 documents written straight into the store: 5,000 creates through the API would be slow.
  const template = { account: ACCOUNT, region, status: 'ACTIVE', type: 'DirectPut', version: 1, createTimestamp: Date.now(), tags: [], secrets: {} };
  for (let start = 0; start < DELIVERY_STREAM_QUOTA - 1; start += 500) {
    await Promise.all(
      Array.from({ length: Math.min(500, DELIVERY_STREAM_QUOTA - 1 - start) }, (_, i) => {
        const name = `q${start + i}`;
        return server.store.meta.put(deliveryStreamKey(ACCOUNT, region, name), { ...template, name, incarnation: `q-${start + i}`, arn: `arn:aws:firehose:${region}:${ACCOUNT}:deliverystream/${name}`, destination: { DestinationId: 'destinationId-000000000001', S3DestinationDescription: {} } }, 0);
      }),
    );
  }
  const other = client(region);
  try {
    await other.send(new CreateDeliveryStreamCommand(s3Stream('last-one')));
    await fails(other.send(new CreateDeliveryStreamCommand(s3Stream('over'))), 'LimitExceededException', `You have already consumed your firehose quota of ${DELIVERY_STREAM_QUOTA} hoses.`);
  } finally {
    other.destroy();
  }
});

const CLIENT_ENV = {
  ...process.env,
  AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'secret',
  AWS_DEFAULT_REGION: 'us-east-1',
  AWS_DEFAULT_OUTPUT: 'json',
  AWS_CONFIG_FILE: '/nonexistent/millrace-config',
  AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/millrace-credentials',
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_MAX_ATTEMPTS: '1',
  AWS_PAGER: '',
};

function run(command: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { env: CLIENT_ENV, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

test('the AWS CLI creates, describes, lists and deletes delivery streams and reports errors', async (t) => {
  if (!(await available('aws', ['--version']))) return t.skip('`aws --version` does not run here');
  const aws = (...args: string[]) => run('aws', ['--endpoint-url', server.endpoint, 'firehose', ...args]);
  const created = await aws('create-delivery-stream', '--delivery-stream-name', 'cli', '--extended-s3-destination-configuration', `RoleARN=${ROLE},BucketARN=${BUCKET}`);
  assert.equal(created.code, 0, created.stderr);
  assert.equal(JSON.parse(created.stdout).DeliveryStreamARN, `arn:aws:firehose:us-east-1:${ACCOUNT}:deliverystream/cli`);
  const described = await aws('describe-delivery-stream', '--delivery-stream-name', 'cli');
  assert.equal(described.code, 0, described.stderr);
  assert.equal(JSON.parse(described.stdout).DeliveryStreamDescription.Destinations[0].DestinationId, 'destinationId-000000000001');
  const listed = await aws('list-delivery-streams');
  assert.ok(JSON.parse(listed.stdout).DeliveryStreamNames.includes('cli'));
  const missing = await aws('describe-delivery-stream', '--delivery-stream-name', 'cli-missing');
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /An error occurred \(ResourceNotFoundException\) when calling the DescribeDeliveryStream operation: Firehose cli-missing under account 000000000000 not found\./);
  const deleted = await aws('delete-delivery-stream', '--delivery-stream-name', 'cli');
  assert.equal(deleted.code, 0, deleted.stderr);
});

const BOTO3_SCRIPT = `
import json, sys
import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

c = boto3.client('firehose', endpoint_url=sys.argv[1], region_name='us-east-1',
    aws_access_key_id='AKIDEXAMPLE', aws_secret_access_key='secret',
    config=Config(retries={'max_attempts': 1, 'mode': 'standard'}))
role, bucket = sys.argv[2], sys.argv[3]
def error(call):
    try:
        call()
    except ClientError as e:
        return [e.response['Error']['Code'], e.response['Error'].get('Message'), e.response['ResponseMetadata']['HTTPStatusCode']]
    return None
out = {}
c.create_delivery_stream(DeliveryStreamName='boto', S3DestinationConfiguration={'RoleARN': role, 'BucketARN': bucket}, Tags=[{'Key': 'team', 'Value': 'data'}])
d = c.describe_delivery_stream(DeliveryStreamName='boto')['DeliveryStreamDescription']
out['status'] = d['DeliveryStreamStatus']
out['version'] = d['VersionId']
out['created'] = d['CreateTimestamp'].timestamp()
out['destination'] = d['Destinations'][0]
out['tags'] = c.list_tags_for_delivery_stream(DeliveryStreamName='boto')['Tags']
c.update_destination(DeliveryStreamName='boto', CurrentDeliveryStreamVersionId='1', DestinationId='destinationId-000000000001', S3DestinationUpdate={'Prefix': 'p/'})
out['updated'] = c.describe_delivery_stream(DeliveryStreamName='boto')['DeliveryStreamDescription']['Destinations'][0]['S3DestinationDescription']['Prefix']
out['stale'] = error(lambda: c.update_destination(DeliveryStreamName='boto', CurrentDeliveryStreamVersionId='1', DestinationId='destinationId-000000000001', S3DestinationUpdate={'Prefix': 'q/'}))
out['missing'] = error(lambda: c.describe_delivery_stream(DeliveryStreamName='boto-missing'))
print(json.dumps(out))
`;

test('boto3: create with the legacy S3 destination, describe, tags, update, errors', async (t) => {
  if (!(await available('python3', ['-c', 'import boto3']))) return t.skip("`python3 -c 'import boto3'` fails here");
  const result = await run('python3', ['-c', BOTO3_SCRIPT, server.endpoint, ROLE, BUCKET]);
  assert.equal(result.code, 0, result.stderr);
  const out = JSON.parse(result.stdout);
  assert.equal(out.status, 'ACTIVE');
  assert.equal(out.version, '1');
  assert.ok(Math.abs(out.created - Date.now() / 1000) < 600);
  assert.deepEqual(out.destination, {
    DestinationId: 'destinationId-000000000001',
    S3DestinationDescription: {
      RoleARN: ROLE,
      BucketARN: BUCKET,
      Prefix: '',
      BufferingHints: { SizeInMBs: 5, IntervalInSeconds: 300 },
      CompressionFormat: 'UNCOMPRESSED',
      EncryptionConfiguration: { NoEncryptionConfig: 'NoEncryption' },
      CloudWatchLoggingOptions: { Enabled: false },
    },
  });
  assert.deepEqual(out.tags, [{ Key: 'team', Value: 'data' }]);
  assert.equal(out.updated, 'p/');
  assert.deepEqual(out.stale, ['ConcurrentModificationException', 'Cannot update firehose: boto since the current version id: 2 and specified version id: 1 do not match', 400]);
  assert.deepEqual(out.missing, ['ResourceNotFoundException', `Firehose boto-missing under account ${ACCOUNT} not found.`, 400]);
});

test('OpenSearch and Splunk destinations: their defaults, their backup-mode rules; HttpEndpoint keeps its AccessKey across a merge', async () => {
  await firehose.send(
    new CreateDeliveryStreamCommand({
      DeliveryStreamName: 'search',
      AmazonopensearchserviceDestinationConfiguration: { RoleARN: ROLE, IndexName: 'logs', ClusterEndpoint: 'https://search.example.com', S3Configuration: { RoleARN: ROLE, BucketARN: BUCKET } },
    }),
  );
  const search = (await describe('search')).Destinations![0].AmazonopensearchserviceDestinationDescription!;
  assert.equal(search.IndexRotationPeriod, 'OneDay');
  assert.equal(search.S3BackupMode, 'FailedDocumentsOnly');
  assert.deepEqual(search.RetryOptions, { DurationInSeconds: 300 });
  assert.deepEqual(search.BufferingHints, { SizeInMBs: 5, IntervalInSeconds: 300 });
  // The model's update shape has no S3BackupMode: the mode is fixed at create (§4); other members merge.
  await firehose.send(
    new UpdateDestinationCommand({ DeliveryStreamName: 'search', DestinationId: 'destinationId-000000000001', CurrentDeliveryStreamVersionId: '1', AmazonopensearchserviceDestinationUpdate: { IndexName: 'logs2', IndexRotationPeriod: 'OneHour' } }),
  );
  const searchUpdated = (await describe('search')).Destinations![0].AmazonopensearchserviceDestinationDescription!;
  assert.equal(searchUpdated.IndexName, 'logs2');
  assert.equal(searchUpdated.IndexRotationPeriod, 'OneHour');
  assert.equal(searchUpdated.ClusterEndpoint, 'https://search.example.com');
  assert.equal(searchUpdated.S3BackupMode, 'FailedDocumentsOnly');

  await firehose.send(
    new CreateDeliveryStreamCommand({
      DeliveryStreamName: 'splunk',
      SplunkDestinationConfiguration: { HECEndpoint: 'https://splunk.example.com:8088', HECEndpointType: 'Raw', HECToken: 'token', S3Configuration: { RoleARN: ROLE, BucketARN: BUCKET } },
    }),
  );
  const splunk = (await describe('splunk')).Destinations![0].SplunkDestinationDescription!;
  assert.deepEqual(splunk.BufferingHints, { SizeInMBs: 5, IntervalInSeconds: 60 });
  assert.equal(splunk.HECAcknowledgmentTimeoutInSeconds, 180);
  assert.equal(splunk.S3BackupMode, 'FailedEventsOnly');
  const splunkBase = { DeliveryStreamName: 'splunk', DestinationId: 'destinationId-000000000001' };
  await firehose.send(new UpdateDestinationCommand({ ...splunkBase, CurrentDeliveryStreamVersionId: '1', SplunkDestinationUpdate: { S3BackupMode: 'AllEvents' } }));
  await fails(
    firehose.send(new UpdateDestinationCommand({ ...splunkBase, CurrentDeliveryStreamVersionId: '2', SplunkDestinationUpdate: { S3BackupMode: 'FailedEventsOnly' } })),
    'InvalidArgumentException',
    'S3BackupMode can only be changed from FailedEventsOnly to AllEvents.',
  );

  await firehose.send(
    new CreateDeliveryStreamCommand({
      DeliveryStreamName: 'http-merge',
      HttpEndpointDestinationConfiguration: { EndpointConfiguration: { Url: 'https://a.example.com/', AccessKey: 'kept' }, S3Configuration: { RoleARN: ROLE, BucketARN: BUCKET, CompressionFormat: 'GZIP' } },
    }),
  );
  await firehose.send(
    new UpdateDestinationCommand({
      DeliveryStreamName: 'http-merge',
      DestinationId: 'destinationId-000000000001',
      CurrentDeliveryStreamVersionId: '1',
      HttpEndpointDestinationUpdate: { EndpointConfiguration: { Url: 'https://b.example.com/' }, S3Update: { Prefix: 'backup/' } },
    }),
  );
  const http = (await describe('http-merge')).Destinations![0].HttpEndpointDestinationDescription!;
  assert.equal(http.EndpointConfiguration!.Url, 'https://b.example.com/');
  assert.equal(http.S3DestinationDescription!.Prefix, 'backup/');
  assert.equal(http.S3DestinationDescription!.CompressionFormat, 'GZIP');
  const stored = await server.store.meta.get<any>(deliveryStreamKey(ACCOUNT, 'us-east-1', 'http-merge'));
  assert.equal(stored!.value.secrets.httpEndpointAccessKey, 'kept');
});
