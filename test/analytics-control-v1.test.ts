import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  KinesisAnalyticsClient,
  AddApplicationCloudWatchLoggingOptionCommand,
  AddApplicationInputCommand,
  AddApplicationInputProcessingConfigurationCommand,
  AddApplicationOutputCommand,
  AddApplicationReferenceDataSourceCommand,
  CreateApplicationCommand,
  DeleteApplicationCloudWatchLoggingOptionCommand,
  DeleteApplicationCommand,
  DeleteApplicationInputProcessingConfigurationCommand,
  DeleteApplicationOutputCommand,
  DeleteApplicationReferenceDataSourceCommand,
  DescribeApplicationCommand,
  DiscoverInputSchemaCommand,
  ListApplicationsCommand,
  ListTagsForResourceCommand,
  StartApplicationCommand,
  StopApplicationCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateApplicationCommand,
} from '@aws-sdk/client-kinesis-analytics';
import {
  KinesisAnalyticsV2Client,
  CreateApplicationCommand as CreateV2,
  DescribeApplicationCommand as DescribeV2,
  UpdateApplicationCommand as UpdateV2,
} from '@aws-sdk/client-kinesis-analytics-v2';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { startTestServer, type TestServer } from './helpers.js';

/**
 * The v1 control plane (ANALYTICS-SPEC §2.2, issue 15 §2) through the last published v1 JS client,
 * @aws-sdk/client-kinesis-analytics 3.637.0, and the namespace it shares with v2.
 */

let server: TestServer;
let v1: KinesisAnalyticsClient;
let v2: KinesisAnalyticsV2Client;
const ACCOUNT = '000000000000';
const ROLE = 'arn:aws:iam::123456789012:role/kda';
const STREAM_IN = 'arn:aws:kinesis:us-east-1:000000000000:stream/in';
const STREAM_OUT = 'arn:aws:kinesis:us-east-1:000000000000:stream/out';
const LAMBDA = 'arn:aws:lambda:us-east-1:000000000000:function:pre';

before(async () => {
  server = await startTestServer();
  const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };
  v1 = new KinesisAnalyticsClient({ endpoint: server.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
  v2 = new KinesisAnalyticsV2Client({ endpoint: server.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
});
after(async () => {
  v1.destroy();
  v2.destroy();
  await server.stop();
});

async function fails(call: Promise<unknown>, type: string, message: string): Promise<void> {
  await assert.rejects(call, (err: any) => {
    assert.equal(err.name, type, err.message);
    assert.equal(err.message, message);
    return true;
  });
}

const describe = async (name: string) => (await v1.send(new DescribeApplicationCommand({ ApplicationName: name }))).ApplicationDetail!;

const schema = { RecordFormat: { RecordFormatType: 'JSON' as const, MappingParameters: { JSONMappingParameters: { RecordRowPath: '$' } } }, RecordEncoding: 'UTF-8', RecordColumns: [{ Name: 'ticker', SqlType: 'VARCHAR(4)', Mapping: '$.ticker' }] };

test('CreateApplication: READY, ids 1.1, in-app stream names, the recorded description', async () => {
  const created = await v1.send(
    new CreateApplicationCommand({
      ApplicationName: 'sql1',
      ApplicationDescription: 'first',
      ApplicationCode: 'CREATE OR REPLACE STREAM "DEST_SQL_STREAM" (ticker VARCHAR(4));',
      Inputs: [{ NamePrefix: 'SOURCE_SQL_STREAM', KinesisStreamsInput: { ResourceARN: STREAM_IN, RoleARN: ROLE }, InputSchema: schema }],
      Outputs: [{ Name: 'DEST_SQL_STREAM', KinesisStreamsOutput: { ResourceARN: STREAM_OUT, RoleARN: ROLE }, DestinationSchema: { RecordFormatType: 'JSON' } }],
      Tags: [{ Key: 'team', Value: 'a' }],
    }),
  );
  assert.deepEqual(created.ApplicationSummary, { ApplicationName: 'sql1', ApplicationARN: `arn:aws:kinesisanalytics:us-east-1:${ACCOUNT}:application/sql1`, ApplicationStatus: 'READY' });
  const d = await describe('sql1');
  assert.equal(d.ApplicationVersionId, 1);
  assert.equal(d.ApplicationStatus, 'READY');
  assert.equal(d.ApplicationDescription, 'first');
  assert.equal(d.ApplicationCode, 'CREATE OR REPLACE STREAM "DEST_SQL_STREAM" (ticker VARCHAR(4));');
  assert.ok(d.CreateTimestamp instanceof Date);
  // The recorded boto3 sample (§1 fact 6): InputId 1.1, SOURCE_SQL_STREAM_001, parallelism 1, an empty starting position.
  assert.deepEqual(d.InputDescriptions, [
    {
      InputId: '1.1',
      NamePrefix: 'SOURCE_SQL_STREAM',
      InAppStreamNames: ['SOURCE_SQL_STREAM_001'],
      KinesisStreamsInputDescription: { ResourceARN: STREAM_IN, RoleARN: ROLE },
      InputSchema: schema,
      InputParallelism: { Count: 1 },
      InputStartingPositionConfiguration: {},
    },
  ]);
  assert.deepEqual(d.OutputDescriptions, [
    { OutputId: '1.1', Name: 'DEST_SQL_STREAM', KinesisStreamsOutputDescription: { ResourceARN: STREAM_OUT, RoleARN: ROLE }, DestinationSchema: { RecordFormatType: 'JSON' } },
  ]);
  assert.deepEqual(d.ReferenceDataSourceDescriptions, []);
  await fails(v1.send(new CreateApplicationCommand({ ApplicationName: 'sql1' })), 'ResourceInUseException', `Application sql1 already exists under account ${ACCOUNT}.`);
  await fails(
    v1.send(new CreateApplicationCommand({ ApplicationName: 'two', Inputs: [
      { NamePrefix: 'A', KinesisStreamsInput: { ResourceARN: STREAM_IN, RoleARN: ROLE }, InputSchema: schema },
      { NamePrefix: 'B', KinesisStreamsInput: { ResourceARN: STREAM_IN, RoleARN: ROLE }, InputSchema: schema },
    ] })),
    'InvalidArgumentException',
    'Application can have at most one input.',
  );
  await fails(
    v1.send(new CreateApplicationCommand({ ApplicationName: 'nosrc', Inputs: [{ NamePrefix: 'A', InputSchema: schema }] })),
    'InvalidArgumentException',
    'Input must have exactly one of KinesisStreamsInput or KinesisFirehoseInput.',
  );
  await fails(
    v1.send(new CreateApplicationCommand({ ApplicationName: 'x'.repeat(129) })),
    'ValidationException',
    `1 validation error detected: Value '${'x'.repeat(129)}' at 'applicationName' failed to satisfy constraint: Member must have length less than or equal to 128`,
  );
  await fails(v1.send(new DescribeApplicationCommand({ ApplicationName: 'ghost' })), 'ResourceNotFoundException', `Application ghost not found under account ${ACCOUNT}.`);
});

test('UpdateApplication and the Add/Delete operations: each a new version, ids <version>.<n>', async () => {
  await fails(
    v1.send(new UpdateApplicationCommand({ ApplicationName: 'sql1', CurrentApplicationVersionId: 5, ApplicationUpdate: { ApplicationCodeUpdate: 'x' } })),
    'ConcurrentModificationException',
    'Provided application version id 5 does not match current application version id 1 of application sql1.',
  );
  await fails(v1.send(new UpdateApplicationCommand({ ApplicationName: 'sql1', CurrentApplicationVersionId: 1, ApplicationUpdate: {} })), 'InvalidArgumentException', 'Application update request must contain at least one update.');
  await v1.send(
    new UpdateApplicationCommand({
      ApplicationName: 'sql1',
      CurrentApplicationVersionId: 1,
      ApplicationUpdate: {
        ApplicationCodeUpdate: 'SELECT STREAM * FROM "SOURCE_SQL_STREAM_001";',
        InputUpdates: [{ InputId: '1.1', NamePrefixUpdate: 'IN', InputParallelismUpdate: { CountUpdate: 3 } }],
        OutputUpdates: [{ OutputId: '1.1', NameUpdate: 'OUT' }],
      },
    }),
  );
  let d = await describe('sql1');
  assert.equal(d.ApplicationVersionId, 2);
  assert.equal(d.ApplicationCode, 'SELECT STREAM * FROM "SOURCE_SQL_STREAM_001";');
  assert.deepEqual(d.InputDescriptions![0].InAppStreamNames, ['IN_001', 'IN_002', 'IN_003']);
  assert.equal(d.OutputDescriptions![0].Name, 'OUT');
  await fails(
    v1.send(new UpdateApplicationCommand({ ApplicationName: 'sql1', CurrentApplicationVersionId: 2, ApplicationUpdate: { OutputUpdates: [{ OutputId: '9.9', NameUpdate: 'X' }] } })),
    'ResourceNotFoundException',
    'Output with id 9.9 not found.',
  );

  await v1.send(new AddApplicationOutputCommand({ ApplicationName: 'sql1', CurrentApplicationVersionId: 2, Output: { Name: 'OUT2', LambdaOutput: { ResourceARN: LAMBDA, RoleARN: ROLE }, DestinationSchema: { RecordFormatType: 'CSV' } } }));
  d = await describe('sql1');
  assert.equal(d.ApplicationVersionId, 3);
  assert.deepEqual(d.OutputDescriptions!.map((o) => o.OutputId), ['1.1', '3.1']);
  await v1.send(new AddApplicationOutputCommand({ ApplicationName: 'sql1', CurrentApplicationVersionId: 3, Output: { Name: 'OUT3', KinesisStreamsOutput: { ResourceARN: STREAM_OUT, RoleARN: ROLE }, DestinationSchema: { RecordFormatType: 'CSV' } } }));
  await fails(
    v1.send(new AddApplicationOutputCommand({ ApplicationName: 'sql1', CurrentApplicationVersionId: 4, Output: { Name: 'OUT4', KinesisStreamsOutput: { ResourceARN: STREAM_OUT, RoleARN: ROLE }, DestinationSchema: { RecordFormatType: 'CSV' } } })),
    'InvalidArgumentException',
    'Application can have at most 3 outputs.',
  );
  await v1.send(new DeleteApplicationOutputCommand({ ApplicationName: 'sql1', CurrentApplicationVersionId: 4, OutputId: '3.1' }));
  await fails(v1.send(new DeleteApplicationOutputCommand({ ApplicationName: 'sql1', CurrentApplicationVersionId: 5, OutputId: '3.1' })), 'ResourceNotFoundException', 'Output with id 3.1 not found.');

  await v1.send(
    new AddApplicationReferenceDataSourceCommand({
      ApplicationName: 'sql1',
      CurrentApplicationVersionId: 5,
      ReferenceDataSource: { TableName: 'COMPANY', S3ReferenceDataSource: { BucketARN: 'arn:aws:s3:::ref', FileKey: 'c.csv', ReferenceRoleARN: ROLE }, ReferenceSchema: schema },
    }),
  );
  d = await describe('sql1');
  assert.deepEqual(d.ReferenceDataSourceDescriptions, [
    { ReferenceId: '6.1', TableName: 'COMPANY', S3ReferenceDataSourceDescription: { BucketARN: 'arn:aws:s3:::ref', FileKey: 'c.csv', ReferenceRoleARN: ROLE }, ReferenceSchema: schema },
  ]);
  await v1.send(new DeleteApplicationReferenceDataSourceCommand({ ApplicationName: 'sql1', CurrentApplicationVersionId: 6, ReferenceId: '6.1' }));

  await v1.send(new AddApplicationInputProcessingConfigurationCommand({ ApplicationName: 'sql1', CurrentApplicationVersionId: 7, InputId: '1.1', InputProcessingConfiguration: { InputLambdaProcessor: { ResourceARN: LAMBDA, RoleARN: ROLE } } }));
  d = await describe('sql1');
  assert.deepEqual(d.InputDescriptions![0].InputProcessingConfigurationDescription, { InputLambdaProcessorDescription: { ResourceARN: LAMBDA, RoleARN: ROLE } });
  await fails(
    v1.send(new AddApplicationInputProcessingConfigurationCommand({ ApplicationName: 'sql1', CurrentApplicationVersionId: 8, InputId: '1.1', InputProcessingConfiguration: { InputLambdaProcessor: { ResourceARN: LAMBDA, RoleARN: ROLE } } })),
    'InvalidArgumentException',
    'Input 1.1 already has an input processing configuration.',
  );
  await v1.send(new DeleteApplicationInputProcessingConfigurationCommand({ ApplicationName: 'sql1', CurrentApplicationVersionId: 8, InputId: '1.1' }));
  await fails(
    v1.send(new DeleteApplicationInputProcessingConfigurationCommand({ ApplicationName: 'sql1', CurrentApplicationVersionId: 9, InputId: '1.1' })),
    'ResourceNotFoundException',
    'Input processing configuration not found for input 1.1.',
  );
  await fails(
    v1.send(new AddApplicationInputCommand({ ApplicationName: 'sql1', CurrentApplicationVersionId: 9, Input: { NamePrefix: 'B', KinesisStreamsInput: { ResourceARN: STREAM_IN, RoleARN: ROLE }, InputSchema: schema } })),
    'InvalidArgumentException',
    'Application can have at most one input.',
  );
  const logArn = 'arn:aws:logs:us-east-1:123456789012:log-group:g:log-stream:s';
  await v1.send(new AddApplicationCloudWatchLoggingOptionCommand({ ApplicationName: 'sql1', CurrentApplicationVersionId: 9, CloudWatchLoggingOption: { LogStreamARN: logArn, RoleARN: ROLE } }));
  d = await describe('sql1');
  assert.deepEqual(d.CloudWatchLoggingOptionDescriptions, [{ CloudWatchLoggingOptionId: '10.1', LogStreamARN: logArn, RoleARN: ROLE }]);
  await v1.send(new DeleteApplicationCloudWatchLoggingOptionCommand({ ApplicationName: 'sql1', CurrentApplicationVersionId: 10, CloudWatchLoggingOptionId: '10.1' }));
  assert.equal((await describe('sql1')).ApplicationVersionId, 11);

  // An application without inputs takes one.
  await v1.send(new CreateApplicationCommand({ ApplicationName: 'bare' }));
  await v1.send(new AddApplicationInputCommand({ ApplicationName: 'bare', CurrentApplicationVersionId: 1, Input: { NamePrefix: 'S', KinesisFirehoseInput: { ResourceARN: 'arn:aws:firehose:us-east-1:000000000000:deliverystream/f', RoleARN: ROLE }, InputSchema: schema } }));
  assert.equal((await describe('bare')).InputDescriptions![0].InputId, '2.1');
});

test('StartApplication: the checks, then the SQL-1_0 refusal; StopApplication only from RUNNING', async () => {
  await fails(
    v1.send(new StartApplicationCommand({ ApplicationName: 'sql1', InputConfigurations: [{ Id: '7.7', InputStartingPositionConfiguration: { InputStartingPosition: 'NOW' } }] })),
    'InvalidArgumentException',
    'Input with id 7.7 not found.',
  );
  await fails(
    v1.send(new StartApplicationCommand({ ApplicationName: 'sql1', InputConfigurations: [{ Id: '1.1', InputStartingPositionConfiguration: { InputStartingPosition: 'NOW' } }] })),
    'UnsupportedOperationException',
    'Application sql1 uses the SQL-1_0 runtime (Kinesis Data Analytics for SQL), which AWS has retired and this server does not run: it can be created, described and updated, not started.',
  );
  assert.equal((await describe('sql1')).ApplicationStatus, 'READY');
  await fails(v1.send(new StopApplicationCommand({ ApplicationName: 'sql1' })), 'ResourceInUseException', 'Application sql1 is in READY status. StopApplication cannot be performed in this status.');
});

test('one namespace with v2: the recorded UnsupportedOperationException for v2-made and v2-changed applications', async () => {
  await v2.send(
    new CreateV2({
      ApplicationName: 'flink2',
      RuntimeEnvironment: 'FLINK-1_20',
      ServiceExecutionRole: ROLE,
      ApplicationConfiguration: { ApplicationCodeConfiguration: { CodeContentType: 'PLAINTEXT', CodeContent: { TextContent: 'SELECT 1' } } },
    }),
  );
  const text = 'flink2 was created/updated by kinesisanalyticsv2 SDK. Please use kinesisanalyticsv2 SDK to make changes to flink2.';
  await fails(v1.send(new DescribeApplicationCommand({ ApplicationName: 'flink2' })), 'UnsupportedOperationException', text);
  await fails(v1.send(new UpdateApplicationCommand({ ApplicationName: 'flink2', CurrentApplicationVersionId: 1, ApplicationUpdate: { ApplicationCodeUpdate: 'x' } })), 'UnsupportedOperationException', text);
  await fails(v1.send(new DeleteApplicationCommand({ ApplicationName: 'flink2', CreateTimestamp: new Date() })), 'UnsupportedOperationException', text);
  await fails(v1.send(new CreateApplicationCommand({ ApplicationName: 'flink2' })), 'ResourceInUseException', `Application flink2 already exists under account ${ACCOUNT}.`);
  // v1 lists it (cloud-custodian#6052 listed, then could not describe).
  const listed = (await v1.send(new ListApplicationsCommand({}))).ApplicationSummaries!.map((s) => s.ApplicationName);
  assert.ok(listed.includes('flink2'));

  // v2 sees a v1 application as SQL-1_0; changing it through v2 hands it to v2.
  const seen = (await v2.send(new DescribeV2({ ApplicationName: 'bare' }))).ApplicationDetail!;
  assert.equal(seen.RuntimeEnvironment, 'SQL-1_0');
  assert.equal(seen.ApplicationConfigurationDescription!.SqlApplicationConfigurationDescription!.InputDescriptions![0].InputId, '2.1');
  await v2.send(new UpdateV2({ ApplicationName: 'bare', CurrentApplicationVersionId: 2, ServiceExecutionRoleUpdate: ROLE }));
  await fails(v1.send(new DescribeApplicationCommand({ ApplicationName: 'bare' })), 'UnsupportedOperationException', 'bare was created/updated by kinesisanalyticsv2 SDK. Please use kinesisanalyticsv2 SDK to make changes to bare.');
});

test('ListApplications pages with HasMoreApplications; tags; DeleteApplication', async () => {
  for (const name of ['p1', 'p2', 'p3']) await v1.send(new CreateApplicationCommand({ ApplicationName: name }));
  const all = (await v1.send(new ListApplicationsCommand({}))).ApplicationSummaries!.map((s) => s.ApplicationName!);
  assert.deepEqual(all, [...all].sort());
  const page = await v1.send(new ListApplicationsCommand({ Limit: 2, ExclusiveStartApplicationName: 'p1' }));
  assert.deepEqual(page.ApplicationSummaries!.map((s) => s.ApplicationName), ['p2', 'p3']);
  assert.equal(page.HasMoreApplications, all.indexOf('p3') < all.length - 1);
  const last = await v1.send(new ListApplicationsCommand({ ExclusiveStartApplicationName: all.at(-2) }));
  assert.deepEqual(last.ApplicationSummaries!.map((s) => s.ApplicationName), [all.at(-1)]);
  assert.equal(last.HasMoreApplications, false);
  const first = await v1.send(new ListApplicationsCommand({ Limit: 1 }));
  assert.equal(first.HasMoreApplications, true);
  assert.deepEqual(Object.keys(first.ApplicationSummaries![0]).sort(), ['ApplicationARN', 'ApplicationName', 'ApplicationStatus']);

  const arn = `arn:aws:kinesisanalytics:us-east-1:${ACCOUNT}:application/p1`;
  await v1.send(new TagResourceCommand({ ResourceARN: arn, Tags: [{ Key: 'a', Value: '1' }, { Key: 'b', Value: '2' }] }));
  await v1.send(new UntagResourceCommand({ ResourceARN: arn, TagKeys: ['a'] }));
  assert.deepEqual((await v1.send(new ListTagsForResourceCommand({ ResourceARN: arn }))).Tags, [{ Key: 'b', Value: '2' }]);

  const d = await describe('p1');
  await fails(v1.send(new DeleteApplicationCommand({ ApplicationName: 'p1', CreateTimestamp: new Date(0) })), 'InvalidArgumentException', 'CreateTimestamp provided does not match the creation timestamp of application p1.');
  await v1.send(new DeleteApplicationCommand({ ApplicationName: 'p1', CreateTimestamp: d.CreateTimestamp }));
  for (let i = 0; i < 400; i++) {
    const gone = await v1.send(new DescribeApplicationCommand({ ApplicationName: 'p1' })).then(
      (r) => (assert.equal(r.ApplicationDetail!.ApplicationStatus, 'DELETING'), false),
      (err) => (assert.equal(err.name, 'ResourceNotFoundException'), true),
    );
    if (gone) break;
    await new Promise((r) => setTimeout(r, 25));
  }
  await fails(v1.send(new DescribeApplicationCommand({ ApplicationName: 'p1' })), 'ResourceNotFoundException', `Application p1 not found under account ${ACCOUNT}.`);
});

test('DiscoverInputSchema (v1) from a CSV object', async () => {
  const s3 = new S3Client({ endpoint: server.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' }, forcePathStyle: true, maxAttempts: 1 });
  try {
    await s3.send(new CreateBucketCommand({ Bucket: 'samples' }));
    await s3.send(new PutObjectCommand({ Bucket: 'samples', Key: 'rows.csv', Body: 'AMZN,12.5,3\nMSFT,7,4\n' }));
  } finally {
    s3.destroy();
  }
  const found = await v1.send(new DiscoverInputSchemaCommand({ S3Configuration: { RoleARN: ROLE, BucketARN: 'arn:aws:s3:::samples', FileKey: 'rows.csv' } }));
  assert.deepEqual(found.InputSchema, {
    RecordFormat: { RecordFormatType: 'CSV', MappingParameters: { CSVMappingParameters: { RecordRowDelimiter: '\n', RecordColumnDelimiter: ',' } } },
    RecordEncoding: 'UTF-8',
    RecordColumns: [
      { Name: 'COL_1', SqlType: 'VARCHAR(4)' },
      { Name: 'COL_2', SqlType: 'DOUBLE' },
      { Name: 'COL_3', SqlType: 'INTEGER' },
    ],
  });
  await fails(
    v1.send(new DiscoverInputSchemaCommand({ ResourceARN: STREAM_IN, RoleARN: ROLE, InputStartingPositionConfiguration: { InputStartingPosition: 'NOW' } })),
    'InvalidArgumentException',
    `Stream ${STREAM_IN} not found.`,
  );
});
