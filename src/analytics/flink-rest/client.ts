/**
 * A client of a Flink JobManager's REST API (the endpoints `--flink-rest` uses, per Flink's REST API
 * documentation, docs/ops/rest_api): upload a JAR, run it, read a job's state and exceptions, stop it
 * with a savepoint, trigger a savepoint, cancel it, delete the JAR. Node's fetch; nothing else.
 */

/** Flink's JobStatus values (rest_api JobStatus enum). */
export type FlinkJobState =
  | 'INITIALIZING'
  | 'CREATED'
  | 'RUNNING'
  | 'FAILING'
  | 'FAILED'
  | 'CANCELLING'
  | 'CANCELED'
  | 'FINISHED'
  | 'RESTARTING'
  | 'SUSPENDED'
  | 'RECONCILING';

/** The states after which a job never runs again (Flink's JobStatus#isGloballyTerminalState). */
export const TERMINAL_STATES: ReadonlySet<FlinkJobState> = new Set(['FAILED', 'CANCELED', 'FINISHED']);

/** The body of POST /jars/:jarid/run (JarRunRequestBody). */
export interface JarRunRequest {
  entryClass?: string;
  programArgsList?: string[];
  parallelism?: number;
  jobId?: string;
  savepointPath?: string;
  allowNonRestoredState?: boolean;
}

/** An asynchronous savepoint operation's result (GET /jobs/:jobid/savepoints/:triggerid). */
export type SavepointResult = { status: 'IN_PROGRESS' } | { status: 'COMPLETED'; location: string } | { status: 'FAILED'; failure: string };

/** Flink answered with an error status: `status` and Flink's `errors` texts. */
export class FlinkRestError extends Error {
  constructor(
    readonly status: number,
    readonly errors: string[],
    what: string,
  ) {
    super(`${what} answered ${status}: ${errors.join('; ') || 'no error text'}`);
  }
}

/** The cluster could not be reached at all (refused, reset, timed out, not HTTP). */
export class FlinkUnreachableError extends Error {}

/** How long one REST call may take before the cluster counts as unreachable. */
export const FLINK_REST_CALL_TIMEOUT_MS = 30_000;

export class FlinkRestClient {
  readonly base: string;

  constructor(url: string) {
    this.base = url.replace(/\/+$/, '');
  }

  /** POST /jars/upload (multipart, field `jarfile`): the jar id, the file name Flink stored it under. */
  async upload(jar: Uint8Array, fileName: string): Promise<string> {
    const form = new FormData();
    form.append('jarfile', new Blob([new Uint8Array(jar)], { type: 'application/x-java-archive' }), fileName);
    const body = await this.call<{ filename?: string; status?: string }>('POST', '/jars/upload', form);
    const stored = body.filename?.split('/').pop();
    if (body.status !== 'success' || !stored) throw new FlinkRestError(200, [`unexpected upload answer ${JSON.stringify(body)}`], 'POST /jars/upload');
    return stored;
  }

  /** POST /jars/:jarid/run: the job id. */
  async run(jarId: string, request: JarRunRequest): Promise<string> {
    const body = await this.call<{ jobid?: string }>('POST', `/jars/${encodeURIComponent(jarId)}/run`, request);
    if (!body.jobid) throw new FlinkRestError(200, [`unexpected run answer ${JSON.stringify(body)}`], `POST /jars/${jarId}/run`);
    return body.jobid;
  }

  /** GET /jobs/:jobid: the job's state; undefined when the cluster knows no such job (404). */
  async jobState(jobId: string): Promise<FlinkJobState | undefined> {
    try {
      return (await this.call<{ state: FlinkJobState }>('GET', `/jobs/${jobId}`)).state;
    } catch (err) {
      if (err instanceof FlinkRestError && err.status === 404) return undefined;
      throw err;
    }
  }

  /**
   * GET /jobs/:jobid/exceptions: the newest failure's stack trace (exceptionHistory's first entry, or
   * the older `root-exception`); undefined when there is none.
   */
  async failure(jobId: string): Promise<string | undefined> {
    const body = await this.call<{ 'root-exception'?: string; exceptionHistory?: { entries?: { exceptionName?: string; stacktrace?: string }[] } }>('GET', `/jobs/${jobId}/exceptions`);
    const newest = body.exceptionHistory?.entries?.[0];
    return newest?.stacktrace ?? newest?.exceptionName ?? body['root-exception'] ?? undefined;
  }

  /** POST /jobs/:jobid/stop (StopWithSavepointRequestBody): the trigger id to poll. */
  async stopWithSavepoint(jobId: string, targetDirectory: string | undefined): Promise<string> {
    const request: Record<string, unknown> = { drain: false };
    if (targetDirectory) request.targetDirectory = targetDirectory;
    return (await this.call<{ 'request-id': string }>('POST', `/jobs/${jobId}/stop`, request))['request-id'];
  }

  /** POST /jobs/:jobid/savepoints (SavepointTriggerRequestBody), the job running on: the trigger id. */
  async triggerSavepoint(jobId: string, targetDirectory: string | undefined): Promise<string> {
    const request: Record<string, unknown> = { 'cancel-job': false };
    if (targetDirectory) request['target-directory'] = targetDirectory;
    return (await this.call<{ 'request-id': string }>('POST', `/jobs/${jobId}/savepoints`, request))['request-id'];
  }

  /** GET /jobs/:jobid/savepoints/:triggerid. */
  async savepoint(jobId: string, triggerId: string): Promise<SavepointResult> {
    const body = await this.call<{ status: { id: string }; operation?: { location?: string; 'failure-cause'?: { class?: string; 'stack-trace'?: string } } }>(
      'GET',
      `/jobs/${jobId}/savepoints/${triggerId}`,
    );
    if (body.status.id !== 'COMPLETED') return { status: 'IN_PROGRESS' };
    const cause = body.operation?.['failure-cause'];
    if (cause || !body.operation?.location) return { status: 'FAILED', failure: firstLine(cause?.['stack-trace']) ?? cause?.class ?? 'the savepoint failed' };
    return { status: 'COMPLETED', location: body.operation.location };
  }

  /** PATCH /jobs/:jobid?mode=cancel. */
  async cancel(jobId: string): Promise<void> {
    await this.call('PATCH', `/jobs/${jobId}?mode=cancel`);
  }

  /** DELETE /jars/:jarid. */
  async deleteJar(jarId: string): Promise<void> {
    await this.call('DELETE', `/jars/${encodeURIComponent(jarId)}`);
  }

  private async call<T>(method: string, path: string, body?: FormData | object): Promise<T> {
    const what = `${method} ${path}`;
    let response: Response;
    try {
      response = await fetch(this.base + path, {
        method,
        body: body === undefined ? undefined : body instanceof FormData ? body : JSON.stringify(body),
        headers: body === undefined || body instanceof FormData ? undefined : { 'content-type': 'application/json' },
        signal: AbortSignal.timeout(FLINK_REST_CALL_TIMEOUT_MS),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new FlinkUnreachableError(`the Flink cluster at ${this.base} could not be reached (${what}: ${cause?.message ?? (err as Error).message})`);
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : {};
    } catch {
      throw new FlinkRestError(response.status, [`not JSON: ${text.slice(0, 200)}`], `${this.base} ${what}`);
    }
    if (!response.ok) {
      const errors = (parsed as { errors?: unknown }).errors;
      throw new FlinkRestError(response.status, Array.isArray(errors) ? errors.map(String) : [], `Flink's ${what}`);
    }
    return parsed as T;
  }
}

/** A stack trace's first line: the exception's class and message. */
export function firstLine(trace: string | undefined): string | undefined {
  return trace?.split('\n')[0]?.trim() || undefined;
}
