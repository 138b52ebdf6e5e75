import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { available, startTestServer, type TestServer } from './helpers.js';

/**
 * Lambda's Invoke on Millrace's endpoint, for the functions of `--functions DIR`: the functions a
 * Firehose transform calls can be tried with the AWS CLI and the SDKs on the same port.
 */

const run = promisify(execFile);
let server: TestServer;
let functionsDir: string;
let lambda: LambdaClient;

before(async () => {
  functionsDir = mkdtempSync(join(tmpdir(), 'millrace-functions-'));
  writeFileSync(
    join(functionsDir, 'shout.mjs'),
    'export const handler = async (event, context) => ({ shouted: String(event.text).toUpperCase(), fn: context.functionName });\n',
  );
  writeFileSync(join(functionsDir, 'broken.mjs'), 'export const handler = async () => { throw new TypeError("no luck"); };\n');
  server = await startTestServer({ functionsDir });
  lambda = new LambdaClient({ endpoint: server.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' }, maxAttempts: 1 });
});

after(async () => {
  lambda.destroy();
  await server.stop();
  rmSync(functionsDir, { recursive: true, force: true });
});

test('the JS SDK invokes a local function by name and by ARN on the shared endpoint', async () => {
  for (const FunctionName of ['shout', 'arn:aws:lambda:us-east-1:000000000000:function:shout']) {
    const out = await lambda.send(new InvokeCommand({ FunctionName, Payload: Buffer.from('{"text":"hello"}') }));
    assert.equal(out.StatusCode, 200);
    assert.equal(out.FunctionError, undefined);
    assert.equal(out.ExecutedVersion, '$LATEST');
    assert.deepEqual(JSON.parse(Buffer.from(out.Payload!).toString()), { shouted: 'HELLO', fn: 'shout' });
  }
  const health = (await (await fetch(`${server.endpoint}/_millrace/health`)).json()) as { services: string[] };
  assert.ok(health.services.includes('lambda'));
});

test('a throwing function answers 200 with FunctionError Unhandled and the runtime payload', async () => {
  const out = await lambda.send(new InvokeCommand({ FunctionName: 'broken', Payload: Buffer.from('{}') }));
  assert.equal(out.StatusCode, 200);
  assert.equal(out.FunctionError, 'Unhandled');
  const payload = JSON.parse(Buffer.from(out.Payload!).toString());
  assert.equal(payload.errorType, 'TypeError');
  assert.equal(payload.errorMessage, 'no luck');
});

test('a missing function is ResourceNotFoundException, for RequestResponse and DryRun alike', async () => {
  for (const InvocationType of ['RequestResponse', 'DryRun'] as const) {
    await assert.rejects(lambda.send(new InvokeCommand({ FunctionName: 'nowhere', InvocationType })), (err: any) => {
      assert.equal(err.name, 'ResourceNotFoundException');
      assert.equal(err.$metadata.httpStatusCode, 404);
      assert.equal(err.message, 'Function not found: arn:aws:lambda:us-east-1:000000000000:function:nowhere');
      return true;
    });
  }
  const dry = await lambda.send(new InvokeCommand({ FunctionName: 'shout', InvocationType: 'DryRun' }));
  assert.equal(dry.StatusCode, 204);
});

test('the AWS CLI: aws lambda invoke writes the function\'s answer to a file', { skip: !(await available('aws', ['--version'])) && 'the AWS CLI is not installed' }, async () => {
  const outFile = join(functionsDir, 'out.json');
  const { stdout } = await run(
    'aws',
    ['--endpoint-url', server.endpoint, 'lambda', 'invoke', '--function-name', 'shout', '--cli-binary-format', 'raw-in-base64-out', '--payload', '{"text":"cli"}', outFile],
    { env: { ...process.env, AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret', AWS_DEFAULT_REGION: 'us-east-1' } },
  ).catch(async (err) => {
    // AWS CLI v1 takes the payload as raw JSON and knows no --cli-binary-format.
    if (!String(err.stderr).includes('cli-binary-format')) throw err;
    return run('aws', ['--endpoint-url', server.endpoint, 'lambda', 'invoke', '--function-name', 'shout', '--payload', '{"text":"cli"}', outFile], {
      env: { ...process.env, AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret', AWS_DEFAULT_REGION: 'us-east-1' },
    });
  });
  assert.equal(JSON.parse(stdout).StatusCode, 200);
  assert.deepEqual(JSON.parse(readFileSync(outFile, 'utf8')), { shouted: 'CLI', fn: 'shout' });
});
