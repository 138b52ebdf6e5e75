import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { available, startTestServer, type TestServer } from './helpers.js';

/**
 * Both Analytics control planes through boto3 and the AWS CLI (`aws kinesisanalyticsv2 …`,
 * `aws kinesisanalytics …`): what their serializers send (whole-second timestamps, blobs) and how
 * they read Millrace's answers and errors.
 */

let server: TestServer;
const ROLE = 'arn:aws:iam::123456789012:role/kda';
const CLIENT_ENV = {
  ...process.env,
  AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'secret',
  AWS_DEFAULT_REGION: 'us-east-1',
  AWS_DEFAULT_OUTPUT: 'json',
  AWS_MAX_ATTEMPTS: '1',
  AWS_RETRY_MODE: 'standard',
};

before(async () => {
  server = await startTestServer();
});
after(async () => {
  await server.stop();
});

function run(command: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { env: CLIENT_ENV, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

test('AWS CLI: kinesisanalyticsv2 create, start (FAILED with the reason), operations, versions, errors, delete', async (t) => {
  if (!(await available('aws', ['--version']))) return t.skip('`aws --version` does not run here');
  const aws = (...args: string[]) => run('aws', ['--endpoint-url', server.endpoint, 'kinesisanalyticsv2', ...args]);
  const created = await aws(
    'create-application',
    '--application-name', 'cli1',
    '--runtime-environment', 'FLINK-1_20',
    '--service-execution-role', ROLE,
    '--application-configuration', JSON.stringify({ ApplicationCodeConfiguration: { CodeContentType: 'PLAINTEXT', CodeContent: { TextContent: 'SELECT 1' } } }),
  );
  assert.equal(created.code, 0, created.stderr);
  assert.equal(JSON.parse(created.stdout).ApplicationDetail.ApplicationStatus, 'READY');

  const started = await aws('start-application', '--application-name', 'cli1');
  assert.equal(started.code, 0, started.stderr);
  const { OperationId } = JSON.parse(started.stdout);
  let details: any;
  for (let i = 0; i < 200; i++) {
    const described = await aws('describe-application-operation', '--application-name', 'cli1', '--operation-id', OperationId);
    assert.equal(described.code, 0, described.stderr);
    details = JSON.parse(described.stdout).ApplicationOperationInfoDetails;
    if (details.OperationStatus !== 'IN_PROGRESS') break;
  }
  assert.equal(details.OperationStatus, 'FAILED');
  // The engine compiles the SQL at start; a query without a source table is refused with its reason.
  assert.equal(
    details.OperationFailureDetails.ErrorInfo.ErrorString,
    "org.apache.flink.client.program.ProgramInvocationException: The main method caused an error: org.apache.flink.table.api.TableException: Unsupported SQL construct in Millrace's Flink SQL engine: SELECT without FROM in a streaming job",
  );
  const listed = await aws('list-application-operations', '--application-name', 'cli1');
  assert.equal(JSON.parse(listed.stdout).ApplicationOperationInfoList[0].OperationId, OperationId);

  const missing = await aws('describe-application', '--application-name', 'ghost');
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /An error occurred \(ResourceNotFoundException\) when calling the DescribeApplication operation(?: \(reached max retries: 0\))?: Application ghost not found under account 000000000000\./);
  const invalid = await aws('list-applications', '--limit', '51');
  assert.match(invalid.stderr, /ValidationException.*Value '51' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 50/);

  const detail = JSON.parse((await aws('describe-application', '--application-name', 'cli1')).stdout).ApplicationDetail;
  const updated = await aws(
    'update-application',
    '--application-name', 'cli1',
    '--conditional-token', detail.ConditionalToken,
    '--application-configuration-update', JSON.stringify({ EnvironmentPropertyUpdates: { PropertyGroups: [{ PropertyGroupId: 'g', PropertyMap: { k: 'v' } }] } }),
  );
  assert.equal(updated.code, 0, updated.stderr);
  assert.equal(JSON.parse(updated.stdout).ApplicationDetail.ApplicationVersionId, 2);
  const versions = JSON.parse((await aws('list-application-versions', '--application-name', 'cli1')).stdout);
  assert.deepEqual(versions.ApplicationVersionSummaries.map((v: any) => v.ApplicationVersionId), [2, 1]);

  // The CLI prints CreateTimestamp as it parsed it; given back, it names the application.
  const deleted = await aws('delete-application', '--application-name', 'cli1', '--create-timestamp', String(detail.CreateTimestamp));
  assert.equal(deleted.code, 0, deleted.stderr);
});

test('AWS CLI: kinesisanalytics (v1) create with an input, list with HasMoreApplications, start refused', async (t) => {
  if (!(await available('aws', ['--version']))) return t.skip('`aws --version` does not run here');
  const aws = (...args: string[]) => run('aws', ['--endpoint-url', server.endpoint, 'kinesisanalytics', ...args]);
  const created = await aws(
    'create-application',
    '--application-name', 'clisql',
    '--application-code', 'CREATE OR REPLACE STREAM "D" (x INT);',
    '--inputs', JSON.stringify([
      {
        NamePrefix: 'SOURCE_SQL_STREAM',
        KinesisStreamsInput: { ResourceARN: 'arn:aws:kinesis:us-east-1:000000000000:stream/in', RoleARN: ROLE },
        InputSchema: { RecordFormat: { RecordFormatType: 'JSON' }, RecordColumns: [{ Name: 'x', SqlType: 'INTEGER', Mapping: '$.x' }] },
      },
    ]),
  );
  assert.equal(created.code, 0, created.stderr);
  assert.deepEqual(JSON.parse(created.stdout).ApplicationSummary.ApplicationStatus, 'READY');
  const described = JSON.parse((await aws('describe-application', '--application-name', 'clisql')).stdout).ApplicationDetail;
  assert.equal(described.InputDescriptions[0].InputId, '1.1');
  assert.deepEqual(described.InputDescriptions[0].InAppStreamNames, ['SOURCE_SQL_STREAM_001']);
  const listed = JSON.parse((await aws('list-applications', '--limit', '1')).stdout);
  assert.equal(listed.ApplicationSummaries.length, 1);
  assert.equal(typeof listed.HasMoreApplications, 'boolean');
  const start = await aws('start-application', '--application-name', 'clisql', '--input-configurations', 'Id=1.1,InputStartingPositionConfiguration={InputStartingPosition=NOW}');
  assert.notEqual(start.code, 0);
  assert.match(start.stderr, /\(UnsupportedOperationException\) when calling the StartApplication operation(?: \(reached max retries: 0\))?: Application clisql uses the SQL-1_0 runtime/);
});

const BOTO3_SCRIPT = `
import sys, json, boto3, botocore
from botocore.config import Config
endpoint, role = sys.argv[1], sys.argv[2]
cfg = Config(retries={'max_attempts': 1})
v2 = boto3.client('kinesisanalyticsv2', endpoint_url=endpoint, region_name='us-east-1', aws_access_key_id='AKIDEXAMPLE', aws_secret_access_key='secret', config=cfg)
v1 = boto3.client('kinesisanalytics', endpoint_url=endpoint, region_name='us-east-1', aws_access_key_id='AKIDEXAMPLE', aws_secret_access_key='secret', config=cfg)
out = {}
def err(call):
    try:
        call()
    except botocore.exceptions.ClientError as e:
        return [e.response['Error']['Code'], e.response['Error']['Message']]
    return None
d = v2.create_application(ApplicationName='boto', RuntimeEnvironment='FLINK-1_19', ServiceExecutionRole=role,
    ApplicationConfiguration={'ApplicationCodeConfiguration': {'CodeContentType': 'ZIPFILE', 'CodeContent': {'ZipFileContent': b'PK\\x05\\x06' + b'\\x00' * 18}}},
    Tags=[{'Key': 'k', 'Value': 'v'}])['ApplicationDetail']
out['status'] = d['ApplicationStatus']
out['size'] = d['ApplicationConfigurationDescription']['ApplicationCodeConfigurationDescription']['CodeContentDescription']['CodeSize']
op = v2.start_application(ApplicationName='boto')['OperationId']
import time
for i in range(200):
    info = v2.describe_application_operation(ApplicationName='boto', OperationId=op)['ApplicationOperationInfoDetails']
    if info['OperationStatus'] != 'IN_PROGRESS': break
    time.sleep(0.025)
out['op'] = [info['Operation'], info['OperationStatus'], info['OperationFailureDetails']['ErrorInfo']['ErrorString']]
out['tags'] = v2.list_tags_for_resource(ResourceARN=d['ApplicationARN'])['Tags']
out['stale'] = err(lambda: v2.update_application(ApplicationName='boto', CurrentApplicationVersionId=3, ServiceExecutionRoleUpdate=role))
out['v1'] = err(lambda: v1.describe_application(ApplicationName='boto'))
out['snapshot'] = err(lambda: v2.create_application_snapshot(ApplicationName='boto', SnapshotName='s'))
desc = v2.describe_application(ApplicationName='boto')['ApplicationDetail']
while desc['ApplicationStatus'] != 'READY':
    time.sleep(0.025)
    desc = v2.describe_application(ApplicationName='boto')['ApplicationDetail']
v2.delete_application(ApplicationName='boto', CreateTimestamp=desc['CreateTimestamp'])
out['deleted'] = True
print(json.dumps(out))
`;

test('boto3: ZipFileContent blob, start FAILED with ErrorString, tags, locking and cross-API errors, delete with a whole-second CreateTimestamp', async (t) => {
  if (!(await available('python3', ['-c', 'import boto3']))) return t.skip("`python3 -c 'import boto3'` fails here");
  const result = await run('python3', ['-c', BOTO3_SCRIPT, server.endpoint, ROLE]);
  assert.equal(result.code, 0, result.stderr);
  const out = JSON.parse(result.stdout);
  assert.equal(out.status, 'READY');
  assert.equal(out.size, 22);
  assert.deepEqual(out.op.slice(0, 2), ['StartApplication', 'FAILED']);
  assert.equal(out.op[2], 'Application boto could not be started: the code zip holds no application.sql, .sql file, PyFlink entry point or JAR');
  assert.deepEqual(out.tags, [{ Key: 'k', Value: 'v' }]);
  assert.deepEqual(out.stale, ['ConcurrentModificationException', 'Provided application version id 3 does not match current application version id 1 of application boto.']);
  assert.deepEqual(out.v1, ['UnsupportedOperationException', 'boto was created/updated by kinesisanalyticsv2 SDK. Please use kinesisanalyticsv2 SDK to make changes to boto.']);
  assert.deepEqual(out.snapshot, ['ResourceInUseException', 'Application boto is in READY status. CreateApplicationSnapshot cannot be performed in this status.']);
  assert.equal(out.deleted, true);
});
