import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLocalModuleInvoker } from '../src/functions/local-modules.js';
import { openLambdaEndpointInvoker } from '../src/functions/lambda-endpoint.js';
import { openFunctionInvoker } from '../src/functions/open.js';
import { InvokeError, type FunctionInvoker, type InvokeResult } from '../src/functions/invoker.js';
import {
  INVOKE_REQUEST_LIMIT_BYTES,
  INVOKE_RESPONSE_LIMIT_BYTES,
  REQUEST_TOO_LARGE_MESSAGE,
  RESPONSE_TOO_LARGE_MESSAGE,
} from '../src/functions/invoke-limits.js';
import { FUNCTION_NAME_PATTERN } from '../src/functions/function-name.js';
import { DEFAULT_CONFIG } from '../src/config.js';
import { createLogger } from '../src/log.js';
import { sleep, startTestServer, type TestServer } from './helpers.js';

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';

/** Handlers as a developer writes them for Lambda's Node.js runtime. */
const MODULES: Record<string, string> = {
  'echo.mjs': `
    import { threadId } from 'node:worker_threads';
    export const handler = async (event, context) => ({
      event,
      context: {
        functionName: context.functionName,
        functionVersion: context.functionVersion,
        invokedFunctionArn: context.invokedFunctionArn,
        memoryLimitInMB: context.memoryLimitInMB,
        logGroupName: context.logGroupName,
        logStreamName: context.logStreamName,
        awsRequestId: context.awsRequestId,
        remainingTimeInMillis: context.getRemainingTimeInMillis(),
        callbackWaitsForEmptyEventLoop: context.callbackWaitsForEmptyEventLoop,
      },
      env: { name: process.env.AWS_LAMBDA_FUNCTION_NAME, region: process.env.AWS_REGION },
      threadId,
    });`,
  'throws.mjs': `export async function handler() { throw new TypeError('no such record'); }`,
  'throws-string.mjs': `export async function handler() { throw 'plain words'; }`,
  'callback.js': `
    exports.handler = function (event, context, callback) {
      setTimeout(() => callback(null, { doubled: event.n * 2 }), 1);
    };`,
  'callback-error.js': `
    exports.handler = function (event, context, callback) {
      setImmediate(() => callback(new RangeError('n out of range')));
    };`,
  'context-succeed.js': `exports.handler = function (event, context) { context.succeed({ via: 'succeed' }); };`,
  'default-export.mjs': `export default { handler: async () => 'from default' };`,
  'escapes.mjs': `
    export const handler = (event, context, callback) => {
      setTimeout(() => { throw new Error('escaped the handler'); }, 1);
    };`,
  'exits.mjs': `export const handler = async (event) => { process.exit(event.code); };`,
  'no-handler.mjs': `export const handle = async () => 'misspelt';`,
  'not-a-function.mjs': `export const handler = 42;`,
  'import-fails.js': `const missing = require('no-such-package-millrace'); exports.handler = async () => missing;`,
  'esm-import-fails.mjs': `import missing from 'no-such-package-millrace'; export const handler = async () => missing;`,
  'syntax-error.mjs': `export const handler = async () => { return 1 +; };`,
  'stuck.mjs': `export const handler = async () => { for (;;) {} };`,
  'never.mjs': `export const handler = () => new Promise(() => {});`,
  // Never answers and shows it is alive by writing a heartbeat.
  'ticking.mjs': `
    import { appendFileSync } from 'node:fs';
    const heartbeat = new URL('./heartbeat', import.meta.url);
    export const handler = () => {
      setInterval(() => appendFileSync(heartbeat, '.'), 5);
      return new Promise(() => {});
    };`,
  'respond-bytes.mjs': `export const handler = async (event) => 'x'.repeat(event.length);`,
  'circular.mjs': `export const handler = async () => { const a = {}; a.self = a; return a; };`,
  // Waits until the test writes `release`, then reports which environment ran it.
  'blocker.mjs': `
    import { existsSync } from 'node:fs';
    import { threadId } from 'node:worker_threads';
    const release = new URL('./release', import.meta.url);
    export const handler = async () => {
      while (!existsSync(release)) await new Promise((resolve) => setTimeout(resolve, 5));
      return { threadId };
    };`,
};

let dir: string;
let local: FunctionInvoker;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'millrace-functions-'));
  for (const [file, source] of Object.entries(MODULES)) writeFileSync(join(dir, file), source);
  local = openLocalModuleInvoker({ dir, timeoutMs: 10_000, concurrency: 2, region: REGION, account: ACCOUNT });
});

after(async () => {
  await local.close();
  rmSync(dir, { recursive: true, force: true });
});

const json = (result: InvokeResult) => JSON.parse(result.payload.toString());
const payloadOf = (value: unknown) => Buffer.from(JSON.stringify(value));

async function rejection(promise: Promise<unknown>): Promise<InvokeError> {
  const err = await promise.then(
    () => assert.fail('expected the invocation to be refused'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof InvokeError, `expected an InvokeError, got ${String(err)}`);
  return err;
}

test('local: the event and the Node.js runtime context reach the handler; the answer is its return value', async () => {
  const result = await local.invoke('echo', payloadOf({ greeting: 'hello', n: [1, 2] }));
  assert.equal(result.statusCode, 200);
  assert.equal(result.functionError, undefined);
  assert.equal(result.executedVersion, '$LATEST');
  const answer = json(result);
  assert.deepEqual(answer.event, { greeting: 'hello', n: [1, 2] });
  const { context } = answer;
  assert.equal(context.functionName, 'echo');
  assert.equal(context.functionVersion, '$LATEST');
  assert.equal(context.invokedFunctionArn, `arn:aws:lambda:${REGION}:${ACCOUNT}:function:echo`);
  assert.equal(context.memoryLimitInMB, '128');
  assert.equal(context.logGroupName, '/aws/lambda/echo');
  assert.match(context.logStreamName, /^\d{4}\/\d{2}\/\d{2}\/\[\$LATEST\][0-9a-f]{32}$/);
  assert.match(context.awsRequestId, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  assert.ok(context.remainingTimeInMillis > 0 && context.remainingTimeInMillis <= 10_000, String(context.remainingTimeInMillis));
  assert.equal(context.callbackWaitsForEmptyEventLoop, true);
  assert.deepEqual(answer.env, { name: 'echo', region: REGION });

  // Partial and full ARNs, with $LATEST, name the same function; the context shows what was invoked.
  const partial = json(await local.invoke(`${ACCOUNT}:function:echo`, payloadOf({})));
  assert.equal(partial.context.invokedFunctionArn, `arn:aws:lambda:${REGION}:${ACCOUNT}:function:echo`);
  const full = json(await local.invoke(`arn:aws:lambda:eu-west-1:${ACCOUNT}:function:echo:$LATEST`, payloadOf({})));
  assert.equal(full.context.invokedFunctionArn, `arn:aws:lambda:eu-west-1:${ACCOUNT}:function:echo:$LATEST`);
  assert.notEqual(full.context.awsRequestId, partial.context.awsRequestId);

  // An empty payload arrives as {}, as Lambda passes it.
  assert.deepEqual(json(await local.invoke('echo', Buffer.alloc(0))).event, {});
});

test('local: a thrown error answers 200 Unhandled with the runtime\'s errorType, errorMessage and trace', async () => {
  const result = await local.invoke('throws', payloadOf({}));
  assert.equal(result.statusCode, 200);
  assert.equal(result.functionError, 'Unhandled');
  const error = json(result);
  assert.deepEqual(Object.keys(error), ['errorType', 'errorMessage', 'trace']);
  assert.equal(error.errorType, 'TypeError');
  assert.equal(error.errorMessage, 'no such record');
  assert.equal(error.trace[0], 'TypeError: no such record');
  assert.ok(error.trace.some((line: string) => line.includes('throws.mjs')), error.trace.join('\n'));

  // Something thrown that is not an Error: its type and text, no trace (Errors.toRapidResponse).
  assert.deepEqual(json(await local.invoke('throws-string', payloadOf({}))), { errorType: 'string', errorMessage: 'plain words', trace: [] });
  // A result JSON cannot hold fails as the runtime's serializer does.
  const circular = await local.invoke('circular', payloadOf({}));
  assert.equal(circular.functionError, 'Unhandled');
  assert.equal(json(circular).errorMessage, 'Unable to stringify response body');
});

test('local: callback-style handlers, context.succeed and a default export', async () => {
  const doubled = await local.invoke('callback', payloadOf({ n: 21 }));
  assert.equal(doubled.functionError, undefined);
  assert.deepEqual(json(doubled), { doubled: 42 });
  const failed = await local.invoke('callback-error', payloadOf({ n: 1 }));
  assert.equal(failed.functionError, 'Unhandled');
  assert.equal(json(failed).errorType, 'RangeError');
  assert.equal(json(failed).errorMessage, 'n out of range');
  assert.deepEqual(json(await local.invoke('context-succeed', payloadOf({}))), { via: 'succeed' });
  assert.equal(json(await local.invoke('default-export', payloadOf({}))), 'from default');
});

test('local: an error escaping the handler fails that invocation and its environment is replaced', async () => {
  const escaped = await local.invoke('escapes', payloadOf({}));
  assert.equal(escaped.functionError, 'Unhandled');
  assert.equal(json(escaped).errorType, 'Error');
  assert.equal(json(escaped).errorMessage, 'escaped the handler');
  // The environment exited (as the runtime exits 129); the function still runs.
  const again = await local.invoke('escapes', payloadOf({}));
  assert.equal(json(again).errorMessage, 'escaped the handler');
  // A handler that ends the process: Runtime.ExitError.
  const exited = await local.invoke('exits', payloadOf({ code: 3 }));
  assert.equal(exited.functionError, 'Unhandled');
  assert.equal(json(exited).errorType, 'Runtime.ExitError');
  assert.match(json(exited).errorMessage, /^RequestId: [0-9a-f-]{36} Error: Runtime exited with error: exit status 3$/);
  const quietly = json(await local.invoke('exits', payloadOf({ code: 0 })));
  assert.match(quietly.errorMessage, /Error: Runtime exited without providing a reason$/);
});

test('local: modules that fail to load answer as the Node.js runtime reports them', async () => {
  const cases: [string, string, string][] = [
    ['no-handler', 'Runtime.HandlerNotFound', 'no-handler.handler is undefined or not exported'],
    ['not-a-function', 'Runtime.HandlerNotFound', 'not-a-function.handler is not a function'],
    ['import-fails', 'Runtime.ImportModuleError', "Error: Cannot find module 'no-such-package-millrace'"],
    ['syntax-error', 'Runtime.UserCodeSyntaxError', 'SyntaxError: '],
    // The runtime wraps only CommonJS's MODULE_NOT_FOUND; an ES module's missing import arrives as
    // the plain Error (recorded on Lambda: aws/aws-lambda-base-images#80).
    ['esm-import-fails', 'Error', "Cannot find package 'no-such-package-millrace' imported from "],
  ];
  for (const [name, errorType, messageStart] of cases) {
    const result = await local.invoke(name, payloadOf({}));
    assert.equal(result.statusCode, 200, name);
    assert.equal(result.functionError, 'Unhandled', name);
    const error = json(result);
    assert.equal(error.errorType, errorType, name);
    assert.ok(error.errorMessage.startsWith(messageStart), `${name}: ${error.errorMessage}`);
    assert.ok(Array.isArray(error.trace) && error.trace.length > 0, name);
    if (name === 'no-handler') assert.equal(error.trace[0], 'Runtime.HandlerNotFound: no-handler.handler is undefined or not exported');
    if (name === 'import-fails') {
      assert.equal(error.trace[0], "Runtime.ImportModuleError: Error: Cannot find module 'no-such-package-millrace'");
      assert.ok(error.errorMessage.includes(`Require stack:\n- ${join(dir, 'import-fails.js')}`), error.errorMessage);
    }
  }
});

// Timeouts on tests that would otherwise hang if a bound stopped holding.
test('local: a run past the function timeout answers Sandbox.Timedout; the stuck environment is ended and replaced', { timeout: 60_000 }, async () => {
  // One environment only: the next invocation can run only if the stuck one was ended.
  const short = openLocalModuleInvoker({ dir, timeoutMs: 250, concurrency: 1, region: REGION, account: ACCOUNT });
  try {
    for (const name of ['stuck', 'never']) {
      const result = await short.invoke(name, payloadOf({}));
      assert.equal(result.statusCode, 200);
      assert.equal(result.functionError, 'Unhandled');
      assert.equal(result.executedVersion, '$LATEST');
      const error = json(result);
      assert.deepEqual(Object.keys(error), ['errorType', 'errorMessage']);
      assert.equal(error.errorType, 'Sandbox.Timedout');
      assert.match(error.errorMessage, /^RequestId: [0-9a-f-]{36} Error: Task timed out after 0\.25 seconds$/);
    }
    // The timed-out environment is ended, not abandoned: its heartbeat stops.
    const heartbeat = join(dir, 'heartbeat');
    assert.equal(json(await short.invoke('ticking', payloadOf({}))).errorType, 'Sandbox.Timedout');
    await sleep(500);
    const beats = statSync(heartbeat).size;
    assert.ok(beats > 0);
    await sleep(200);
    assert.equal(statSync(heartbeat).size, beats, 'the timed-out environment is still running');
    const echo = json(await short.invoke('echo', payloadOf({ after: 'timeout' })));
    assert.deepEqual(echo.event, { after: 'timeout' });
    assert.ok(echo.context.remainingTimeInMillis <= 250);
  } finally {
    await short.close();
  }
});

test('local: a function that exists nowhere is ResourceNotFoundException 404 with Lambda\'s text', async () => {
  const cases: [string, string][] = [
    ['missing', `arn:aws:lambda:${REGION}:${ACCOUNT}:function:missing`],
    [`${ACCOUNT}:function:missing`, `arn:aws:lambda:${REGION}:${ACCOUNT}:function:missing`],
    ['arn:aws:lambda:ap-south-1:210987654321:function:missing', 'arn:aws:lambda:ap-south-1:210987654321:function:missing'],
    // A local module has only $LATEST: an alias or version of it does not exist.
    ['echo:live', `arn:aws:lambda:${REGION}:${ACCOUNT}:function:echo:live`],
    [`arn:aws:lambda:${REGION}:${ACCOUNT}:function:echo:7`, `arn:aws:lambda:${REGION}:${ACCOUNT}:function:echo:7`],
  ];
  for (const [name, arn] of cases) {
    const err = await rejection(local.invoke(name, payloadOf({})));
    assert.equal(err.type, 'ResourceNotFoundException', name);
    assert.equal(err.status, 404, name);
    assert.equal(err.message, `Function not found: ${arn}`, name);
  }
});

test('local: bad names and payloads get Lambda\'s 400s and 413', async () => {
  const badName = await rejection(local.invoke('not a name', payloadOf({})));
  assert.equal(badName.type, 'ValidationException');
  assert.equal(badName.status, 400);
  assert.equal(
    badName.message,
    `1 validation error detected: Value 'not a name' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: ${FUNCTION_NAME_PATTERN}`,
  );
  const slash = await rejection(local.invoke('../echo', payloadOf({})));
  assert.equal(slash.type, 'ValidationException');

  const notJson = await rejection(local.invoke('echo', Buffer.from('{"unterminated": ')));
  assert.equal(notJson.type, 'InvalidRequestContentException');
  assert.equal(notJson.status, 400);
  assert.ok(notJson.message.startsWith('Could not parse request body into json: Could not parse payload into json: '), notJson.message);
  const notUtf8 = await rejection(local.invoke('echo', Buffer.from([0x22, 0x97, 0x22])));
  assert.equal(notUtf8.type, 'InvalidRequestContentException');

  // 6 MiB is the request limit: at it the function runs, one byte more is refused.
  const atLimit = Buffer.from(`"${'a'.repeat(INVOKE_REQUEST_LIMIT_BYTES - 2)}"`);
  assert.equal(atLimit.length, INVOKE_REQUEST_LIMIT_BYTES);
  assert.equal((await local.invoke('callback', atLimit)).statusCode, 200);
  const tooLarge = await rejection(local.invoke('echo', Buffer.concat([atLimit, Buffer.from(' ')])));
  assert.equal(tooLarge.type, 'RequestEntityTooLargeException');
  assert.equal(tooLarge.status, 413);
  assert.equal(tooLarge.message, REQUEST_TOO_LARGE_MESSAGE);
  assert.equal(tooLarge.message, 'Request must be smaller than 6291456 bytes for the InvokeFunction operation');
});

test('local: a response over 6 MB answers Function.ResponseSizeTooLarge; one at the limit is delivered', async () => {
  // The answer is a JSON string: two quotes around the characters.
  const fits = await local.invoke('respond-bytes', payloadOf({ length: INVOKE_RESPONSE_LIMIT_BYTES - 2 }));
  assert.equal(fits.functionError, undefined);
  assert.equal(fits.payload.length, INVOKE_RESPONSE_LIMIT_BYTES);
  const over = await local.invoke('respond-bytes', payloadOf({ length: INVOKE_RESPONSE_LIMIT_BYTES - 1 }));
  assert.equal(over.statusCode, 200);
  assert.equal(over.functionError, 'Unhandled');
  assert.deepEqual(json(over), { errorType: 'Function.ResponseSizeTooLarge', errorMessage: RESPONSE_TOO_LARGE_MESSAGE });
  assert.equal(RESPONSE_TOO_LARGE_MESSAGE, 'Response payload size exceeded maximum allowed payload size (6291556 bytes).');
});

test('local: invocations beyond the environments wait their turn; beyond the queue they are throttled', { timeout: 60_000 }, async () => {
  const release = join(dir, 'release');
  rmSync(release, { force: true });
  const bounded = openLocalModuleInvoker({ dir, timeoutMs: 30_000, concurrency: 2, queueLimit: 3, region: REGION, account: ACCOUNT });
  try {
    // Two run, three wait: all five are admitted; the sixth is refused at once.
    const admitted = Array.from({ length: 5 }, () => bounded.invoke('blocker', payloadOf({})));
    const refused = await rejection(bounded.invoke('blocker', payloadOf({})));
    assert.equal(refused.type, 'TooManyRequestsException');
    assert.equal(refused.status, 429);
    assert.equal(refused.message, 'Rate Exceeded.');
    assert.equal(refused.reason, 'ConcurrentInvocationLimitExceeded');
    writeFileSync(release, '');
    const results = await Promise.all(admitted);
    const threads = new Set(results.map((r) => json(r).threadId));
    assert.ok(results.every((r) => r.functionError === undefined));
    assert.ok(threads.size >= 1 && threads.size <= 2, `ran on ${threads.size} environments`);
    // The queue drained: a new burst is admitted again.
    const more = await Promise.all(Array.from({ length: 5 }, () => bounded.invoke('blocker', payloadOf({}))));
    assert.equal(more.length, 5);
  } finally {
    await bounded.close();
    rmSync(release, { force: true });
  }
});

test('local: a caller that aborts stops waiting; closing refuses what is left', { timeout: 60_000 }, async () => {
  const release = join(dir, 'release');
  rmSync(release, { force: true });
  const single = openLocalModuleInvoker({ dir, timeoutMs: 30_000, concurrency: 1, region: REGION, account: ACCOUNT });
  const running = single.invoke('blocker', payloadOf({}));
  const controller = new AbortController();
  const waiting = single.invoke('echo', payloadOf({}), { signal: controller.signal });
  controller.abort(new Error('caller gave up'));
  await assert.rejects(waiting, /caller gave up/);
  // Aborted once it is in the queue behind the blocked run.
  const later = new AbortController();
  const queuedThenAborted = single.invoke('echo', payloadOf({}), { signal: later.signal });
  await sleep(50);
  later.abort(new Error('gave up in the queue'));
  await assert.rejects(queuedThenAborted, /gave up in the queue/);
  const runningOutcome = rejection(running);
  const queuedOutcome = rejection(single.invoke('echo', payloadOf({})));
  await single.close();
  assert.equal((await runningOutcome).type, 'ServiceException');
  assert.equal((await queuedOutcome).type, 'ServiceException');
  assert.equal((await rejection(single.invoke('echo', payloadOf({})))).type, 'ServiceException');
});

test('local: a module edited between invocations is reloaded', async () => {
  const file = join(dir, 'versioned.mjs');
  writeFileSync(file, `let calls = 0; export const handler = async () => ({ version: 1, calls: ++calls });`);
  assert.deepEqual(json(await local.invoke('versioned', payloadOf({}))), { version: 1, calls: 1 });
  assert.deepEqual(json(await local.invoke('versioned', payloadOf({}))), { version: 1, calls: 2 });
  writeFileSync(file, `let calls = 0; export const handler = async () => ({ version: 2, calls: ++calls });`);
  // A later modification time, whatever the file system's timestamp granularity.
  const later = new Date(Date.now() + 5_000);
  utimesSync(file, later, later);
  // New code, new environment: module state starts over, as after a Lambda code update.
  assert.deepEqual(json(await local.invoke('versioned', payloadOf({}))), { version: 2, calls: 1 });
  // A module that was broken and is fixed loads on the next invocation.
  writeFileSync(file, `export const handler = async () => { return ; +; };`);
  utimesSync(file, new Date(Date.now() + 10_000), new Date(Date.now() + 10_000));
  assert.equal(json(await local.invoke('versioned', payloadOf({}))).errorType, 'Runtime.UserCodeSyntaxError');
  writeFileSync(file, `export const handler = async () => 'fixed';`);
  utimesSync(file, new Date(Date.now() + 15_000), new Date(Date.now() + 15_000));
  assert.equal(json(await local.invoke('versioned', payloadOf({}))), 'fixed');
  // Removed: it exists nowhere again.
  rmSync(file);
  assert.equal((await rejection(local.invoke('versioned', payloadOf({})))).type, 'ResourceNotFoundException');
});

/** A server speaking Lambda's Invoke API, recording what it was sent. */
interface Received {
  method: string;
  functionName: string;
  invocationType?: string;
  authorization?: string;
  body: string;
}

async function startInvokeApi(): Promise<{ endpoint: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      const match = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/.exec(req.url ?? '');
      const send = (status: number, headers: Record<string, string>, text: string) => {
        res.writeHead(status, { 'Content-Type': 'application/json', 'x-amzn-RequestId': '7f5b3b0e-0000-4000-8000-000000000000', ...headers });
        res.end(text);
      };
      if (req.method !== 'POST' || !match) return send(404, { 'x-amzn-ErrorType': 'UnknownOperationException' }, '{"Type":"User"}');
      const functionName = decodeURIComponent(match[1]);
      received.push({
        method: req.method,
        functionName,
        invocationType: req.headers['x-amz-invocation-type'] as string | undefined,
        authorization: req.headers.authorization,
        body,
      });
      const name = functionName.split(':function:').pop()!.split(':')[0];
      const region = /Credential=[^/]+\/\d{8}\/([^/]+)\/lambda\//.exec(req.headers.authorization ?? '')?.[1] ?? 'us-east-1';
      if (name === 'echo') return send(200, { 'X-Amz-Executed-Version': '$LATEST' }, body);
      if (name === 'pinned') return send(200, { 'X-Amz-Executed-Version': '3' }, '"from version 3"');
      if (name === 'fails') {
        return send(
          200,
          { 'X-Amz-Function-Error': 'Unhandled', 'X-Amz-Executed-Version': '$LATEST' },
          '{"errorType":"Error","errorMessage":"remote failure","trace":["Error: remote failure"]}',
        );
      }
      if (name === 'throttled') {
        return send(
          429,
          { 'x-amzn-ErrorType': 'TooManyRequestsException' },
          '{"Reason":"ReservedFunctionConcurrentInvocationLimitExceeded","Type":"User","message":"Rate Exceeded."}',
        );
      }
      const arn = `arn:aws:lambda:${region}:${ACCOUNT}:function:${name}`;
      send(404, { 'x-amzn-ErrorType': 'ResourceNotFoundException' }, JSON.stringify({ Message: `Function not found: ${arn}`, Type: 'User' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

test('endpoint: invokes over the Invoke API and keeps its result, function error and version', async () => {
  const api = await startInvokeApi();
  const endpoint = openLambdaEndpointInvoker({
    endpoint: api.endpoint,
    region: REGION,
    account: ACCOUNT,
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
  });
  try {
    assert.equal(endpoint.kind, 'endpoint');
    const echoed = await endpoint.invoke('echo', payloadOf({ records: [{ recordId: '1', data: 'aGk=' }] }));
    assert.deepEqual(echoed, {
      statusCode: 200,
      payload: payloadOf({ records: [{ recordId: '1', data: 'aGk=' }] }),
      executedVersion: '$LATEST',
    });
    const sent = api.received.at(-1)!;
    assert.equal(sent.method, 'POST');
    assert.equal(sent.functionName, 'echo');
    assert.equal(sent.invocationType, 'RequestResponse');
    assert.equal(sent.body, JSON.stringify({ records: [{ recordId: '1', data: 'aGk=' }] }));
    assert.match(sent.authorization ?? '', /Credential=AKIDEXAMPLE\/\d{8}\/us-east-1\/lambda\/aws4_request/);

    // A full ARN goes as it is, signed for its own region.
    const arn = `arn:aws:lambda:eu-west-1:${ACCOUNT}:function:echo:$LATEST`;
    await endpoint.invoke(arn, payloadOf({}));
    assert.equal(api.received.at(-1)!.functionName, arn);
    assert.match(api.received.at(-1)!.authorization ?? '', /\/eu-west-1\/lambda\/aws4_request/);

    const failed = await endpoint.invoke('fails', payloadOf({}));
    assert.equal(failed.statusCode, 200);
    assert.equal(failed.functionError, 'Unhandled');
    assert.equal(json(failed).errorMessage, 'remote failure');
    assert.equal((await endpoint.invoke('pinned:3', payloadOf({}))).executedVersion, '3');

    const missing = await rejection(endpoint.invoke('arn:aws:lambda:ap-south-1:123456789012:function:nowhere', payloadOf({})));
    assert.equal(missing.type, 'ResourceNotFoundException');
    assert.equal(missing.status, 404);
    assert.equal(missing.message, 'Function not found: arn:aws:lambda:ap-south-1:123456789012:function:nowhere');
    const throttled = await rejection(endpoint.invoke('throttled', payloadOf({})));
    assert.equal(throttled.type, 'TooManyRequestsException');
    assert.equal(throttled.status, 429);
    assert.equal(throttled.message, 'Rate Exceeded.');
    assert.equal(throttled.reason, 'ReservedFunctionConcurrentInvocationLimitExceeded');
    // Made once: the invoker does not retry a throttled call on the caller's behalf.
    assert.equal(api.received.filter((r) => r.functionName === 'throttled').length, 1);
  } finally {
    await endpoint.close();
    await api.close();
  }
});

test('endpoint: a server that cannot be reached is a ServiceException, not a crash', async () => {
  const api = await startInvokeApi();
  const gone = api.endpoint;
  await api.close();
  const endpoint = openLambdaEndpointInvoker({ endpoint: gone, region: REGION, account: ACCOUNT, credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
  try {
    const err = await rejection(endpoint.invoke('echo', payloadOf({})));
    assert.equal(err.type, 'ServiceException');
    assert.equal(err.status, 500);
  } finally {
    await endpoint.close();
  }
});

test('none: without --functions or --lambda-endpoint every function is missing, as from an account without it', async () => {
  const none = await openFunctionInvoker({ ...DEFAULT_CONFIG, account: ACCOUNT, region: 'eu-central-1' }, createLogger('silent'));
  try {
    assert.equal(none.kind, 'none');
    const err = await rejection(none.invoke('transform', payloadOf({})));
    assert.equal(err.type, 'ResourceNotFoundException');
    assert.equal(err.status, 404);
    assert.equal(err.message, `Function not found: arn:aws:lambda:eu-central-1:${ACCOUNT}:function:transform`);
  } finally {
    await none.close();
  }
});

test('startMillrace: --functions, --function-timeout-ms and --lambda-endpoint reach the invoker', { timeout: 60_000 }, async (t) => {
  let server: TestServer | undefined;
  const api = await startInvokeApi();
  t.after(async () => {
    await server?.stop();
    await api.close();
  });
  server = await startTestServer({ memory: true, functionsDir: dir, functionTimeoutMs: 300, functionConcurrency: 1 });
  assert.equal(server.functions.kind, 'local');
  const echo = json(await server.functions.invoke('echo', payloadOf({ via: 'millrace' })));
  assert.deepEqual(echo.event, { via: 'millrace' });
  // Unsigned requests use the default account and region; so do names without them.
  assert.equal(echo.context.invokedFunctionArn, `arn:aws:lambda:us-east-1:000000000000:function:echo`);
  assert.ok(echo.context.remainingTimeInMillis <= 300);
  const timedOut = json(await server.functions.invoke('never', payloadOf({})));
  assert.match(timedOut.errorMessage, /Task timed out after 0\.30 seconds$/);
  await server.stop();
  server = undefined;

  server = await startTestServer({ memory: true, lambdaEndpoint: api.endpoint, functionsDir: dir });
  assert.equal(server.functions.kind, 'endpoint');
  const remote = await server.functions.invoke('echo', payloadOf({ via: 'endpoint' }));
  assert.deepEqual(json(remote), { via: 'endpoint' });
  assert.equal(api.received.at(-1)!.invocationType, 'RequestResponse');
  await server.stop();
  server = undefined;

  server = await startTestServer({ memory: true });
  assert.equal(server.functions.kind, 'none');
  assert.equal((await rejection(server.functions.invoke('echo', payloadOf({})))).type, 'ResourceNotFoundException');
});
