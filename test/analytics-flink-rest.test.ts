import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { strToU8, zipSync } from 'fflate';
import {
  KinesisAnalyticsV2Client,
  CreateApplicationCommand,
  CreateApplicationSnapshotCommand,
  DescribeApplicationCommand,
  DescribeApplicationOperationCommand,
  DescribeApplicationSnapshotCommand,
  DeleteApplicationCommand,
  UpdateApplicationCommand,
  ListApplicationSnapshotsCommand,
  StartApplicationCommand,
  StopApplicationCommand,
  type ApplicationStatus,
} from '@aws-sdk/client-kinesis-analytics-v2';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { available, sleep, startTestServer, type TestServer } from './helpers.js';
import { FakeFlink } from './fixtures/fake-flink.js';
import { NO_ENTRY_CLASS } from '../src/analytics/flink-rest/runner.js';

/**
 * JAR applications on a Flink cluster (issue 15 §6, `--flink-rest`): the JAR comes from the object
 * store, is uploaded and run through Flink's REST API, and the application is RUNNING only once Flink
 * says the job is; a stop takes a savepoint that becomes a snapshot, a start from a snapshot passes its
 * savepoint, a force stop cancels; a job that fails, a main() that throws, a JAR without an entry class
 * and an unreachable cluster end the start FAILED with the reason, never RUNNING. Flink itself cannot be
 * installed here, so the cluster is fixtures/fake-flink.ts, which speaks Flink's documented REST API.
 * (Without --flink-rest, the start's exact ErrorInfo is asserted in analytics-control.test.ts.)
 */

const ROLE = 'arn:aws:iam::123456789012:role/kda';
const BUCKET = 'flink-code';
const SAVEPOINTS = 's3://savepoints';
/** Where the application's savepoints go: per account (the server's default), region and name. */
const DIR = `${SAVEPOINTS}/000000000000/us-east-1/orders`;
const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };
let flink: FakeFlink;
let server: TestServer;
let kda: KinesisAnalyticsV2Client;
let s3: S3Client;

before(async () => {
  flink = new FakeFlink();
  await flink.start();
  server = await startTestServer({ flinkRest: flink.url, flinkSavepointDir: SAVEPOINTS });
  kda = new KinesisAnalyticsV2Client({ endpoint: server.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
  s3 = new S3Client({ endpoint: server.endpoint, region: 'us-east-1', credentials, forcePathStyle: true, maxAttempts: 1 });
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
});
after(async () => {
  kda.destroy();
  s3.destroy();
  await server.stop();
  await flink.stop().catch(() => undefined);
});

const jarOf = (manifest: string) => zipSync({ 'META-INF/MANIFEST.MF': strToU8(manifest), 'com/example/Job.class': new Uint8Array([0xca, 0xfe, 0xba, 0xbe]) });
const JAR = jarOf('Manifest-Version: 1.0\nCreated-By: test\nMain-Class: com.example.\n Job\n');

async function createJarApp(name: string, jar: Uint8Array = JAR): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${name}/app.jar`, Body: jar }));
  await kda.send(
    new CreateApplicationCommand({
      ApplicationName: name,
      RuntimeEnvironment: 'FLINK-1_20',
      ServiceExecutionRole: ROLE,
      ApplicationConfiguration: {
        ApplicationCodeConfiguration: { CodeContentType: 'ZIPFILE', CodeContent: { S3ContentLocation: { BucketARN: `arn:aws:s3:::${BUCKET}`, FileKey: `${name}/app.jar` } } },
        ApplicationSnapshotConfiguration: { SnapshotsEnabled: true },
        FlinkApplicationConfiguration: { ParallelismConfiguration: { ConfigurationType: 'CUSTOM', Parallelism: 2, ParallelismPerKPU: 1, AutoScalingEnabled: false } },
        EnvironmentProperties: { PropertyGroups: [{ PropertyGroupId: 'job', PropertyMap: { 'input.stream': 'orders', window: '10 s' } }] },
      },
    }),
  );
}

async function status(name: string): Promise<ApplicationStatus> {
  return (await kda.send(new DescribeApplicationCommand({ ApplicationName: name }))).ApplicationDetail!.ApplicationStatus!;
}

async function settles(name: string, want: ApplicationStatus): Promise<void> {
  let last: string | undefined;
  for (let i = 0; i < 600; i++) {
    last = await status(name);
    if (last === want) return;
    await sleep(50);
  }
  assert.fail(`${name} is ${last}, not ${want}`);
}

async function operation(name: string, id: string) {
  for (let i = 0; i < 600; i++) {
    const op = (await kda.send(new DescribeApplicationOperationCommand({ ApplicationName: name, OperationId: id }))).ApplicationOperationInfoDetails!;
    if (op.OperationStatus !== 'IN_PROGRESS') return op;
    await sleep(50);
  }
  assert.fail(`operation ${id} of ${name} never ended`);
}

type Restore = { ApplicationRestoreType: 'SKIP_RESTORE_FROM_SNAPSHOT' | 'RESTORE_FROM_LATEST_SNAPSHOT' | 'RESTORE_FROM_CUSTOM_SNAPSHOT'; SnapshotName?: string };
const startId = async (name: string, restore?: Restore) =>
  (await kda.send(new StartApplicationCommand({ ApplicationName: name, RunConfiguration: restore ? { ApplicationRestoreConfiguration: restore } : undefined }))).OperationId!;
const start = async (name: string, restore?: Restore) => operation(name, await startId(name, restore));
async function stop(name: string, force = false) {
  const op = await operation(name, (await kda.send(new StopApplicationCommand({ ApplicationName: name, Force: force }))).OperationId!);
  await settles(name, 'READY');
  return op;
}

/** Until the fake has `count` jobs. */
async function jobs(count: number): Promise<void> {
  for (let i = 0; i < 600 && flink.jobs.size < count; i++) await sleep(20);
  assert.equal(flink.jobs.size, count);
}

async function snapshots(name: string) {
  return (await kda.send(new ListApplicationSnapshotsCommand({ ApplicationName: name }))).SnapshotSummaries ?? [];
}

test('start uploads the JAR from the object store and runs it; RUNNING only once Flink says RUNNING; stop with savepoint; restore; force stop cancels', async () => {
  await createJarApp('orders');
  flink.holdNext = true;
  const opId = await startId('orders');
  await jobs(1);
  const job = flink.lastJob();
  // Flink has the job but it is not running: the application is not either.
  for (let i = 0; i < 5; i++) {
    assert.equal(job.state, 'CREATED');
    assert.equal(await status('orders'), 'STARTING');
    assert.equal((await kda.send(new DescribeApplicationOperationCommand({ ApplicationName: 'orders', OperationId: opId }))).ApplicationOperationInfoDetails!.OperationStatus, 'IN_PROGRESS');
    await sleep(20);
  }
  flink.release(job.id);
  const started = await operation('orders', opId);
  assert.equal(started.OperationStatus, 'SUCCESSFUL', JSON.stringify(started.OperationFailureDetails));
  assert.equal(await status('orders'), 'RUNNING');
  assert.equal(job.state, 'RUNNING');

  // What Flink was sent: the JAR's bytes, its manifest's Main-Class, the properties as program arguments.
  assert.equal(flink.uploads.length, 1);
  assert.deepEqual(new Uint8Array(flink.uploads[0].bytes), JAR);
  assert.equal(flink.uploads[0].fileName, 'app.jar');
  assert.equal(job.jarId, flink.uploads[0].jarId);
  assert.equal(job.request.entryClass, 'com.example.Job');
  assert.deepEqual(job.request.programArgsList, ['--job.input.stream', 'orders', '--job.window', '10 s']);
  assert.equal(job.request.parallelism, 2);
  assert.match(job.request.jobId, /^[0-9a-f]{32}$/);
  assert.equal(job.request.savepointPath, undefined);

  // CreateApplicationSnapshot: a savepoint of the running job.
  await kda.send(new CreateApplicationSnapshotCommand({ ApplicationName: 'orders', SnapshotName: 'by-hand' }));
  const snap = (await kda.send(new DescribeApplicationSnapshotCommand({ ApplicationName: 'orders', SnapshotName: 'by-hand' }))).SnapshotDetails!;
  assert.equal(snap.SnapshotStatus, 'READY');
  assert.deepEqual(flink.savepointTriggers, [{ jobId: job.id, body: { 'cancel-job': false, 'target-directory': DIR } }]);
  assert.equal(job.state, 'RUNNING');

  // Stop: stop-with-savepoint; the savepoint is the stop's snapshot; the JAR is deleted.
  const stopped = await stop('orders');
  assert.equal(stopped.OperationStatus, 'SUCCESSFUL', JSON.stringify(stopped.OperationFailureDetails));
  assert.deepEqual(flink.stops, [{ jobId: job.id, body: { drain: false, targetDirectory: DIR } }]);
  assert.equal(job.state, 'FINISHED');
  assert.deepEqual(flink.deletedJars, [job.jarId]);
  const names = (await snapshots('orders')).map((s) => s.SnapshotName!);
  assert.equal(names.length, 2);
  assert.ok(names.includes('by-hand'));
  const stopSnapshot = names.find((n) => n !== 'by-hand')!;
  assert.match(stopSnapshot, /^millrace-stop-/);

  // Start again: from the latest snapshot (the stop's savepoint) by default.
  const restarted = await start('orders');
  assert.equal(restarted.OperationStatus, 'SUCCESSFUL', JSON.stringify(restarted.OperationFailureDetails));
  await jobs(2);
  const second = flink.lastJob();
  const stopLocation = second.request.savepointPath as string;
  assert.match(stopLocation, new RegExp(`^${DIR}/savepoint-${job.id.slice(0, 6)}-`));
  assert.equal(second.request.allowNonRestoredState, false);
  assert.equal(second.state, 'RUNNING');

  // Force stop: cancelled, no savepoint, no new snapshot.
  const forced = await stop('orders', true);
  assert.equal(forced.OperationStatus, 'SUCCESSFUL', JSON.stringify(forced.OperationFailureDetails));
  assert.deepEqual(flink.cancels, [second.id]);
  assert.equal(second.state, 'CANCELED');
  assert.equal(flink.stops.length, 1);
  assert.equal((await snapshots('orders')).length, 2);

  // From a named snapshot: the savepoint CreateApplicationSnapshot took; and SKIP passes none.
  await start('orders', { ApplicationRestoreType: 'RESTORE_FROM_CUSTOM_SNAPSHOT', SnapshotName: 'by-hand' });
  const third = flink.lastJob();
  assert.equal(flink.jobs.size, 3);
  assert.match(third.request.savepointPath, new RegExp(`^${DIR}/savepoint-${job.id.slice(0, 6)}-`));
  assert.notEqual(third.request.savepointPath, stopLocation);
  await stop('orders', true);
  await start('orders', { ApplicationRestoreType: 'SKIP_RESTORE_FROM_SNAPSHOT' });
  assert.equal(flink.lastJob().request.savepointPath, undefined);
  await stop('orders', true);
});

test('an update of a running JAR application stops it with a savepoint and runs the new version from it; a delete cancels the job', async () => {
  await createJarApp('updated');
  assert.equal((await start('updated')).OperationStatus, 'SUCCESSFUL');
  const first = flink.lastJob();
  const detail = (await kda.send(new DescribeApplicationCommand({ ApplicationName: 'updated' }))).ApplicationDetail!;
  const { OperationId } = await kda.send(
    new UpdateApplicationCommand({
      ApplicationName: 'updated',
      CurrentApplicationVersionId: detail.ApplicationVersionId,
      ApplicationConfigurationUpdate: { EnvironmentPropertyUpdates: { PropertyGroups: [{ PropertyGroupId: 'job', PropertyMap: { 'input.stream': 'returns' } }] } },
    }),
  );
  const updated = await operation('updated', OperationId!);
  assert.equal(updated.OperationStatus, 'SUCCESSFUL', JSON.stringify(updated.OperationFailureDetails));
  await settles('updated', 'RUNNING');
  const second = flink.lastJob();
  assert.notEqual(second.id, first.id);
  assert.equal(first.state, 'FINISHED');
  assert.equal(flink.stops.at(-1)!.jobId, first.id);
  assert.match(second.request.savepointPath, new RegExp(`/updated/savepoint-${first.id.slice(0, 6)}-`));
  assert.deepEqual(second.request.programArgsList, ['--job.input.stream', 'returns']);

  const created = (await kda.send(new DescribeApplicationCommand({ ApplicationName: 'updated' }))).ApplicationDetail!.CreateTimestamp!;
  await kda.send(new DeleteApplicationCommand({ ApplicationName: 'updated', CreateTimestamp: created }));
  for (let i = 0; i < 600 && second.state !== 'CANCELED'; i++) await sleep(20);
  assert.equal(second.state, 'CANCELED');
  assert.ok(flink.cancels.includes(second.id));
});

test('an inline zip carrying one JAR: that JAR is what Flink gets', async () => {
  const zip = zipSync({ 'lib/pipeline.jar': JAR, 'README.txt': strToU8('the job') });
  await kda.send(
    new CreateApplicationCommand({
      ApplicationName: 'zipped',
      RuntimeEnvironment: 'FLINK-1_18',
      ServiceExecutionRole: ROLE,
      ApplicationConfiguration: { ApplicationCodeConfiguration: { CodeContentType: 'ZIPFILE', CodeContent: { ZipFileContent: zip } }, ApplicationSnapshotConfiguration: { SnapshotsEnabled: false } },
    }),
  );
  assert.equal((await start('zipped')).OperationStatus, 'SUCCESSFUL');
  const upload = flink.uploads.at(-1)!;
  assert.equal(upload.fileName, 'pipeline.jar');
  assert.deepEqual(new Uint8Array(upload.bytes), JAR);
  assert.deepEqual(flink.lastJob().request.programArgsList, []);
  assert.equal(flink.lastJob().request.parallelism, 1);
  // With snapshots off, a stop cancels the job: no savepoint.
  const stops = flink.stops.length;
  await stop('zipped');
  assert.equal(flink.lastJob().state, 'CANCELED');
  assert.equal(flink.stops.length, stops);
});

test('a stop whose savepoint fails cancels the job and says so; a failed CreateApplicationSnapshot is FAILED', async () => {
  await createJarApp('no-savepoint');
  assert.equal((await start('no-savepoint')).OperationStatus, 'SUCCESSFUL');
  const job = flink.lastJob();
  flink.failNextSavepoint = 'java.io.IOException: Permission denied: s3://savepoints';
  await kda.send(new CreateApplicationSnapshotCommand({ ApplicationName: 'no-savepoint', SnapshotName: 'denied' }));
  assert.equal((await kda.send(new DescribeApplicationSnapshotCommand({ ApplicationName: 'no-savepoint', SnapshotName: 'denied' }))).SnapshotDetails!.SnapshotStatus, 'FAILED');
  assert.equal(job.state, 'RUNNING');
  flink.failNextSavepoint = 'java.io.IOException: Permission denied: s3://savepoints';
  const op = await stop('no-savepoint');
  assert.equal(op.OperationStatus, 'FAILED');
  assert.equal(
    op.OperationFailureDetails!.ErrorInfo!.ErrorString,
    `Application no-savepoint's Flink job ${job.id} did not stop with a savepoint: java.io.IOException: Permission denied: s3://savepoints; it was cancelled without a snapshot`,
  );
  assert.equal(job.state, 'CANCELED');
  assert.deepEqual((await snapshots('no-savepoint')).map((s) => [s.SnapshotName, s.SnapshotStatus]), [['denied', 'FAILED']]);
});

const JOB_FAILURE =
  'org.apache.flink.runtime.JobException: Recovery is suppressed by NoRestartBackoffTimeStrategy\n\tat org.apache.flink.runtime.executiongraph.failover.flip1.ExecutionFailureHandler.handleFailure(ExecutionFailureHandler.java:176)\nCaused by: java.lang.IllegalStateException: no such stream: orders\n\tat com.example.Job.main(Job.java:12)';

test('a job that fails before it runs: the start FAILED with Flink exception, the application READY', async () => {
  await createJarApp('failing');
  flink.failNext = JOB_FAILURE;
  const op = await start('failing');
  assert.equal(op.OperationStatus, 'FAILED');
  assert.equal(
    op.OperationFailureDetails!.ErrorInfo!.ErrorString,
    'org.apache.flink.runtime.JobException: Recovery is suppressed by NoRestartBackoffTimeStrategy Caused by: java.lang.IllegalStateException: no such stream: orders',
  );
  await settles('failing', 'READY');
  assert.equal(flink.lastJob().state, 'FAILED');
  assert.ok(flink.deletedJars.includes(flink.lastJob().jarId));
});

test("a main() that throws: Flink's run error is the start's ErrorInfo", async () => {
  await createJarApp('throwing');
  flink.mainThrows = 'java.lang.IllegalArgumentException: --job.input.stream is required';
  const before = flink.jobs.size;
  const op = await start('throwing');
  assert.equal(op.OperationStatus, 'FAILED');
  const jarId = flink.uploads.at(-1)!.jarId;
  assert.equal(
    op.OperationFailureDetails!.ErrorInfo!.ErrorString,
    `Application throwing could not be started: Flink's POST /jars/${jarId}/run answered 400: org.apache.flink.runtime.rest.handler.RestHandlerException: Could not execute application. Caused by: org.apache.flink.client.program.ProgramInvocationException: The main method caused an error: java.lang.IllegalArgumentException: --job.input.stream is required`,
  );
  assert.equal(flink.jobs.size, before);
  assert.ok(flink.deletedJars.includes(jarId));
  await settles('throwing', 'READY');
});

test('a JAR whose manifest names no entry class is refused before anything is uploaded', async () => {
  await createJarApp('no-main', jarOf('Manifest-Version: 1.0\n'));
  const uploads = flink.uploads.length;
  const op = await start('no-main');
  assert.equal(op.OperationFailureDetails!.ErrorInfo!.ErrorString, `Application no-main could not be started: org.apache.flink.client.program.ProgramInvocationException: ${NO_ENTRY_CLASS}`);
  assert.equal(flink.uploads.length, uploads);
  await settles('no-main', 'READY');
});

test('a running job that fails for good: the application goes back to READY (never RUNNING with nothing running)', async () => {
  await createJarApp('dies');
  const op = await start('dies');
  assert.equal(op.OperationStatus, 'SUCCESSFUL');
  assert.equal(await status('dies'), 'RUNNING');
  const job = flink.lastJob();
  flink.fail(job.id, JOB_FAILURE);
  await settles('dies', 'READY');
  assert.equal(job.state, 'FAILED');
  assert.ok(flink.deletedJars.includes(job.jarId));
  // Started again, it runs a new job.
  assert.equal((await start('dies')).OperationStatus, 'SUCCESSFUL');
  assert.notEqual(flink.lastJob().id, job.id);
  await stop('dies', true);
});

test('boto3: the start of a JAR app whose job fails reads FAILED with the Flink exception', async (t) => {
  if (!(await available('python3', ['-c', 'import boto3']))) return t.skip("`python3 -c 'import boto3'` fails here");
  await createJarApp('boto');
  flink.failNext = JOB_FAILURE;
  const script = `
import sys, time, boto3
c = boto3.client('kinesisanalyticsv2', endpoint_url=sys.argv[1], region_name='us-east-1', aws_access_key_id='AKIDEXAMPLE', aws_secret_access_key='secret')
op = c.start_application(ApplicationName='boto')['OperationId']
while True:
    d = c.describe_application_operation(ApplicationName='boto', OperationId=op)['ApplicationOperationInfoDetails']
    if d['OperationStatus'] != 'IN_PROGRESS': break
    time.sleep(0.05)
print(d['OperationStatus'])
print(d['OperationFailureDetails']['ErrorInfo']['ErrorString'])
`;
  const out = await new Promise<string>((resolve, reject) =>
    execFile('python3', ['-c', script, server.endpoint], { timeout: 60_000, env: { ...process.env, AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null' } }, (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout))),
  );
  assert.deepEqual(out.trim().split('\n'), ['FAILED', 'org.apache.flink.runtime.JobException: Recovery is suppressed by NoRestartBackoffTimeStrategy Caused by: java.lang.IllegalStateException: no such stream: orders']);
});

test('an unreachable Flink cluster: the start FAILED saying so, never RUNNING', async () => {
  await createJarApp('unreachable');
  await flink.stop();
  const op = await start('unreachable');
  assert.equal(op.OperationStatus, 'FAILED');
  const port = new URL(flink.url).port;
  assert.equal(
    op.OperationFailureDetails!.ErrorInfo!.ErrorString,
    `Application unreachable could not be started: the Flink cluster at ${flink.url} could not be reached (POST /jars/upload: connect ECONNREFUSED 127.0.0.1:${port})`,
  );
  await settles('unreachable', 'READY');
});
