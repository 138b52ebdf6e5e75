import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { DRY_RUN_STATUS, InvokeError, type FunctionInvoker, type InvokeOptions, type InvokeResult } from './invoker.js';
import { functionNotFound, LATEST, parseFunctionName, type FunctionName } from './function-name.js';
import {
  exitedPayload,
  INVOKE_REQUEST_LIMIT_BYTES,
  invalidPayload,
  requestTooLarge,
  timedOutPayload,
  tooManyRequests,
} from './invoke-limits.js';
import type { EnvironmentData, InvocationMessage, OutcomeMessage } from './function-worker.js';

/**
 * Lambda functions as modules in a directory (`--functions DIR`): `DIR/<name>.mjs` (or `.js`, `.cjs`)
 * exporting `handler`, run in worker threads that stand in for Lambda's execution environments.
 * One environment holds one version of one function's module, as on Lambda; editing the file makes
 * a new version, so the next invocation gets a fresh environment with the new code.
 */

/** Module file extensions tried in turn for a function name. */
const MODULE_EXTENSIONS = ['.mjs', '.js', '.cjs'];

/**
 * Invocations that may wait for a free environment before further ones are throttled. Lambda
 * itself throttles at once; a short queue smooths bursts from Firehose and Analytics, and each
 * entry may hold a 6 MB payload, so the queue stays small.
 */
export const QUEUED_INVOCATION_LIMIT = 100;

/**
 * Time an environment may spend loading its module before the invocation is given up, as Lambda's
 * init phase is limited to 10 seconds (Lambda execution environment lifecycle, "Init phase"). The
 * function timeout counts from the handler call, as on Lambda, so a cold start does not eat it.
 */
export const INIT_TIME_LIMIT_MS = 10_000;

/** Lambda's default memory setting, which the context reports (the runtime reads it from the environment, as a string). */
const MEMORY_LIMIT_MB = '128';

export interface LocalModuleOptions {
  dir: string;
  /** Each invocation's time limit, Lambda's function timeout. */
  timeoutMs: number;
  /** Environments (worker threads) at most, so invocations running at once. */
  concurrency: number;
  /** Invocations waiting for an environment before TooManyRequestsException; QUEUED_INVOCATION_LIMIT by default. */
  queueLimit?: number;
  /** Region and account of names given without them. */
  region: string;
  account: string;
  log?: Logger;
}

/** A module file at one moment: its identity changes whenever the file is rewritten. */
interface ModuleVersion {
  file: string;
  moduleName: string;
  /** File and modification stamp: environments are reused only for the same one. */
  key: string;
}

interface Environment {
  worker: Worker;
  key: string;
  running?: Invocation;
}

interface Invocation {
  fn: FunctionName;
  module: ModuleVersion;
  payload: Buffer;
  requestId: string;
  settled: boolean;
  timer?: NodeJS.Timeout;
  resolve(result: InvokeResult): void;
  reject(error: unknown): void;
}

export function openLocalModuleInvoker(options: LocalModuleOptions): FunctionInvoker {
  return new LocalModules(options);
}

class LocalModules implements FunctionInvoker {
  readonly kind = 'local' as const;
  private readonly dir: string;
  private readonly concurrency: number;
  private readonly queueLimit: number;
  private readonly environments = new Set<Environment>();
  private readonly waiting: Invocation[] = [];
  /** Invocations accepted and not yet answered, counted from the moment they arrive. */
  private admitted = 0;
  private closed = false;

  constructor(private readonly options: LocalModuleOptions) {
    this.dir = resolve(options.dir);
    this.concurrency = Math.max(1, options.concurrency);
    this.queueLimit = options.queueLimit ?? QUEUED_INVOCATION_LIMIT;
  }

  async invoke(functionArn: string, payload: Buffer, options: InvokeOptions = {}): Promise<InvokeResult> {
    if (this.closed) throw closedError();
    const fn = parseFunctionName(functionArn, this.options);
    if (payload.length > INVOKE_REQUEST_LIMIT_BYTES) throw requestTooLarge();
    if (options.dryRun) {
      await this.locate(fn);
      return { statusCode: DRY_RUN_STATUS, payload: Buffer.alloc(0), executedVersion: LATEST };
    }
    // Counted before anything asynchronous, so that the bound holds for a burst arriving at once.
    if (this.admitted >= this.concurrency + this.queueLimit) throw tooManyRequests();
    this.admitted++;
    try {
      options.signal?.throwIfAborted();
      const module = await this.locate(fn);
      return await this.schedule(fn, module, payload, options.signal);
    } finally {
      this.admitted--;
    }
  }

  /** The module of `$LATEST`; a local function has no other version or alias. */
  private async locate(fn: FunctionName): Promise<ModuleVersion> {
    if (fn.qualifier !== undefined && fn.qualifier !== LATEST) throw functionNotFound(fn);
    for (const extension of MODULE_EXTENSIONS) {
      const file = join(this.dir, fn.name + extension);
      const info = await stat(file).catch(() => undefined);
      if (info?.isFile()) return { file, moduleName: fn.name, key: `${file}\0${info.mtimeMs}\0${info.size}\0${info.ino}` };
    }
    throw functionNotFound(fn);
  }

  private schedule(fn: FunctionName, module: ModuleVersion, payload: Buffer, signal?: AbortSignal): Promise<InvokeResult> {
    return new Promise<InvokeResult>((resolvePromise, rejectPromise) => {
      const invocation: Invocation = {
        fn,
        module,
        payload,
        requestId: randomUUID(),
        settled: false,
        resolve: (result) => {
          if (invocation.settled) return;
          invocation.settled = true;
          signal?.removeEventListener('abort', onAbort);
          resolvePromise(result);
        },
        reject: (error) => {
          if (invocation.settled) return;
          invocation.settled = true;
          signal?.removeEventListener('abort', onAbort);
          rejectPromise(error);
        },
      };
      // A caller that gives up stops waiting; a run under way still finishes, as on Lambda.
      const onAbort = () => {
        const index = this.waiting.indexOf(invocation);
        if (index >= 0) this.waiting.splice(index, 1);
        invocation.reject(signal!.reason);
      };
      if (signal?.aborted) {
        invocation.reject(signal.reason);
        return;
      }
      // Closed while the module was being looked up.
      if (this.closed) {
        invocation.reject(closedError());
        return;
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(invocation);
      this.dispatch();
    });
  }

  /** Starts waiting invocations in arrival order while environments are free. */
  private dispatch(): void {
    while (!this.closed && this.waiting.length > 0) {
      const next = this.waiting[0];
      const environment = this.environmentFor(next.module);
      if (!environment) return;
      this.waiting.shift();
      this.start(environment, next);
    }
  }

  /** An idle environment with this very module, else a new one in a free or reclaimed slot. */
  private environmentFor(module: ModuleVersion): Environment | undefined {
    let idleOther: Environment | undefined;
    for (const environment of this.environments) {
      if (environment.running) continue;
      if (environment.key === module.key) return environment;
      idleOther ??= environment;
    }
    if (this.environments.size >= this.concurrency) {
      if (!idleOther) return undefined;
      this.retire(idleOther);
    }
    return this.spawn(module);
  }

  private spawn(module: ModuleVersion): Environment {
    const functionName = module.moduleName;
    const logGroupName = `/aws/lambda/${functionName}`;
    const now = new Date();
    const day = now.toISOString().slice(0, 10).replaceAll('-', '/');
    const logStreamName = `${day}/[${LATEST}]${randomBytes(16).toString('hex')}`;
    const data: EnvironmentData = {
      file: module.file,
      moduleName: module.moduleName,
      functionName,
      functionVersion: LATEST,
      memoryLimitInMB: MEMORY_LIMIT_MB,
      logGroupName,
      logStreamName,
    };
    const worker = new Worker(new URL('./function-worker.js', import.meta.url), {
      workerData: data,
      // The variables Lambda's runtime sets that a handler commonly reads (no credentials).
      env: {
        ...process.env,
        AWS_REGION: this.options.region,
        AWS_DEFAULT_REGION: this.options.region,
        AWS_LAMBDA_FUNCTION_NAME: functionName,
        AWS_LAMBDA_FUNCTION_VERSION: LATEST,
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: MEMORY_LIMIT_MB,
        AWS_LAMBDA_LOG_GROUP_NAME: logGroupName,
        AWS_LAMBDA_LOG_STREAM_NAME: logStreamName,
        LAMBDA_TASK_ROOT: this.dir,
        _HANDLER: `${module.moduleName}.handler`,
      },
    });
    // Idle environments must not keep the process alive; a running invocation's timer does.
    worker.unref();
    const environment: Environment = { worker, key: module.key };
    worker.on('message', (outcome: OutcomeMessage) => this.finish(environment, outcome));
    worker.on('error', (err) => this.options.log?.warn({ err, function: functionName }, 'function environment failed'));
    worker.on('exit', (code) => this.exited(environment, code));
    this.environments.add(environment);
    this.options.log?.debug({ function: functionName, file: module.file }, 'function environment started');
    return environment;
  }

  private start(environment: Environment, invocation: Invocation): void {
    environment.running = invocation;
    const message: InvocationMessage = {
      requestId: invocation.requestId,
      payload: invocation.payload,
      timeoutMs: this.options.timeoutMs,
      invokedFunctionArn: invocation.fn.invokedArn,
    };
    invocation.timer = setTimeout(() => this.timedOut(environment, invocation), INIT_TIME_LIMIT_MS);
    environment.worker.postMessage(message);
  }

  private finish(environment: Environment, outcome: OutcomeMessage): void {
    const invocation = environment.running;
    // An answer after the pool gave up on the run (time out) belongs to no one.
    if (!invocation || invocation.requestId !== outcome.requestId) return;
    clearTimeout(invocation.timer);
    if (outcome.kind === 'started') {
      invocation.timer = setTimeout(() => this.timedOut(environment, invocation), this.options.timeoutMs);
      return;
    }
    environment.running = undefined;
    if (outcome.kind === 'invalid-payload') invocation.reject(invalidPayload(outcome.message));
    else if (outcome.kind === 'response') invocation.resolve(result(outcome.payload));
    else {
      invocation.resolve(result(outcome.payload, 'Unhandled'));
      if (outcome.fatal) this.retire(environment);
    }
    this.dispatch();
  }

  /** Lambda's timeout: the caller gets Sandbox.Timedout and the stuck environment is ended and replaced. */
  private timedOut(environment: Environment, invocation: Invocation): void {
    if (environment.running !== invocation) return;
    environment.running = undefined;
    this.retire(environment);
    invocation.resolve(result(timedOutPayload(invocation.requestId, this.options.timeoutMs), 'Unhandled'));
    this.dispatch();
  }

  /** An environment that ended by itself (an uncaught error, process.exit in the handler). */
  private exited(environment: Environment, code: number): void {
    if (!this.environments.delete(environment)) return;
    const invocation = environment.running;
    environment.running = undefined;
    if (invocation) {
      clearTimeout(invocation.timer);
      invocation.resolve(result(exitedPayload(invocation.requestId, code), 'Unhandled'));
    }
    this.dispatch();
  }

  private retire(environment: Environment): void {
    this.environments.delete(environment);
    void environment.worker.terminate();
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const invocation of this.waiting.splice(0)) invocation.reject(closedError());
    const stopping: Promise<number>[] = [];
    for (const environment of this.environments) {
      if (environment.running) {
        clearTimeout(environment.running.timer);
        environment.running.reject(closedError());
      }
      stopping.push(environment.worker.terminate());
    }
    this.environments.clear();
    await Promise.all(stopping);
  }
}

function result(payload: string, functionError?: 'Unhandled'): InvokeResult {
  return { statusCode: 200, payload: Buffer.from(payload), executedVersion: LATEST, ...(functionError ? { functionError } : {}) };
}

/** Invocations cut off by shutdown fail as Lambda's own internal errors do. */
function closedError(): InvokeError {
  return new InvokeError('ServiceException', 'The function invoker is closed.', 500);
}
