import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { InvokeCommand, LambdaClient, ListFunctionsCommand } from '@aws-sdk/client-lambda';
import { pino } from 'pino';
import { InvokeError, type FunctionInvoker, type InvokeOptions } from '../src/functions/invoker.js';
import { createLambdaService, LAMBDA_MODEL } from '../src/lambda/service.js';
import { createAuthenticator } from '../src/protocol/authenticator.js';
import { compileRoutes, matchRoute } from '../src/protocol/rest-json.js';
import { createRouter } from '../src/protocol/router.js';
import { listen, type Listener } from '../src/transport/listener.js';
import { rawRequest } from './helpers.js';
import lambdaModel from '../src/model/lambda-2015-03-31.json' with { type: 'json' };

/**
 * The REST-JSON protocol (src/protocol/rest-json.ts) through a real client: the Lambda service's
 * Invoke, whose input sits in a path label, headers, a query parameter and a blob payload, and
 * whose output is a status code, headers and a payload. The functions behind it are an invoker of
 * this test's own (the real ones are tested in functions.test.ts), so that every path of the
 * protocol is reached on purpose.
 */

const calls: { arn: string; payload: string; options?: InvokeOptions }[] = [];
const invoker: FunctionInvoker = {
  kind: 'local',
  async invoke(arn, payload, options) {
    calls.push({ arn, payload: payload.toString(), options });
    const name = arn.split(':function:').pop()!.split(':')[0];
    if (name === 'missing') throw new InvokeError('ResourceNotFoundException', `Function not found: arn:aws:lambda:us-east-1:000000000000:function:${name}`, 404);
    if (name === 'busy') throw new InvokeError('TooManyRequestsException', 'Rate Exceeded.', 429);
    if (name === 'fails') {
      return { statusCode: 200, functionError: 'Unhandled', executedVersion: '$LATEST', payload: Buffer.from('{"errorType":"Error","errorMessage":"boom"}') };
    }
    return { statusCode: 200, executedVersion: '$LATEST', payload: Buffer.from(JSON.stringify({ echo: JSON.parse(payload.toString()) })) };
  },
  async close() {},
};

let listener: Listener;
let lambda: LambdaClient;

before(async () => {
  const log = pino({ level: 'silent' });
  const service = createLambdaService({ functions: invoker, authenticator: createAuthenticator({ region: 'us-east-1', account: '000000000000' }), log, bodyIdleTimeoutMs: 5_000 });
  const json = (_req: unknown, res: import('node:http').ServerResponse) => res.writeHead(418).end();
  listener = await listen({ host: '127.0.0.1', port: 0 }, createRouter({ json: json as never, jsonSigningNames: [], rest: [service], builtin: json as never }));
  lambda = new LambdaClient({
    endpoint: `http://127.0.0.1:${listener.port}`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
    maxAttempts: 1,
  });
});

after(async () => {
  lambda.destroy();
  await listener.close();
});

test('Invoke: the path label, qualifier and payload reach the function; status, headers and payload come back', async () => {
  calls.length = 0;
  const out = await lambda.send(
    new InvokeCommand({ FunctionName: 'arn:aws:lambda:us-east-1:123456789012:function:echo', Qualifier: 'live', Payload: Buffer.from('{"a":1}') }),
  );
  assert.equal(out.StatusCode, 200);
  assert.equal(out.ExecutedVersion, '$LATEST');
  assert.equal(out.FunctionError, undefined);
  assert.deepEqual(JSON.parse(Buffer.from(out.Payload!).toString()), { echo: { a: 1 } });
  assert.deepEqual(calls, [{ arn: 'arn:aws:lambda:us-east-1:123456789012:function:echo:live', payload: '{"a":1}', options: undefined }]);
});

test('Invoke: a function error is a 200 with X-Amz-Function-Error, as Lambda answers it', async () => {
  const out = await lambda.send(new InvokeCommand({ FunctionName: 'fails', Payload: Buffer.from('{}') }));
  assert.equal(out.StatusCode, 200);
  assert.equal(out.FunctionError, 'Unhandled');
  assert.deepEqual(JSON.parse(Buffer.from(out.Payload!).toString()), { errorType: 'Error', errorMessage: 'boom' });
});

test('Invoke: Event answers 202 and DryRun 204 from the X-Amz-Invocation-Type header', async () => {
  calls.length = 0;
  const event = await lambda.send(new InvokeCommand({ FunctionName: 'echo', InvocationType: 'Event', Payload: Buffer.from('{"b":2}') }));
  assert.equal(event.StatusCode, 202);
  const dry = await lambda.send(new InvokeCommand({ FunctionName: 'echo', InvocationType: 'DryRun' }));
  assert.equal(dry.StatusCode, 204);
  assert.deepEqual(
    calls.map((c) => [c.arn, c.options?.dryRun ?? false]),
    [
      ['echo', false],
      ['echo', true],
    ],
  );
});

test('errors: x-amzn-ErrorType, the status of the model, and the message member the client reads', async () => {
  await assert.rejects(lambda.send(new InvokeCommand({ FunctionName: 'missing' })), (err: any) => {
    assert.equal(err.name, 'ResourceNotFoundException');
    assert.equal(err.$metadata.httpStatusCode, 404);
    assert.equal(err.message, 'Function not found: arn:aws:lambda:us-east-1:000000000000:function:missing');
    assert.equal(err.Type, 'User');
    return true;
  });
  await assert.rejects(lambda.send(new InvokeCommand({ FunctionName: 'busy' })), (err: any) => {
    assert.equal(err.name, 'TooManyRequestsException');
    assert.equal(err.$metadata.httpStatusCode, 429);
    return true;
  });
  const raw = await rawRequest(`http://127.0.0.1:${listener.port}`, {
    path: '/2015-03-31/functions/missing/invocations',
    contentType: '',
    headers: { Authorization: 'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/us-east-1/lambda/aws4_request, SignedHeaders=host, Signature=abc' },
  });
  assert.equal(raw.status, 404);
  assert.equal(raw.headers['x-amzn-errortype'], 'ResourceNotFoundException');
  assert.match(String(raw.headers['x-amzn-requestid']), /^[0-9a-f-]{36}$/);
  assert.deepEqual(JSON.parse(raw.body.toString()), { Message: 'Function not found: arn:aws:lambda:us-east-1:000000000000:function:missing', Type: 'User' });
});

test('validation from the model: a bad function name and a bad invocation type get ValidationException', async () => {
  await assert.rejects(lambda.send(new InvokeCommand({ FunctionName: 'not a name!' })), (err: any) => {
    assert.equal(err.name, 'ValidationException');
    assert.match(err.message, /^1 validation error detected: Value 'not a name!' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: /);
    return true;
  });
  const raw = await rawRequest(`http://127.0.0.1:${listener.port}`, {
    path: '/2015-03-31/functions/echo/invocations',
    contentType: '',
    headers: {
      Authorization: 'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/us-east-1/lambda/aws4_request, SignedHeaders=host, Signature=abc',
      'X-Amz-Invocation-Type': 'Sometimes',
    },
  });
  assert.equal(raw.status, 400);
  assert.equal(raw.headers['x-amzn-errortype'], 'ValidationException');
  assert.match(JSON.parse(raw.body.toString()).message, /at 'invocationType' failed to satisfy constraint: Member must satisfy enum value set: \[Event, RequestResponse, DryRun\]/);
});

test('operations the service does not serve are not routed: UnknownOperationException 404', async () => {
  await assert.rejects(lambda.send(new ListFunctionsCommand({})), (err: any) => {
    assert.equal(err.$metadata.httpStatusCode, 404);
    assert.equal(err.name, 'UnknownOperationException');
    return true;
  });
});

test('routes from http traits: labels (greedy and not), literal query parts, most specific first', () => {
  // Paths of the Video and S3 kinds: flat operation paths, a greedy key label, literal query parts.
  const shapes = { In: { type: 'structure', members: {} } };
  const op = (name: string, method: string, requestUri: string) => [name, { name, http: { method, requestUri }, input: { shape: 'In' } }];
  const restModel = {
    metadata: { apiVersion: 'x', endpointPrefix: 'x' },
    shapes,
    operations: Object.fromEntries([
      op('CreateStream', 'POST', '/createStream'),
      op('TagResource', 'POST', '/TagResource'),
      op('PutObject', 'PUT', '/{Bucket}/{Key+}'),
      op('UploadPart', 'PUT', '/{Bucket}/{Key+}?x-id=UploadPart'),
      op('CreateMultipartUpload', 'POST', '/{Bucket}/{Key+}?uploads'),
    ]),
  };
  const routes = compileRoutes([lambdaModel as never, restModel as never]);
  const at = (method: string, path: string) => {
    const found = matchRoute(routes, method, new URL(path, 'http://x'));
    return found && [found.route.operation.name, found.labels];
  };
  assert.deepEqual(at('POST', '/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Af/invocations'), [
    'Invoke',
    { FunctionName: 'arn:aws:lambda:us-east-1:123456789012:function:f' },
  ]);
  assert.deepEqual(at('GET', '/2015-03-31/functions/f'), ['GetFunction', { FunctionName: 'f' }]);
  assert.deepEqual(at('GET', '/2015-03-31/functions/f/configuration'), ['GetFunctionConfiguration', { FunctionName: 'f' }]);
  assert.deepEqual(at('POST', '/createStream'), ['CreateStream', {}]);
  assert.deepEqual(at('PUT', '/b/a/b%20c/d'), ['PutObject', { Bucket: 'b', Key: 'a/b c/d' }]);
  assert.deepEqual(at('PUT', '/b/k?x-id=UploadPart&partNumber=1'), ['UploadPart', { Bucket: 'b', Key: 'k' }]);
  assert.deepEqual(at('POST', '/b/k?uploads'), ['CreateMultipartUpload', { Bucket: 'b', Key: 'k' }]);
  assert.equal(at('POST', '/b/k'), undefined);
  assert.deepEqual(at('POST', '/TagResource'), ['TagResource', {}]);
  assert.equal(at('GET', '/createStream'), undefined);
  assert.equal(at('POST', '/nope'), undefined);
  assert.deepEqual(Object.keys(LAMBDA_MODEL.operations), ['Invoke']);
});
