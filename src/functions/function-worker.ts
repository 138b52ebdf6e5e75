/**
 * One execution environment of a local function: a worker thread that loads `<dir>/<name>.mjs` once
 * (Lambda's init) and runs its `handler` for each invocation the pool sends, with the Node.js
 * runtime's context object, callback semantics and error payloads (aws-lambda-nodejs-runtime-
 * interface-client: src/Runtime.js, CallbackContext.js, InvokeContext.js, UserFunction.js, Errors.js).
 * The thread knows nothing of queues or time limits: the pool ends it when time runs out.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import { types } from 'node:util';
import { INVOKE_RESPONSE_LIMIT_BYTES, RESPONSE_TOO_LARGE_MESSAGE, RESPONSE_TOO_LARGE_TYPE } from './invoke-limits.js';

/** What the pool tells an environment about itself when it starts it. */
export interface EnvironmentData {
  file: string;
  /** The module part of the handler string, `<name>` of `<name>.handler`. */
  moduleName: string;
  functionName: string;
  functionVersion: string;
  memoryLimitInMB: string;
  logGroupName: string;
  logStreamName: string;
}

export interface InvocationMessage {
  requestId: string;
  payload: Uint8Array;
  /** The function timeout, counted from the moment the handler is called. */
  timeoutMs: number;
  invokedFunctionArn: string;
}

export type OutcomeMessage =
  /** Init is over and the handler is being called: the function timeout starts now. */
  | { requestId: string; kind: 'started' }
  | { requestId: string; kind: 'response'; payload: string }
  /** `fatal`: the environment failed its init or an error escaped the handler: it must not be reused. */
  | { requestId: string; kind: 'error'; payload: string; fatal?: boolean }
  | { requestId: string; kind: 'invalid-payload'; message: string };

type Handler = (event: unknown, context: object, callback: (err?: unknown, result?: unknown) => void) => unknown;

/** Runtime error types as the Node.js runtime names them (Errors.js: `Runtime.${class name}`). */
function runtimeError(name: string, message: string): Error {
  const error = new Error(message);
  Object.defineProperty(error, 'name', { value: name });
  // The stack's first line is formatted at construction, with the plain "Error" name.
  if (error.stack) error.stack = error.stack.replace(/^Error/, name);
  return error;
}

/** Errors.toRapidResponse: the payload of a failed invocation. */
function toRapidResponse(error: unknown): { errorType: string; errorMessage: string; trace?: string[] } {
  try {
    const e = error as { name?: unknown; message?: unknown; stack?: unknown };
    const errorLike =
      e && typeof e.name === 'string' && e.name && typeof e.message === 'string' && e.message && typeof e.stack === 'string' && e.stack;
    if (types.isNativeError(error) || errorLike) {
      return { errorType: String(e.name), errorMessage: String(e.message), trace: String(e.stack).split('\n') };
    }
    return { errorType: typeof error, errorMessage: String(error), trace: [] };
  } catch {
    return {
      errorType: 'handled',
      errorMessage:
        'callback called with Error argument, but there was a problem while retrieving one or more of its message, name, and stack',
    };
  }
}

const environment = workerData as EnvironmentData;
const port = parentPort!;
let handler: Promise<Handler> | undefined;
/** The invocation this environment is running, for errors that escape the handler. */
let current: string | undefined;

function send(outcome: OutcomeMessage): void {
  if (current === outcome.requestId) current = undefined;
  port.postMessage(outcome);
}

/** UserFunction.load: import the module, wrap what Lambda wraps, find `handler`. */
async function load(): Promise<Handler> {
  let module: Record<string, unknown>;
  try {
    module = (await import(pathToFileURL(environment.file).href)) as Record<string, unknown>;
  } catch (err) {
    if (err instanceof SyntaxError) {
      const wrapped = runtimeError('Runtime.UserCodeSyntaxError', String(err));
      wrapped.stack = err.stack;
      throw wrapped;
    }
    // Only CommonJS's code: an ES module's missing import (ERR_MODULE_NOT_FOUND) reaches the
    // caller unwrapped, as on Lambda (recorded: aws/aws-lambda-base-images#80).
    if ((err as { code?: unknown })?.code === 'MODULE_NOT_FOUND') throw runtimeError('Runtime.ImportModuleError', String(err));
    throw err;
  }
  const handlerString = `${environment.moduleName}.handler`;
  const defaultExport = module.default as Record<string, unknown> | undefined;
  const found = module.handler ?? (defaultExport && typeof defaultExport === 'object' ? defaultExport.handler : undefined);
  if (!found) throw runtimeError('Runtime.HandlerNotFound', `${handlerString} is undefined or not exported`);
  if (typeof found !== 'function') throw runtimeError('Runtime.HandlerNotFound', `${handlerString} is not a function`);
  return found as Handler;
}

function respond(requestId: string, result: unknown): void {
  let payload: string;
  try {
    payload = JSON.stringify(result === undefined ? null : result);
  } catch {
    // RAPIDClient._trySerializeResponse throws this; the runtime then fails the invocation with it.
    fail(requestId, new Error('Unable to stringify response body'));
    return;
  }
  if (Buffer.byteLength(payload) > INVOKE_RESPONSE_LIMIT_BYTES) {
    send({ requestId, kind: 'error', payload: JSON.stringify({ errorType: RESPONSE_TOO_LARGE_TYPE, errorMessage: RESPONSE_TOO_LARGE_MESSAGE }) });
    return;
  }
  send({ requestId, kind: 'response', payload });
}

function fail(requestId: string, error: unknown): void {
  send({ requestId, kind: 'error', payload: JSON.stringify(toRapidResponse(error)) });
}

/** Runtime.handleOnceNonStreaming with CallbackContext: the first of callback/succeed/fail/done or the promise wins. */
function run(fn: Handler, event: unknown, message: InvocationMessage): void {
  const { requestId } = message;
  const deadline = Date.now() + message.timeoutMs;
  port.postMessage({ requestId, kind: 'started' } satisfies OutcomeMessage);
  let finished = false;
  const once =
    <A extends unknown[]>(act: (...args: A) => void) =>
    (...args: A) => {
      if (finished) return;
      finished = true;
      act(...args);
    };
  const done = (err: unknown, result?: unknown) => (err !== undefined && err !== null ? fail(requestId, err) : respond(requestId, result));
  const callback = once(done);
  // A worker's event loop never empties while it listens for work, so a callback completes the
  // invocation at once, as with callbackWaitsForEmptyEventLoop = false.
  let waitsForEmptyEventLoop = true;
  const context = {
    get callbackWaitsForEmptyEventLoop() {
      return waitsForEmptyEventLoop;
    },
    set callbackWaitsForEmptyEventLoop(value: boolean) {
      waitsForEmptyEventLoop = value;
    },
    succeed: once((result: unknown) => respond(requestId, result)),
    fail: once((err: unknown) => fail(requestId, err === undefined || err === null ? 'handled' : err)),
    done: once(done),
    functionVersion: environment.functionVersion,
    functionName: environment.functionName,
    memoryLimitInMB: environment.memoryLimitInMB,
    logGroupName: environment.logGroupName,
    logStreamName: environment.logStreamName,
    clientContext: undefined,
    identity: undefined,
    invokedFunctionArn: message.invokedFunctionArn,
    awsRequestId: requestId,
    getRemainingTimeInMillis: () => deadline - Date.now(),
  };
  try {
    const result = fn(event, context, callback) as { then?: unknown } | undefined;
    if (result && typeof result.then === 'function') {
      (result as Promise<unknown>).then(context.succeed, context.fail).catch(context.fail);
    }
  } catch (err) {
    callback(err);
  }
}

async function invoke(message: InvocationMessage): Promise<void> {
  current = message.requestId;
  let event: unknown;
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(message.payload);
    // An empty payload reaches the handler as an empty object, as Lambda passes it.
    event = text.length === 0 ? {} : JSON.parse(text);
  } catch (err) {
    send({ requestId: message.requestId, kind: 'invalid-payload', message: (err as Error).message });
    return;
  }
  let fn: Handler;
  try {
    fn = await (handler ??= load());
  } catch (err) {
    send({ requestId: message.requestId, kind: 'error', payload: JSON.stringify(toRapidResponse(err)), fatal: true });
    return;
  }
  run(fn, event, message);
}

// As the runtime does (index.mjs): an error that escapes the handler fails the invocation under way
// and ends the environment (the runtime exits 129 / 128). With an invocation under way the pool ends
// it on the fatal answer (exiting here could lose the answer in flight); without one it exits.
function escaped(error: unknown, exitCode: number): void {
  if (!current) process.exit(exitCode);
  send({ requestId: current, kind: 'error', payload: JSON.stringify(toRapidResponse(error)), fatal: true });
}
process.on('uncaughtException', (error) => escaped(error, 129));
process.on('unhandledRejection', (reason) => {
  // Errors.UnhandledPromiseRejection is an Error constructed from the reason itself.
  escaped(runtimeError('Runtime.UnhandledPromiseRejection', String(reason)), 128);
});

port.on('message', (message: InvocationMessage) => void invoke(message));
