import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { zipSync, strToU8 } from 'fflate';
import {
  KinesisAnalyticsV2Client,
  AddApplicationCloudWatchLoggingOptionCommand,
  AddApplicationInputCommand,
  AddApplicationInputProcessingConfigurationCommand,
  AddApplicationOutputCommand,
  AddApplicationReferenceDataSourceCommand,
  DeleteApplicationInputProcessingConfigurationCommand,
  DeleteApplicationOutputCommand,
  DeleteApplicationReferenceDataSourceCommand,
  AddApplicationVpcConfigurationCommand,
  CreateApplicationCommand,
  CreateApplicationPresignedUrlCommand,
  CreateApplicationSnapshotCommand,
  DeleteApplicationCloudWatchLoggingOptionCommand,
  DeleteApplicationCommand,
  DeleteApplicationSnapshotCommand,
  DeleteApplicationVpcConfigurationCommand,
  DescribeApplicationCommand,
  DescribeApplicationOperationCommand,
  DescribeApplicationSnapshotCommand,
  DescribeApplicationVersionCommand,
  DiscoverInputSchemaCommand,
  ListApplicationOperationsCommand,
  ListApplicationSnapshotsCommand,
  ListApplicationVersionsCommand,
  ListApplicationsCommand,
  ListTagsForResourceCommand,
  RollbackApplicationCommand,
  StartApplicationCommand,
  StopApplicationCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateApplicationCommand,
  UpdateApplicationMaintenanceConfigurationCommand,
  type ApplicationDetail,
  type CreateApplicationCommandInput,
} from '@aws-sdk/client-kinesis-analytics-v2';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateStreamCommand, DescribeStreamSummaryCommand, PutRecordCommand } from '@aws-sdk/client-kinesis';
import { JAR_NEEDS_FLINK, SQL_ENGINE_NOT_WIRED, UnavailableRunner, type ApplicationRunner, type RestoreRequest, type RunnableApplication, type SnapshotRef, type RunState } from '../src/analytics/domain/runner.js';
import { startTestServer, type TestServer } from './helpers.js';

/**
 * The v2 control plane (ANALYTICS-SPEC §1–§2, issue 15 §1) through @aws-sdk/client-kinesis-analytics-v2
 * with its default handler, against the real embedded store. Applications whose name starts with
 * `run-` are run by a scripted runner (a stand-in for the engine, recording what it was asked);
 * every other application meets the server's own runner, which runs nothing and says why.
 */

let server: TestServer;
let kda: KinesisAnalyticsV2Client;
let s3: S3Client;
const ROLE = 'arn:aws:iam::123456789012:role/kda';
const ACCOUNT = '000000000000';
const BUCKET = 'code-bucket';
const BUCKET_ARN = `arn:aws:s3:::${BUCKET}`;

/** Runs nothing but keeps the story: what started, with which restore, and the snapshots it "saved". */
class ScriptedRunner implements ApplicationRunner {
  running = new Map<string, { properties: unknown; version: number }>();
  starts: { name: string; restore: RestoreRequest; version: number }[] = [];
  failNextStart?: string;
  async start(app: RunnableApplication, restore: RestoreRequest): Promise<void> {
    this.starts.push({ name: app.doc.name, restore, version: app.doc.versionId });
    if (this.failNextStart) {
      const error = this.failNextStart;
      this.failNextStart = undefined;
      throw new Error(error);
    }
    this.running.set(app.doc.name, { properties: app.doc.config.properties, version: app.doc.versionId });
  }
  async stop(app: RunnableApplication, options: { snapshot?: string }): Promise<SnapshotRef | undefined> {
    this.running.delete(app.doc.name);
    return options.snapshot ? { name: options.snapshot, state: `state-of-${app.doc.name}-v${app.doc.versionId}` } : undefined;
  }
  async snapshot(app: RunnableApplication, name: string): Promise<SnapshotRef> {
    return { name, state: `state-of-${app.doc.name}-${name}` };
  }
  async dropSnapshot(): Promise<void> {}
  async status(app: RunnableApplication): Promise<RunState> {
    return this.running.has(app.doc.name) ? { state: 'RUNNING' } : { state: 'STOPPED' };
  }
}

const scripted = new ScriptedRunner();
const unavailable = new UnavailableRunner();
const routed: ApplicationRunner = {
  start: (app, restore) => (app.doc.name.startsWith('run-') ? scripted : unavailable).start(app, restore),
  stop: (app, options) => (app.doc.name.startsWith('run-') ? scripted : unavailable).stop(app, options),
  snapshot: (app, name) => (app.doc.name.startsWith('run-') ? scripted : unavailable).snapshot(app, name),
  dropSnapshot: (app, ref) => scripted.dropSnapshot(),
  status: (app) => (app.doc.name.startsWith('run-') ? scripted : unavailable).status(app),
};

before(async () => {
  server = await startTestServer();
  server.analytics.runner = routed;
  const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };
  kda = new KinesisAnalyticsV2Client({ endpoint: server.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
  s3 = new S3Client({ endpoint: server.endpoint, region: 'us-east-1', credentials, forcePathStyle: true, maxAttempts: 1 });
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
});
after(async () => {
  kda.destroy();
  s3.destroy();
  await server.stop();
});

async function fails(call: Promise<unknown>, type: string, message: string | RegExp): Promise<void> {
  await assert.rejects(call, (err: any) => {
    assert.equal(err.name, type, err.message);
    if (typeof message === 'string') assert.equal(err.message, message);
    else assert.match(err.message, message);
    return true;
  });
}

const md5 = (b: Uint8Array | string) => createHash('md5').update(b).digest('hex');

function flinkApp(name: string, extra: Partial<CreateApplicationCommandInput> = {}, code = 'CREATE TABLE t (x INT) WITH (\'connector\' = \'datagen\')'): CreateApplicationCommandInput {
  return {
    ApplicationName: name,
    RuntimeEnvironment: 'FLINK-1_20',
    ServiceExecutionRole: ROLE,
    ApplicationConfiguration: { ApplicationCodeConfiguration: { CodeContentType: 'PLAINTEXT', CodeContent: { TextContent: code } } },
    ...extra,
  };
}

async function describe(name: string): Promise<ApplicationDetail> {
  return (await kda.send(new DescribeApplicationCommand({ ApplicationName: name }))).ApplicationDetail!;
}

/** Polls until the application's status is `status` (the background completes transitions). */
async function settles(name: string, status: string): Promise<ApplicationDetail> {
  for (let i = 0; i < 400; i++) {
    const detail = await describe(name);
    if (detail.ApplicationStatus === status) return detail;
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.fail(`${name} never reached ${status} (is ${(await describe(name)).ApplicationStatus})`);
}

async function operation(name: string, id: string) {
  for (let i = 0; i < 400; i++) {
    const details = (await kda.send(new DescribeApplicationOperationCommand({ ApplicationName: name, OperationId: id }))).ApplicationOperationInfoDetails!;
    if (details.OperationStatus !== 'IN_PROGRESS') return details;
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.fail(`operation ${id} of ${name} never ended`);
}

async function putCode(key: string, body: Uint8Array | string): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
}

test('CreateApplication: READY, version 1, code MD5 and size, AWS defaults, mode, maintenance window, ConditionalToken', async () => {
  const code = 'SELECT 1';
  const created = await kda.send(new CreateApplicationCommand({ ...flinkApp('plain', { ApplicationDescription: 'd' }, code), Tags: [{ Key: 'team', Value: 'a' }] }));
  const d = created.ApplicationDetail!;
  assert.equal(d.ApplicationARN, `arn:aws:kinesisanalytics:us-east-1:${ACCOUNT}:application/plain`);
  assert.equal(d.ApplicationStatus, 'READY');
  assert.equal(d.ApplicationVersionId, 1);
  assert.equal(d.ApplicationMode, 'STREAMING');
  assert.equal(d.ApplicationDescription, 'd');
  assert.equal(d.ServiceExecutionRole, ROLE);
  assert.ok(d.CreateTimestamp instanceof Date);
  assert.match(d.ConditionalToken!, /^[a-zA-Z0-9]+$/);
  const c = d.ApplicationConfigurationDescription!;
  assert.deepEqual(c.ApplicationCodeConfigurationDescription, {
    CodeContentType: 'PLAINTEXT',
    CodeContentDescription: { TextContent: code, CodeMD5: md5(code), CodeSize: code.length },
  });
  assert.deepEqual(c.FlinkApplicationConfigurationDescription!.CheckpointConfigurationDescription, {
    ConfigurationType: 'DEFAULT',
    CheckpointingEnabled: true,
    CheckpointInterval: 60000,
    MinPauseBetweenCheckpoints: 5000,
  });
  assert.equal(c.FlinkApplicationConfigurationDescription!.ParallelismConfigurationDescription!.Parallelism, 1);
  assert.deepEqual(c.ApplicationSnapshotConfigurationDescription, { SnapshotsEnabled: true });
  assert.deepEqual(d.ApplicationMaintenanceConfigurationDescription, { ApplicationMaintenanceWindowStartTime: '06:00', ApplicationMaintenanceWindowEndTime: '14:00' });
  assert.deepEqual(await describe('plain'), d);
});

test('CreateApplication: validation from the model, duplicate names, runtime/configuration fit', async () => {
  await fails(
    kda.send(new CreateApplicationCommand({ ...flinkApp('bad name'), RuntimeEnvironment: 'FLINK-9_9' as any })),
    'ValidationException',
    "2 validation errors detected: Value 'bad name' at 'applicationName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+; Value 'FLINK-9_9' at 'runtimeEnvironment' failed to satisfy constraint: Member must satisfy enum value set: [SQL-1_0, FLINK-1_6, FLINK-1_8, ZEPPELIN-FLINK-1_0, FLINK-1_11, FLINK-1_13, ZEPPELIN-FLINK-2_0, FLINK-1_15, ZEPPELIN-FLINK-3_0, FLINK-1_18, FLINK-1_19, FLINK-1_20, FLINK-2_2]",
  );
  await kda.send(new CreateApplicationCommand(flinkApp('dup')));
  await fails(kda.send(new CreateApplicationCommand(flinkApp('dup'))), 'ResourceInUseException', `Application dup already exists under account ${ACCOUNT}.`);
  await fails(
    kda.send(new CreateApplicationCommand({ ...flinkApp('inter'), ApplicationMode: 'INTERACTIVE' })),
    'InvalidArgumentException',
    'ApplicationMode INTERACTIVE is not supported for RuntimeEnvironment FLINK-1_20.',
  );
  await fails(
    kda.send(new CreateApplicationCommand({ ApplicationName: 'nocode', RuntimeEnvironment: 'FLINK-1_20', ServiceExecutionRole: ROLE })),
    'InvalidArgumentException',
    'ApplicationCodeConfiguration is required for this application.',
  );
  await fails(
    kda.send(
      new CreateApplicationCommand({
        ...flinkApp('sqlcfg'),
        ApplicationConfiguration: {
          ApplicationCodeConfiguration: { CodeContentType: 'PLAINTEXT', CodeContent: { TextContent: 'x' } },
          SqlApplicationConfiguration: { Inputs: [] },
        },
      }),
    ),
    'InvalidArgumentException',
    'SqlApplicationConfiguration is not supported for RuntimeEnvironment FLINK-1_20.',
  );
  await fails(
    kda.send(
      new CreateApplicationCommand({
        ...flinkApp('zipnone'),
        ApplicationConfiguration: { ApplicationCodeConfiguration: { CodeContentType: 'ZIPFILE', CodeContent: { TextContent: 'x' } } },
      }),
    ),
    'InvalidArgumentException',
    'ZipFileContent or S3ContentLocation must be provided when CodeContentType is ZIPFILE.',
  );
  await fails(
    kda.send(
      new CreateApplicationCommand({
        ...flinkApp('missing'),
        ApplicationConfiguration: { ApplicationCodeConfiguration: { CodeContentType: 'ZIPFILE', CodeContent: { S3ContentLocation: { BucketARN: BUCKET_ARN, FileKey: 'nope.zip' } } } },
      }),
    ),
    'InvalidArgumentException',
    `Unable to read application code from ${BUCKET_ARN}/nope.zip: The specified key does not exist..`,
  );
  await fails(
    kda.send(new CreateApplicationCommand({ ...flinkApp('tags'), Tags: Array.from({ length: 51 }, (_, i) => ({ Key: `k${i}`, Value: 'v' })) })),
    'TooManyTagsException',
    'Application can have at most 50 tags.',
  );
  await fails(kda.send(new DescribeApplicationCommand({ ApplicationName: 'ghost' })), 'ResourceNotFoundException', `Application ghost not found under account ${ACCOUNT}.`);
});

test('code zip from the object store: CodeMD5/CodeSize of the object; a start without an engine fails with the reason in ErrorInfo', async () => {
  const sqlZip = zipSync({ 'application.sql': strToU8("CREATE TABLE s (x INT) WITH ('connector'='datagen');") });
  await putCode('sql.zip', sqlZip);
  const created = await kda.send(
    new CreateApplicationCommand({
      ...flinkApp('zipsql'),
      ApplicationConfiguration: { ApplicationCodeConfiguration: { CodeContentType: 'ZIPFILE', CodeContent: { S3ContentLocation: { BucketARN: BUCKET_ARN, FileKey: 'sql.zip' } } } },
    }),
  );
  assert.deepEqual(created.ApplicationDetail!.ApplicationConfigurationDescription!.ApplicationCodeConfigurationDescription, {
    CodeContentType: 'ZIPFILE',
    CodeContentDescription: { CodeMD5: md5(sqlZip), CodeSize: sqlZip.length, S3ApplicationCodeLocationDescription: { BucketARN: BUCKET_ARN, FileKey: 'sql.zip' } },
  });
  const { OperationId } = await kda.send(new StartApplicationCommand({ ApplicationName: 'zipsql' }));
  assert.match(OperationId!, /^[A-Za-z0-9]{12}$/);
  const op = await operation('zipsql', OperationId!);
  assert.equal(op.Operation, 'StartApplication');
  assert.equal(op.OperationStatus, 'FAILED');
  assert.equal(op.OperationFailureDetails!.ErrorInfo!.ErrorString, `Application zipsql could not be started: its Flink SQL (from application.sql) was found, but ${SQL_ENGINE_NOT_WIRED}`);
  assert.ok(op.EndTime instanceof Date && op.StartTime instanceof Date);
  await settles('zipsql', 'READY');

  // A JAR: needs a JVM, and no --flink-rest was given.
  const jar = zipSync({ 'META-INF/MANIFEST.MF': strToU8('Main-Class: a.B\n'), 'a/B.class': new Uint8Array([0xca, 0xfe]) });
  await kda.send(
    new CreateApplicationCommand({
      ...flinkApp('jarapp'),
      ApplicationConfiguration: { ApplicationCodeConfiguration: { CodeContentType: 'ZIPFILE', CodeContent: { ZipFileContent: jar } } },
    }),
  );
  const jarDetail = await describe('jarapp');
  assert.equal(jarDetail.ApplicationConfigurationDescription!.ApplicationCodeConfigurationDescription!.CodeContentDescription!.CodeMD5, md5(jar));
  const jarOp = await operation('jarapp', (await kda.send(new StartApplicationCommand({ ApplicationName: 'jarapp' }))).OperationId!);
  assert.equal(jarOp.OperationFailureDetails!.ErrorInfo!.ErrorString, `Application jarapp could not be started: ${JAR_NEEDS_FLINK}`);

  // Not a zip at all.
  await putCode('junk.zip', 'this is not a zip');
  await kda.send(
    new CreateApplicationCommand({
      ...flinkApp('junk'),
      ApplicationConfiguration: { ApplicationCodeConfiguration: { CodeContentType: 'ZIPFILE', CodeContent: { S3ContentLocation: { BucketARN: BUCKET_ARN, FileKey: 'junk.zip' } } } },
    }),
  );
  const junkOp = await operation('junk', (await kda.send(new StartApplicationCommand({ ApplicationName: 'junk' }))).OperationId!);
  assert.match(junkOp.OperationFailureDetails!.ErrorInfo!.ErrorString!, /^Application junk could not be started: the application code is not a valid zip file \(/);
  assert.equal((await describe('junk')).ApplicationStatus, 'READY');

  const ops = await kda.send(new ListApplicationOperationsCommand({ ApplicationName: 'zipsql' }));
  assert.deepEqual(
    ops.ApplicationOperationInfoList!.map((o) => [o.Operation, o.OperationId, o.OperationStatus]),
    [['StartApplication', OperationId, 'FAILED']],
  );
  const filtered = await kda.send(new ListApplicationOperationsCommand({ ApplicationName: 'zipsql', OperationStatus: 'SUCCESSFUL' }));
  assert.deepEqual(filtered.ApplicationOperationInfoList, []);
  await fails(kda.send(new DescribeApplicationOperationCommand({ ApplicationName: 'zipsql', OperationId: 'nope' })), 'ResourceNotFoundException', 'Operation nope not found.');
});

test('run, snapshot, stop with a snapshot, restore types on start, force stop', async () => {
  await kda.send(new CreateApplicationCommand(flinkApp('run-a')));
  const started = await kda.send(new StartApplicationCommand({ ApplicationName: 'run-a', RunConfiguration: { ApplicationRestoreConfiguration: { ApplicationRestoreType: 'SKIP_RESTORE_FROM_SNAPSHOT' } } }));
  assert.equal((await operation('run-a', started.OperationId!)).OperationStatus, 'SUCCESSFUL');
  const running = await settles('run-a', 'RUNNING');
  assert.deepEqual(running.ApplicationConfigurationDescription!.RunConfigurationDescription!.ApplicationRestoreConfigurationDescription, {
    ApplicationRestoreType: 'SKIP_RESTORE_FROM_SNAPSHOT',
  });
  assert.ok(scripted.running.has('run-a'));
  await fails(kda.send(new StartApplicationCommand({ ApplicationName: 'run-a' })), 'ResourceInUseException', 'Application run-a is in RUNNING status. StartApplication cannot be performed in this status.');

  await kda.send(new CreateApplicationSnapshotCommand({ ApplicationName: 'run-a', SnapshotName: 'snap1' }));
  const snap = (await kda.send(new DescribeApplicationSnapshotCommand({ ApplicationName: 'run-a', SnapshotName: 'snap1' }))).SnapshotDetails!;
  assert.equal(snap.SnapshotStatus, 'READY');
  assert.equal(snap.ApplicationVersionId, 1);
  assert.equal(snap.RuntimeEnvironment, 'FLINK-1_20');
  await fails(kda.send(new CreateApplicationSnapshotCommand({ ApplicationName: 'run-a', SnapshotName: 'snap1' })), 'InvalidArgumentException', 'Snapshot snap1 already exists for application run-a.');

  const stopped = await kda.send(new StopApplicationCommand({ ApplicationName: 'run-a' }));
  assert.equal((await operation('run-a', stopped.OperationId!)).OperationStatus, 'SUCCESSFUL');
  await settles('run-a', 'READY');
  assert.ok(!scripted.running.has('run-a'));
  const snapshots = (await kda.send(new ListApplicationSnapshotsCommand({ ApplicationName: 'run-a' }))).SnapshotSummaries!;
  assert.equal(snapshots.length, 2, 'the stop took a snapshot');
  assert.equal(snapshots[0].SnapshotName, 'snap1');
  assert.match(snapshots[1].SnapshotName!, /^millrace-stop-\d+$/);
  const page = await kda.send(new ListApplicationSnapshotsCommand({ ApplicationName: 'run-a', Limit: 1 }));
  assert.equal(page.NextToken, 'snap1');
  await fails(kda.send(new StopApplicationCommand({ ApplicationName: 'run-a' })), 'ResourceInUseException', 'Application run-a is in READY status. StopApplication cannot be performed in this status.');

  // Restore from the latest snapshot (the default), then from a named one.
  await kda.send(new StartApplicationCommand({ ApplicationName: 'run-a' }));
  await settles('run-a', 'RUNNING');
  assert.deepEqual(scripted.starts.at(-1)!.restore, {
    type: 'RESTORE_FROM_LATEST_SNAPSHOT',
    allowNonRestoredState: false,
    snapshot: { name: snapshots[1].SnapshotName, state: 'state-of-run-a-v1' },
  });
  const force = await kda.send(new StopApplicationCommand({ ApplicationName: 'run-a', Force: true }));
  assert.equal((await operation('run-a', force.OperationId!)).OperationStatus, 'SUCCESSFUL');
  await settles('run-a', 'READY');
  assert.equal((await kda.send(new ListApplicationSnapshotsCommand({ ApplicationName: 'run-a' }))).SnapshotSummaries!.length, 2, 'a forced stop takes no snapshot');

  await fails(
    kda.send(new StartApplicationCommand({ ApplicationName: 'run-a', RunConfiguration: { ApplicationRestoreConfiguration: { ApplicationRestoreType: 'RESTORE_FROM_CUSTOM_SNAPSHOT' } } })),
    'InvalidArgumentException',
    'SnapshotName is required when ApplicationRestoreType is RESTORE_FROM_CUSTOM_SNAPSHOT.',
  );
  await fails(
    kda.send(
      new StartApplicationCommand({
        ApplicationName: 'run-a',
        RunConfiguration: { ApplicationRestoreConfiguration: { ApplicationRestoreType: 'RESTORE_FROM_CUSTOM_SNAPSHOT', SnapshotName: 'nope' } },
      }),
    ),
    'ResourceNotFoundException',
    'Snapshot nope not found for application run-a.',
  );
  await kda.send(
    new StartApplicationCommand({
      ApplicationName: 'run-a',
      RunConfiguration: {
        ApplicationRestoreConfiguration: { ApplicationRestoreType: 'RESTORE_FROM_CUSTOM_SNAPSHOT', SnapshotName: 'snap1' },
        FlinkRunConfiguration: { AllowNonRestoredState: true },
      },
    }),
  );
  await settles('run-a', 'RUNNING');
  assert.deepEqual(scripted.starts.at(-1)!.restore, {
    type: 'RESTORE_FROM_CUSTOM_SNAPSHOT',
    allowNonRestoredState: true,
    snapshot: { name: 'snap1', state: 'state-of-run-a-snap1' },
  });
  await fails(
    kda.send(new DeleteApplicationSnapshotCommand({ ApplicationName: 'run-a', SnapshotName: 'snap1', SnapshotCreationTimestamp: new Date(0) })),
    'InvalidArgumentException',
    'SnapshotCreationTimestamp provided does not match the creation timestamp of snapshot snap1.',
  );
  await kda.send(new DeleteApplicationSnapshotCommand({ ApplicationName: 'run-a', SnapshotName: 'snap1', SnapshotCreationTimestamp: snap.SnapshotCreationTimestamp }));
  await fails(kda.send(new DescribeApplicationSnapshotCommand({ ApplicationName: 'run-a', SnapshotName: 'snap1' })), 'ResourceNotFoundException', 'Snapshot snap1 not found for application run-a.');

  // A start the runner refuses: FAILED with the runner's error, back to READY.
  await kda.send(new StopApplicationCommand({ ApplicationName: 'run-a', Force: true }));
  await settles('run-a', 'READY');
  scripted.failNextStart = 'org.apache.flink.table.api.ValidationException: Object \'nope\' not found';
  const failed = await kda.send(new StartApplicationCommand({ ApplicationName: 'run-a' }));
  const failedOp = await operation('run-a', failed.OperationId!);
  assert.equal(failedOp.OperationStatus, 'FAILED');
  assert.equal(failedOp.OperationFailureDetails!.ErrorInfo!.ErrorString, "org.apache.flink.table.api.ValidationException: Object 'nope' not found");
  await settles('run-a', 'READY');

  await fails(kda.send(new CreateApplicationSnapshotCommand({ ApplicationName: 'run-a', SnapshotName: 's2' })), 'ResourceInUseException', 'Application run-a is in READY status. CreateApplicationSnapshot cannot be performed in this status.');
});

test('UpdateApplication: version and ConditionalToken locking, READY at once, RUNNING through UPDATING, versions history, rollback', async () => {
  await kda.send(new CreateApplicationCommand(flinkApp('run-u')));
  const v1 = await describe('run-u');
  const props = [{ PropertyGroupId: 'app', PropertyMap: { threshold: '5' } }];
  await fails(
    kda.send(new UpdateApplicationCommand({ ApplicationName: 'run-u', CurrentApplicationVersionId: 7, ApplicationConfigurationUpdate: { EnvironmentPropertyUpdates: { PropertyGroups: props } } })),
    'ConcurrentModificationException',
    'Provided application version id 7 does not match current application version id 1 of application run-u.',
  );
  await fails(
    kda.send(new UpdateApplicationCommand({ ApplicationName: 'run-u', ConditionalToken: 'stale', ApplicationConfigurationUpdate: { EnvironmentPropertyUpdates: { PropertyGroups: props } } })),
    'ConcurrentModificationException',
    'Provided ConditionalToken does not match the current ConditionalToken of application run-u.',
  );
  await fails(
    kda.send(new UpdateApplicationCommand({ ApplicationName: 'run-u', ApplicationConfigurationUpdate: { EnvironmentPropertyUpdates: { PropertyGroups: props } } })),
    'InvalidArgumentException',
    'Either CurrentApplicationVersionId or ConditionalToken must be provided.',
  );
  await fails(
    kda.send(new UpdateApplicationCommand({ ApplicationName: 'run-u', CurrentApplicationVersionId: 1, ConditionalToken: v1.ConditionalToken })),
    'InvalidArgumentException',
    'Application update request must contain at least one update.',
  );
  await fails(
    kda.send(new UpdateApplicationCommand({ ApplicationName: 'run-u', CurrentApplicationVersionId: 1, ApplicationConfigurationUpdate: { EnvironmentPropertyUpdates: { PropertyGroups: props } }, ConditionalToken: v1.ConditionalToken })),
    'InvalidArgumentException',
    'Provide either CurrentApplicationVersionId or ConditionalToken, not both.',
  );
  // READY: takes effect at once, the operation is SUCCESSFUL.
  const u1 = await kda.send(
    new UpdateApplicationCommand({
      ApplicationName: 'run-u',
      ConditionalToken: v1.ConditionalToken,
      ApplicationConfigurationUpdate: {
        EnvironmentPropertyUpdates: { PropertyGroups: props },
        FlinkApplicationConfigurationUpdate: { CheckpointConfigurationUpdate: { ConfigurationTypeUpdate: 'CUSTOM', CheckpointIntervalUpdate: 10000 } },
      },
    }),
  );
  const d2 = u1.ApplicationDetail!;
  assert.equal(d2.ApplicationVersionId, 2);
  assert.equal(d2.ApplicationVersionUpdatedFrom, 1);
  assert.notEqual(d2.ConditionalToken, v1.ConditionalToken);
  assert.deepEqual(d2.ApplicationConfigurationDescription!.EnvironmentPropertyDescriptions, { PropertyGroupDescriptions: props });
  assert.deepEqual(d2.ApplicationConfigurationDescription!.FlinkApplicationConfigurationDescription!.CheckpointConfigurationDescription, {
    ConfigurationType: 'CUSTOM',
    CheckpointingEnabled: true,
    CheckpointInterval: 10000,
    MinPauseBetweenCheckpoints: 5000,
  });
  const op1 = await operation('run-u', u1.OperationId!);
  assert.equal(op1.OperationStatus, 'SUCCESSFUL');
  assert.deepEqual(op1.ApplicationVersionChangeDetails, { ApplicationVersionUpdatedFrom: 1, ApplicationVersionUpdatedTo: 2 });

  // RUNNING: UPDATING while the job restarts on version 3, which sees the new properties.
  await kda.send(new StartApplicationCommand({ ApplicationName: 'run-u' }));
  await settles('run-u', 'RUNNING');
  assert.deepEqual(scripted.running.get('run-u'), { properties: props, version: 2 });
  const props3 = [{ PropertyGroupId: 'app', PropertyMap: { threshold: '9' } }];
  const u2 = await kda.send(new UpdateApplicationCommand({ ApplicationName: 'run-u', CurrentApplicationVersionId: 2, ApplicationConfigurationUpdate: { EnvironmentPropertyUpdates: { PropertyGroups: props3 } } }));
  assert.equal(u2.ApplicationDetail!.ApplicationStatus, 'UPDATING');
  assert.equal((await operation('run-u', u2.OperationId!)).OperationStatus, 'SUCCESSFUL');
  await settles('run-u', 'RUNNING');
  assert.deepEqual(scripted.running.get('run-u'), { properties: props3, version: 3 });

  const versions = await kda.send(new ListApplicationVersionsCommand({ ApplicationName: 'run-u' }));
  assert.deepEqual(versions.ApplicationVersionSummaries, [
    { ApplicationVersionId: 3, ApplicationStatus: 'RUNNING' },
    { ApplicationVersionId: 2, ApplicationStatus: 'RUNNING' },
    { ApplicationVersionId: 1, ApplicationStatus: 'READY' },
  ]);
  const paged = await kda.send(new ListApplicationVersionsCommand({ ApplicationName: 'run-u', Limit: 2 }));
  assert.equal(paged.NextToken, '2');
  const rest = await kda.send(new ListApplicationVersionsCommand({ ApplicationName: 'run-u', Limit: 2, NextToken: paged.NextToken }));
  assert.deepEqual(rest.ApplicationVersionSummaries, [{ ApplicationVersionId: 1, ApplicationStatus: 'READY' }]);
  const old = (await kda.send(new DescribeApplicationVersionCommand({ ApplicationName: 'run-u', ApplicationVersionId: 1 }))).ApplicationVersionDetail!;
  assert.equal(old.ApplicationVersionId, 1);
  assert.equal(old.ApplicationConfigurationDescription!.EnvironmentPropertyDescriptions, undefined);
  await fails(kda.send(new DescribeApplicationVersionCommand({ ApplicationName: 'run-u', ApplicationVersionId: 9 })), 'ResourceNotFoundException', 'Application version 9 not found for application run-u.');

  // Rollback: version 4 carries version 2's configuration.
  await fails(kda.send(new RollbackApplicationCommand({ ApplicationName: 'run-u', CurrentApplicationVersionId: 2 })), 'ConcurrentModificationException', 'Provided application version id 2 does not match current application version id 3 of application run-u.');
  const rb = await kda.send(new RollbackApplicationCommand({ ApplicationName: 'run-u', CurrentApplicationVersionId: 3 }));
  const d4 = rb.ApplicationDetail!;
  assert.equal(d4.ApplicationStatus, 'ROLLING_BACK');
  assert.equal(d4.ApplicationVersionId, 4);
  assert.equal(d4.ApplicationVersionRolledBackFrom, 3);
  assert.equal(d4.ApplicationVersionRolledBackTo, 2);
  assert.deepEqual(d4.ApplicationConfigurationDescription!.EnvironmentPropertyDescriptions, { PropertyGroupDescriptions: props });
  const rbOp = await operation('run-u', rb.OperationId!);
  assert.equal(rbOp.Operation, 'RollbackApplication');
  assert.equal(rbOp.OperationStatus, 'SUCCESSFUL');
  await settles('run-u', 'RUNNING');
  assert.deepEqual(scripted.running.get('run-u'), { properties: props, version: 4 });

  await kda.send(new StopApplicationCommand({ ApplicationName: 'run-u', Force: true }));
  await settles('run-u', 'READY');
  await fails(kda.send(new RollbackApplicationCommand({ ApplicationName: 'run-u', CurrentApplicationVersionId: 4 })), 'ResourceInUseException', 'Application run-u is in READY status. RollbackApplication cannot be performed in this status.');
  const all = (await kda.send(new ListApplicationOperationsCommand({ ApplicationName: 'run-u' }))).ApplicationOperationInfoList!;
  assert.deepEqual(all.map((o) => o.Operation), ['UpdateApplication', 'StartApplication', 'UpdateApplication', 'RollbackApplication', 'StopApplication']);
  const first = await kda.send(new ListApplicationOperationsCommand({ ApplicationName: 'run-u', Limit: 2 }));
  assert.equal(first.NextToken, all[1].OperationId);
  const next = await kda.send(new ListApplicationOperationsCommand({ ApplicationName: 'run-u', Limit: 2, NextToken: first.NextToken }));
  assert.deepEqual(next.ApplicationOperationInfoList!.map((o) => o.OperationId), [all[2].OperationId, all[3].OperationId]);
  await fails(kda.send(new ListApplicationOperationsCommand({ ApplicationName: 'run-u', NextToken: 'zzz' })), 'InvalidArgumentException', 'Invalid NextToken.');
});

test('UpdateApplication: code from the object store is re-read; runtime upgrades only between Flink versions', async () => {
  await putCode('v1.zip', zipSync({ 'application.sql': strToU8('SELECT 1') }));
  await kda.send(
    new CreateApplicationCommand({
      ...flinkApp('codeup'),
      ApplicationConfiguration: { ApplicationCodeConfiguration: { CodeContentType: 'ZIPFILE', CodeContent: { S3ContentLocation: { BucketARN: BUCKET_ARN, FileKey: 'v1.zip' } } } },
    }),
  );
  const v2zip = zipSync({ 'application.sql': strToU8('SELECT 2, 3') });
  await putCode('v2.zip', v2zip);
  const updated = await kda.send(
    new UpdateApplicationCommand({
      ApplicationName: 'codeup',
      CurrentApplicationVersionId: 1,
      RuntimeEnvironmentUpdate: 'FLINK-2_2',
      ApplicationConfigurationUpdate: { ApplicationCodeConfigurationUpdate: { CodeContentUpdate: { S3ContentLocationUpdate: { FileKeyUpdate: 'v2.zip' } } } },
    }),
  );
  const code = updated.ApplicationDetail!.ApplicationConfigurationDescription!.ApplicationCodeConfigurationDescription!;
  assert.deepEqual(code.CodeContentDescription, { CodeMD5: md5(v2zip), CodeSize: v2zip.length, S3ApplicationCodeLocationDescription: { BucketARN: BUCKET_ARN, FileKey: 'v2.zip' } });
  assert.equal(updated.ApplicationDetail!.RuntimeEnvironment, 'FLINK-2_2');
  await fails(
    kda.send(new UpdateApplicationCommand({ ApplicationName: 'codeup', CurrentApplicationVersionId: 2, RuntimeEnvironmentUpdate: 'SQL-1_0' })),
    'InvalidArgumentException',
    'RuntimeEnvironment cannot be updated from FLINK-2_2 to SQL-1_0.',
  );
  await fails(
    kda.send(
      new UpdateApplicationCommand({
        ApplicationName: 'codeup',
        CurrentApplicationVersionId: 2,
        ApplicationConfigurationUpdate: { ApplicationCodeConfigurationUpdate: { CodeContentUpdate: { S3ContentLocationUpdate: { FileKeyUpdate: 'gone.zip' } } } },
      }),
    ),
    'InvalidArgumentException',
    `Unable to read application code from ${BUCKET_ARN}/gone.zip: The specified key does not exist..`,
  );
});

test('sub-resources: CloudWatch logging options and VPC configurations with operation ids; maintenance window; presigned URL', async () => {
  const created = await kda.send(new CreateApplicationCommand(flinkApp('subs')));
  const token = created.ApplicationDetail!.ConditionalToken;
  const logArn = 'arn:aws:logs:us-east-1:123456789012:log-group:g:log-stream:s';
  const added = await kda.send(new AddApplicationCloudWatchLoggingOptionCommand({ ApplicationName: 'subs', ConditionalToken: token, CloudWatchLoggingOption: { LogStreamARN: logArn } }));
  assert.equal(added.ApplicationVersionId, 2);
  assert.deepEqual(added.CloudWatchLoggingOptionDescriptions, [{ CloudWatchLoggingOptionId: '2.1', LogStreamARN: logArn }]);
  assert.equal((await operation('subs', added.OperationId!)).OperationStatus, 'SUCCESSFUL');
  await fails(
    kda.send(new AddApplicationCloudWatchLoggingOptionCommand({ ApplicationName: 'subs', CurrentApplicationVersionId: 2, CloudWatchLoggingOption: { LogStreamARN: logArn } })),
    'InvalidArgumentException',
    `CloudWatch logging option with LogStreamARN ${logArn} already exists.`,
  );
  await fails(
    kda.send(new DeleteApplicationCloudWatchLoggingOptionCommand({ ApplicationName: 'subs', CurrentApplicationVersionId: 2, CloudWatchLoggingOptionId: '9.9' })),
    'ResourceNotFoundException',
    'CloudWatch logging option with id 9.9 not found.',
  );
  const removed = await kda.send(new DeleteApplicationCloudWatchLoggingOptionCommand({ ApplicationName: 'subs', CurrentApplicationVersionId: 2, CloudWatchLoggingOptionId: '2.1' }));
  assert.equal(removed.ApplicationVersionId, 3);
  assert.deepEqual(removed.CloudWatchLoggingOptionDescriptions, []);

  const vpc = await kda.send(new AddApplicationVpcConfigurationCommand({ ApplicationName: 'subs', CurrentApplicationVersionId: 3, VpcConfiguration: { SubnetIds: ['subnet-1'], SecurityGroupIds: ['sg-1'] } }));
  assert.deepEqual(vpc.VpcConfigurationDescription, { VpcConfigurationId: '4.1', VpcId: 'vpc-1', SubnetIds: ['subnet-1'], SecurityGroupIds: ['sg-1'] });
  await fails(
    kda.send(new AddApplicationVpcConfigurationCommand({ ApplicationName: 'subs', CurrentApplicationVersionId: 4, VpcConfiguration: { SubnetIds: ['subnet-2'], SecurityGroupIds: ['sg-1'] } })),
    'InvalidArgumentException',
    'Application can have at most one VPC configuration.',
  );
  const novpc = await kda.send(new DeleteApplicationVpcConfigurationCommand({ ApplicationName: 'subs', CurrentApplicationVersionId: 4, VpcConfigurationId: '4.1' }));
  assert.equal(novpc.ApplicationVersionId, 5);

  const maintenance = await kda.send(new UpdateApplicationMaintenanceConfigurationCommand({ ApplicationName: 'subs', ApplicationMaintenanceConfigurationUpdate: { ApplicationMaintenanceWindowStartTimeUpdate: '22:30' } }));
  assert.deepEqual(maintenance.ApplicationMaintenanceConfigurationDescription, { ApplicationMaintenanceWindowStartTime: '22:30', ApplicationMaintenanceWindowEndTime: '06:30' });
  assert.equal((await describe('subs')).ApplicationVersionId, 5, 'the maintenance window is not versioned');
  await fails(
    kda.send(new UpdateApplicationMaintenanceConfigurationCommand({ ApplicationName: 'subs', ApplicationMaintenanceConfigurationUpdate: { ApplicationMaintenanceWindowStartTimeUpdate: '25:00' } })),
    'ValidationException',
    "1 validation error detected: Value '25:00' at 'applicationMaintenanceConfigurationUpdate.applicationMaintenanceWindowStartTimeUpdate' failed to satisfy constraint: Member must satisfy regular expression pattern: ([01][0-9]|2[0-3]):[0-5][0-9]",
  );
  await fails(
    kda.send(new CreateApplicationPresignedUrlCommand({ ApplicationName: 'subs', UrlType: 'ZEPPELIN_UI_URL' })),
    'InvalidArgumentException',
    'UrlType ZEPPELIN_UI_URL is not supported for RuntimeEnvironment FLINK-1_20.',
  );
  await fails(
    kda.send(new CreateApplicationPresignedUrlCommand({ ApplicationName: 'subs', UrlType: 'FLINK_DASHBOARD_URL' })),
    'ResourceInUseException',
    'Application subs is in READY status. CreateApplicationPresignedUrl cannot be performed in this status.',
  );
});

test('SQL-1_0 through v2: inputs with in-app stream names and 1.1 ids; start refused with the reason', async () => {
  const created = await kda.send(
    new CreateApplicationCommand({
      ApplicationName: 'sqlv2',
      RuntimeEnvironment: 'SQL-1_0',
      ServiceExecutionRole: ROLE,
      ApplicationConfiguration: {
        ApplicationCodeConfiguration: { CodeContentType: 'PLAINTEXT', CodeContent: { TextContent: 'CREATE OR REPLACE STREAM "DEST" (x INT);' } },
        SqlApplicationConfiguration: {
          Inputs: [
            {
              NamePrefix: 'SOURCE_SQL_STREAM',
              KinesisStreamsInput: { ResourceARN: 'arn:aws:kinesis:us-east-1:000000000000:stream/in' },
              InputParallelism: { Count: 2 },
              InputSchema: { RecordFormat: { RecordFormatType: 'JSON' }, RecordColumns: [{ Name: 'x', SqlType: 'INTEGER', Mapping: '$.x' }] },
            },
          ],
          Outputs: [{ Name: 'DEST', KinesisStreamsOutput: { ResourceARN: 'arn:aws:kinesis:us-east-1:000000000000:stream/out' }, DestinationSchema: { RecordFormatType: 'JSON' } }],
        },
      },
    }),
  );
  const sql = created.ApplicationDetail!.ApplicationConfigurationDescription!.SqlApplicationConfigurationDescription!;
  assert.equal(sql.InputDescriptions![0].InputId, '1.1');
  assert.deepEqual(sql.InputDescriptions![0].InAppStreamNames, ['SOURCE_SQL_STREAM_001', 'SOURCE_SQL_STREAM_002']);
  assert.equal(sql.OutputDescriptions![0].OutputId, '1.1');
  await fails(
    kda.send(new StartApplicationCommand({ ApplicationName: 'sqlv2', RunConfiguration: { SqlRunConfigurations: [{ InputId: '1.1', InputStartingPositionConfiguration: { InputStartingPosition: 'NOW' } }] } })),
    'InvalidApplicationConfigurationException',
    'Application sqlv2 uses the SQL-1_0 runtime (Kinesis Data Analytics for SQL), which AWS has retired and this server does not run: it can be created, described and updated, not started.',
  );
  await fails(kda.send(new StopApplicationCommand({ ApplicationName: 'sqlv2', Force: true })), 'InvalidArgumentException', 'Force stop is not supported for SQL-based application sqlv2.');
  await fails(kda.send(new CreateApplicationSnapshotCommand({ ApplicationName: 'sqlv2', SnapshotName: 's' })), 'UnsupportedOperationException', 'CreateApplicationSnapshot is only supported for Apache Flink applications.');

  // The SQL sub-resources through v2, each a new version with ids <version>.1.
  const lambda = 'arn:aws:lambda:us-east-1:000000000000:function:f';
  const out = await kda.send(
    new AddApplicationOutputCommand({ ApplicationName: 'sqlv2', CurrentApplicationVersionId: 1, Output: { Name: 'D2', LambdaOutput: { ResourceARN: lambda }, DestinationSchema: { RecordFormatType: 'CSV' } } }),
  );
  assert.equal(out.ApplicationVersionId, 2);
  assert.deepEqual(out.OutputDescriptions!.map((o) => o.OutputId), ['1.1', '2.1']);
  await kda.send(new DeleteApplicationOutputCommand({ ApplicationName: 'sqlv2', CurrentApplicationVersionId: 2, OutputId: '2.1' }));
  const ref = await kda.send(
    new AddApplicationReferenceDataSourceCommand({
      ApplicationName: 'sqlv2',
      CurrentApplicationVersionId: 3,
      ReferenceDataSource: {
        TableName: 'T',
        S3ReferenceDataSource: { BucketARN: BUCKET_ARN, FileKey: 'ref.csv' },
        ReferenceSchema: { RecordFormat: { RecordFormatType: 'CSV' }, RecordColumns: [{ Name: 'a', SqlType: 'INTEGER' }] },
      },
    }),
  );
  assert.equal(ref.ReferenceDataSourceDescriptions![0].ReferenceId, '4.1');
  await kda.send(new DeleteApplicationReferenceDataSourceCommand({ ApplicationName: 'sqlv2', CurrentApplicationVersionId: 4, ReferenceId: '4.1' }));
  const pre = await kda.send(
    new AddApplicationInputProcessingConfigurationCommand({ ApplicationName: 'sqlv2', CurrentApplicationVersionId: 5, InputId: '1.1', InputProcessingConfiguration: { InputLambdaProcessor: { ResourceARN: lambda } } }),
  );
  assert.deepEqual(pre.InputProcessingConfigurationDescription, { InputLambdaProcessorDescription: { ResourceARN: lambda } });
  await kda.send(new DeleteApplicationInputProcessingConfigurationCommand({ ApplicationName: 'sqlv2', CurrentApplicationVersionId: 6, InputId: '1.1' }));
  await fails(
    kda.send(new AddApplicationInputCommand({ ApplicationName: 'sqlv2', CurrentApplicationVersionId: 7, Input: { NamePrefix: 'X', KinesisStreamsInput: { ResourceARN: 'arn:aws:kinesis:us-east-1:000000000000:stream/x' }, InputSchema: { RecordFormat: { RecordFormatType: 'JSON' }, RecordColumns: [{ Name: 'x', SqlType: 'INTEGER' }] } } })),
    'InvalidArgumentException',
    'Application can have at most one input.',
  );
  await fails(
    kda.send(new AddApplicationInputCommand({ ApplicationName: 'subs', CurrentApplicationVersionId: 5, Input: { NamePrefix: 'X', KinesisStreamsInput: { ResourceARN: 'arn:aws:kinesis:us-east-1:000000000000:stream/x' }, InputSchema: { RecordFormat: { RecordFormatType: 'JSON' }, RecordColumns: [{ Name: 'x', SqlType: 'INTEGER' }] } } })),
    'InvalidArgumentException',
    'AddApplicationInput is only supported for SQL-1_0 applications.',
  );
  const sqlUpdate = await kda.send(
    new UpdateApplicationCommand({
      ApplicationName: 'sqlv2',
      CurrentApplicationVersionId: 7,
      ApplicationConfigurationUpdate: { SqlApplicationConfigurationUpdate: { InputUpdates: [{ InputId: '1.1', NamePrefixUpdate: 'IN' }] } },
    }),
  );
  assert.deepEqual(sqlUpdate.ApplicationDetail!.ApplicationConfigurationDescription!.SqlApplicationConfigurationDescription!.InputDescriptions![0].InAppStreamNames, ['IN_001', 'IN_002']);
  await fails(
    kda.send(new UpdateApplicationCommand({ ApplicationName: 'sqlv2', CurrentApplicationVersionId: 8, ApplicationConfigurationUpdate: { FlinkApplicationConfigurationUpdate: {} } })),
    'InvalidArgumentException',
    'FlinkApplicationConfigurationUpdate is not supported for RuntimeEnvironment SQL-1_0.',
  );
});

test('tags, ListApplications paging, DeleteApplication with CreateTimestamp', async () => {
  const arn = `arn:aws:kinesisanalytics:us-east-1:${ACCOUNT}:application/plain`;
  await kda.send(new TagResourceCommand({ ResourceARN: arn, Tags: [{ Key: 'env', Value: 'test' }] }));
  assert.deepEqual((await kda.send(new ListTagsForResourceCommand({ ResourceARN: arn }))).Tags, [{ Key: 'team', Value: 'a' }, { Key: 'env', Value: 'test' }]);
  await kda.send(new UntagResourceCommand({ ResourceARN: arn, TagKeys: ['team'] }));
  assert.deepEqual((await kda.send(new ListTagsForResourceCommand({ ResourceARN: arn }))).Tags, [{ Key: 'env', Value: 'test' }]);
  await fails(
    kda.send(new TagResourceCommand({ ResourceARN: arn, Tags: Array.from({ length: 50 }, (_, i) => ({ Key: `k${i}`, Value: 'v' })) })),
    'TooManyTagsException',
    'Application can have at most 50 tags.',
  );
  await fails(kda.send(new ListTagsForResourceCommand({ ResourceARN: 'arn:aws:s3:::x' })), 'InvalidArgumentException', 'Invalid ResourceARN arn:aws:s3:::x.');
  await fails(
    kda.send(new ListTagsForResourceCommand({ ResourceARN: 'arn:aws:kinesisanalytics:us-east-1:111111111111:application/plain' })),
    'ResourceNotFoundException',
    `Application plain not found under account ${ACCOUNT}.`,
  );

  const names = (await kda.send(new ListApplicationsCommand({}))).ApplicationSummaries!.map((s) => s.ApplicationName!);
  assert.deepEqual(names, [...names].sort());
  const first = await kda.send(new ListApplicationsCommand({ Limit: 2 }));
  assert.deepEqual(first.ApplicationSummaries!.map((s) => s.ApplicationName), names.slice(0, 2));
  assert.equal(first.NextToken, names[1]);
  const second = await kda.send(new ListApplicationsCommand({ Limit: 2, NextToken: first.NextToken }));
  assert.deepEqual(second.ApplicationSummaries!.map((s) => s.ApplicationName), names.slice(2, 4));
  const summary = first.ApplicationSummaries![0];
  assert.deepEqual(Object.keys(summary).sort(), ['ApplicationARN', 'ApplicationMode', 'ApplicationName', 'ApplicationStatus', 'ApplicationVersionId', 'RuntimeEnvironment']);

  const d = await describe('plain');
  await fails(
    kda.send(new DeleteApplicationCommand({ ApplicationName: 'plain', CreateTimestamp: new Date(d.CreateTimestamp!.getTime() - 1000) })),
    'InvalidArgumentException',
    'CreateTimestamp provided does not match the creation timestamp of application plain.',
  );
  await kda.send(new DeleteApplicationCommand({ ApplicationName: 'plain', CreateTimestamp: d.CreateTimestamp }));
  for (let i = 0; i < 400; i++) {
    const gone = await kda.send(new DescribeApplicationCommand({ ApplicationName: 'plain' })).then(
      (r) => (assert.equal(r.ApplicationDetail!.ApplicationStatus, 'DELETING'), false),
      (err) => (assert.equal(err.name, 'ResourceNotFoundException'), true),
    );
    if (gone) break;
    await new Promise((r) => setTimeout(r, 25));
  }
  await fails(kda.send(new DescribeApplicationCommand({ ApplicationName: 'plain' })), 'ResourceNotFoundException', `Application plain not found under account ${ACCOUNT}.`);
  // The name can be used again, with a fresh history.
  await kda.send(new CreateApplicationCommand(flinkApp('plain')));
  assert.equal((await kda.send(new ListApplicationOperationsCommand({ ApplicationName: 'plain' }))).ApplicationOperationInfoList!.length, 0);

  // Deleting a running application stops its job first.
  await kda.send(new CreateApplicationCommand(flinkApp('run-del')));
  await kda.send(new StartApplicationCommand({ ApplicationName: 'run-del' }));
  const running = await settles('run-del', 'RUNNING');
  await kda.send(new DeleteApplicationCommand({ ApplicationName: 'run-del', CreateTimestamp: running.CreateTimestamp }));
  for (let i = 0; i < 400 && scripted.running.has('run-del'); i++) await new Promise((r) => setTimeout(r, 25));
  assert.ok(!scripted.running.has('run-del'));
});

test('DiscoverInputSchema from an object of the object store', async () => {
  await putCode('sample.json', '{"ticker":"AMZN","price":12.5,"volume":100}\n{"ticker":"ABCDEFGHI","price":3,"volume":5000000000}\n');
  const found = await kda.send(new DiscoverInputSchemaCommand({ ServiceExecutionRole: ROLE, S3Configuration: { BucketARN: BUCKET_ARN, FileKey: 'sample.json' } }));
  assert.deepEqual(found.InputSchema, {
    RecordFormat: { RecordFormatType: 'JSON', MappingParameters: { JSONMappingParameters: { RecordRowPath: '$' } } },
    RecordEncoding: 'UTF-8',
    RecordColumns: [
      { Name: 'ticker', Mapping: '$.ticker', SqlType: 'VARCHAR(16)' },
      { Name: 'price', Mapping: '$.price', SqlType: 'DOUBLE' },
      { Name: 'volume', Mapping: '$.volume', SqlType: 'BIGINT' },
    ],
  });
  assert.deepEqual(found.ParsedInputRecords, [['AMZN', '12.5', '100'], ['ABCDEFGHI', '3', '5000000000']]);
  assert.equal(found.RawInputRecords!.length, 2);
  await putCode('empty.json', '\n');
  await fails(
    kda.send(new DiscoverInputSchemaCommand({ ServiceExecutionRole: ROLE, S3Configuration: { BucketARN: BUCKET_ARN, FileKey: 'empty.json' } })),
    'UnableToDetectSchemaException',
    'No records were found to detect a schema from.',
  );
  await fails(kda.send(new DiscoverInputSchemaCommand({ ServiceExecutionRole: ROLE })), 'InvalidArgumentException', 'Either ResourceARN or S3Configuration must be provided.');
  await fails(
    kda.send(new DiscoverInputSchemaCommand({ ServiceExecutionRole: ROLE, ResourceARN: 'arn:aws:firehose:us-east-1:000000000000:deliverystream/f' })),
    'InvalidArgumentException',
    'Millrace discovers schemas from Kinesis streams and S3Configuration objects: a Firehose delivery stream keeps no records to sample.',
  );
});

test('DiscoverInputSchema from a Millrace Kinesis stream: the oldest records (TRIM_HORIZON) or the newest (NOW)', async () => {
  const kinesis = server.client();
  await kinesis.send(new CreateStreamCommand({ StreamName: 'ticks', ShardCount: 1 }));
  for (let i = 0; i < 30; i++) {
    const status = (await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: 'ticks' }))).StreamDescriptionSummary!.StreamStatus;
    if (status === 'ACTIVE') break;
    await new Promise((r) => setTimeout(r, 50));
  }
  await kinesis.send(new PutRecordCommand({ StreamName: 'ticks', PartitionKey: 'a', Data: Buffer.from('{"sym":"A","n":1}') }));
  for (let i = 0; i < 120; i++) await kinesis.send(new PutRecordCommand({ StreamName: 'ticks', PartitionKey: 'a', Data: Buffer.from(`{"sym":"LONGER","n":${i},"ok":true}`) }));
  const arn = `arn:aws:kinesis:us-east-1:${ACCOUNT}:stream/ticks`;
  const oldest = await kda.send(new DiscoverInputSchemaCommand({ ServiceExecutionRole: ROLE, ResourceARN: arn, InputStartingPositionConfiguration: { InputStartingPosition: 'TRIM_HORIZON' } }));
  assert.equal(oldest.RawInputRecords![0], '{"sym":"A","n":1}');
  assert.equal(oldest.RawInputRecords!.length, 100);
  const newest = await kda.send(new DiscoverInputSchemaCommand({ ServiceExecutionRole: ROLE, ResourceARN: arn, InputStartingPositionConfiguration: { InputStartingPosition: 'NOW' } }));
  assert.equal(newest.RawInputRecords!.at(-1), '{"sym":"LONGER","n":119,"ok":true}');
  assert.deepEqual(newest.InputSchema!.RecordColumns, [
    { Name: 'sym', Mapping: '$.sym', SqlType: 'VARCHAR(8)' },
    { Name: 'n', Mapping: '$.n', SqlType: 'INTEGER' },
    { Name: 'ok', Mapping: '$.ok', SqlType: 'BOOLEAN' },
  ]);
});

test('system rollback: an update whose job does not start fails with a RollbackOperationId and the previous configuration runs again', async () => {
  await kda.send(
    new CreateApplicationCommand(
      flinkApp('run-sys', {
        ApplicationConfiguration: {
          ApplicationCodeConfiguration: { CodeContentType: 'PLAINTEXT', CodeContent: { TextContent: 'SELECT 1' } },
          ApplicationSystemRollbackConfiguration: { RollbackEnabled: true },
          EnvironmentProperties: { PropertyGroups: [{ PropertyGroupId: 'g', PropertyMap: { v: 'good' } }] },
        },
      }),
    ),
  );
  await kda.send(new StartApplicationCommand({ ApplicationName: 'run-sys' }));
  await settles('run-sys', 'RUNNING');
  scripted.failNextStart = 'java.lang.IllegalArgumentException: bad property';
  const update = await kda.send(
    new UpdateApplicationCommand({
      ApplicationName: 'run-sys',
      CurrentApplicationVersionId: 1,
      ApplicationConfigurationUpdate: { EnvironmentPropertyUpdates: { PropertyGroups: [{ PropertyGroupId: 'g', PropertyMap: { v: 'bad' } }] } },
    }),
  );
  const failed = await operation('run-sys', update.OperationId!);
  assert.equal(failed.OperationStatus, 'FAILED');
  assert.equal(failed.OperationFailureDetails!.ErrorInfo!.ErrorString, 'java.lang.IllegalArgumentException: bad property');
  const rollbackId = failed.OperationFailureDetails!.RollbackOperationId!;
  const rollback = await operation('run-sys', rollbackId);
  assert.equal(rollback.Operation, 'RollbackApplication');
  assert.equal(rollback.OperationStatus, 'SUCCESSFUL');
  assert.deepEqual(rollback.ApplicationVersionChangeDetails, { ApplicationVersionUpdatedFrom: 2, ApplicationVersionUpdatedTo: 3 });
  const d = await settles('run-sys', 'RUNNING');
  assert.equal(d.ApplicationVersionId, 3);
  assert.equal(d.ApplicationVersionRolledBackFrom, 2);
  assert.equal(d.ApplicationVersionRolledBackTo, 1);
  assert.deepEqual(scripted.running.get('run-sys'), { properties: [{ PropertyGroupId: 'g', PropertyMap: { v: 'good' } }], version: 3 });
});
