import { spawn, execFile, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';

/**
 * jq for MetadataExtraction (FIREHOSE-SPEC §10.2, §20.5): AWS runs jq 1.6, and so does Debian's
 * `jq` package, so Millrace runs that binary, one long-lived child per query, one compact JSON
 * line in and one line out (`jq -c --unbuffered`). Where no binary is found, jq-web (jq compiled
 * to WebAssembly, an optional dependency) stands in, in a Node child process of its own that speaks
 * the same lines (jq-web-cli.ts), so the same restarts and time limits apply.
 *
 * The user's query is wrapped so that every input gives one output line, whatever the query does
 * (no output, several outputs, a runtime error):
 *   try ([ (QUERY) ] | {o: .}) catch {e: .}
 * and each input goes in as `[id, record]` and comes back with its id, because jq 1.6 does not
 * always keep to one line per input: `halt_error` inside `try` skips the input, carries on with the
 * next ones and aborts at the end of the stream with a corrupted heap. An input whose answer is
 * skipped fails, and the child is replaced. Input that is not JSON never reaches jq (it would end
 * the child's input stream), and a child that dies or hangs is replaced: the input it was working
 * on fails, the ones behind it are sent again.
 */

export type JqOutcome = { ok: true; outputs: unknown[] } | { ok: false; error: string };

export interface JqQuery {
  readonly engine: 'jq' | 'jq-web';
  /** Whether a process is running for it now (it is ended when idle). */
  readonly running?: boolean;
  /** Runs the query on one JSON text (already known to parse; newlines are turned into spaces here). */
  run(json: string): Promise<JqOutcome>;
  close(): Promise<void>;
}

/** Name or path of the jq binary; MILLRACE_JQ overrides (tests, unusual installs). */
export const JQ_BINARY = process.env.MILLRACE_JQ ?? 'jq';

/** Inputs written to a child and not yet answered, at most (bounds the pipe and the memory behind it)… */
export const MAX_IN_FLIGHT = 1024;
/** …and their bytes at most (records may be 1,000 KiB, more once decompressed); one input always goes. */
export const MAX_IN_FLIGHT_BYTES = 8 * 1024 * 1024;

/**
 * Longest a child may take on one input before it is taken to be stuck (a query that loops on
 * some input): the input fails and the child is replaced. A Millrace limit; AWS does not say.
 */
export const JQ_INPUT_TIMEOUT_MS = 10_000;

/** A child with nothing to do for this long is ended, and started again on the next record. */
export const JQ_IDLE_MS = 60_000;

/** Times an input is sent to a fresh child after the one working on it died. */
const MAX_SENDS = 2;

/** How long the compile check of a query may run (it runs the query once on `null`). */
const COMPILE_CHECK_TIMEOUT_MS = 2_000;

/** jq's exit status for a query that does not compile. */
const JQ_COMPILE_ERROR_STATUS = 3;

/** jq runs with no environment of the server's (`$ENV` and `env` see only this) and in UTC, as AWS's does. */
const JQ_ENVIRONMENT = { TZ: 'UTC', LC_ALL: 'C' };

export function wrapQuery(query: string): string {
  // The newline ends a `#` comment on the query's last line before our closing parenthesis.
  return `try ([ (${query}\n) ] | {o: .}) catch {e: .}`;
}

/** The program a child runs: the wrapped query on `.[1]`, answering with the id `.[0]` as `i`. */
function identifiedProgram(query: string): string {
  return `.[0] as $__millrace_id | .[1] | (${wrapQuery(query)}) | .i = $__millrace_id`;
}

let binaryAvailable: Promise<string | undefined> | undefined;

/** The binary's `--version` answer (`jq-1.6`), or undefined when there is none. Asked once. */
export function jqBinaryVersion(): Promise<string | undefined> {
  binaryAvailable ??= new Promise((resolve) => {
    execFile(JQ_BINARY, ['--version'], { timeout: COMPILE_CHECK_TIMEOUT_MS, env: JQ_ENVIRONMENT }, (error, stdout) => {
      resolve(error ? undefined : stdout.trim() || 'jq');
    });
  });
  return binaryAvailable;
}

interface JqWeb {
  raw(input: string, program: string, flags?: string[]): string;
}

let jqWebLoaded: Promise<JqWeb | undefined> | undefined;

/** jq-web, when it is installed (optional dependency). */
export function loadJqWeb(): Promise<JqWeb | undefined> {
  jqWebLoaded ??= (async () => {
    try {
      const require = createRequire(import.meta.url);
      return (await (require('jq-web') as Promise<JqWeb>)) ?? undefined;
    } catch {
      return undefined;
    }
  })();
  return jqWebLoaded;
}

/** The first lines of what jq printed for a failure, without its `jq: error` boilerplate. */
function jqErrorText(stderr: string): string {
  const lines = stderr.split('\n').map((line) => line.trim()).filter((line) => line && !/^jq: \d+ compile errors?$/.test(line));
  return (lines[0] ?? 'jq failed').replace(/^jq: error: /, '');
}

/**
 * Whether a query compiles: undefined if it does, else jq's message. With the binary the query is
 * run once on `null` (runtime errors there are fine; only exit status 3 means it does not compile);
 * jq-web only compiles it (behind `empty`), since a query that loops would hang the server.
 */
export async function checkJqQuery(query: string): Promise<string | undefined> {
  if (await jqBinaryVersion()) {
    for (const program of [query, `empty | ${wrapQuery(query)}`]) {
      const problem = await new Promise<string | undefined>((resolve) => {
        const child = execFile(JQ_BINARY, ['-n', program], { timeout: COMPILE_CHECK_TIMEOUT_MS, env: JQ_ENVIRONMENT, maxBuffer: 1024 * 1024 }, (error, _stdout, stderr) => {
          const status = (error as { code?: unknown } | null)?.code;
          resolve(status === JQ_COMPILE_ERROR_STATUS ? jqErrorText(String(stderr)) : undefined);
        });
        child.stdin?.end();
      });
      if (problem) return problem;
    }
    return undefined;
  }
  const jq = await loadJqWeb();
  if (!jq) return undefined; // no engine to ask: the query is taken as it is, and records fail at run time
  try {
    jq.raw('null', `empty | ${wrapQuery(query)}`, ['-c']);
    return undefined;
  } catch (error) {
    const { exitCode, stderr } = error as { exitCode?: number; stderr?: string };
    return exitCode === JQ_COMPILE_ERROR_STATUS ? jqErrorText(String(stderr ?? '')) : undefined;
  }
}

/**
 * A query ready to run: the binary when there is one, else jq-web, else one that fails every input.
 * `engine: 'jq-web'` skips the binary (tests of the fallback).
 */
export async function openJqQuery(query: string, log: Logger, options: { engine?: 'jq' | 'jq-web'; inputTimeoutMs?: number; idleMs?: number } = {}): Promise<JqQuery> {
  const version = options.engine === 'jq-web' ? undefined : await jqBinaryVersion();
  if (version) {
    if (version !== 'jq-1.6') log.warn({ version }, `jq is ${version}, not jq-1.6 as Firehose's JQ-1.6 engine: results may differ`);
    return new JqChildQuery(query, log, options.inputTimeoutMs ?? JQ_INPUT_TIMEOUT_MS, 'jq', options.idleMs ?? JQ_IDLE_MS);
  }
  if (await loadJqWeb()) {
    log.warn('no jq binary found: MetadataExtraction runs on jq-web (slower, and jq 1.7 rather than 1.6); install jq');
    return new JqChildQuery(query, log, options.inputTimeoutMs ?? JQ_INPUT_TIMEOUT_MS, 'jq-web', options.idleMs ?? JQ_IDLE_MS);
  }
  log.error('no jq binary and no jq-web: every record of a MetadataExtraction stream fails; install jq');
  return {
    engine: 'jq',
    async run() {
      return { ok: false, error: 'jq is not available on this server' };
    },
    async close() {},
  };
}

interface Answer {
  o?: unknown[];
  e?: unknown;
  i?: unknown;
}

function readAnswer(line: string): Answer | undefined {
  try {
    const answer = JSON.parse(line) as Answer;
    return answer && typeof answer === 'object' ? answer : undefined;
  } catch {
    return undefined;
  }
}

function outcomeOf(answer: Answer | undefined): JqOutcome {
  if (!answer) return { ok: false, error: 'jq answered with something that is not JSON' };
  if (Array.isArray(answer.o)) return { ok: true, outputs: answer.o };
  return { ok: false, error: typeof answer.e === 'string' ? answer.e : JSON.stringify(answer.e ?? null) };
}

/** A FIFO whose shift is O(1) (Array.prototype.shift copies: a batch of 50,000 records made it quadratic). */
class Queue<T> {
  private items: T[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head++]!;
    if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  peek(): T | undefined {
    return this.items[this.head];
  }

  last(): T | undefined {
    return this.length > 0 ? this.items[this.items.length - 1] : undefined;
  }

  /** Puts items back at the front, in their order. */
  prepend(items: T[]): void {
    if (items.length === 0) return;
    this.items = [...items, ...this.items.slice(this.head)];
    this.head = 0;
  }

  takeAll(): T[] {
    const all = this.items.slice(this.head);
    this.items = [];
    this.head = 0;
    return all;
  }
}

interface Request {
  line: string;
  sends: number;
  /** Id of its latest send (answers carry it). */
  id: number;
  resolve(outcome: JqOutcome): void;
}

/** The jq-web stand-in for the binary (jq-web-cli.ts beside this file). */
const JQ_WEB_CLI = fileURLToPath(new URL('./jq-web-cli.js', import.meta.url));

/** One `jq -c --unbuffered` child per query (or its jq-web stand-in), replaced whenever it exits. */
class JqChildQuery implements JqQuery {
  private readonly program: string;
  private child?: ChildProcessWithoutNullStreams;
  /** Written to the child, answered in this order (ids increasing). */
  private readonly sent = new Queue<Request>();
  /** Waiting for room in the child's window. */
  private readonly waiting = new Queue<Request>();
  private partial = '';
  private stderrTail = '';
  private timer?: NodeJS.Timeout;
  private idleTimer?: NodeJS.Timeout;
  private closed = false;
  /** Children started, for logs. */
  private starts = 0;
  private nextId = 0;
  private pumpScheduled = false;
  /** Characters of the inputs in `sent`. */
  private bytesInFlight = 0;

  constructor(
    query: string,
    private readonly log: Logger,
    private readonly inputTimeoutMs: number,
    readonly engine: 'jq' | 'jq-web',
    private readonly idleMs: number,
  ) {
    this.program = identifiedProgram(query);
  }

  run(json: string): Promise<JqOutcome> {
    if (this.closed) return Promise.resolve({ ok: false, error: 'jq query closed' });
    // JSON text has no raw newlines inside strings, so these are whitespace: one input, one line.
    const line = /[\r\n]/.test(json) ? json.replace(/[\r\n]/g, ' ') : json;
    return new Promise((resolve) => {
      this.waiting.push({ line, sends: 0, id: 0, resolve });
      this.schedulePump();
    });
  }

  private pump(): void {
    if (this.closed || this.waiting.length === 0 || this.sent.length >= MAX_IN_FLIGHT) return;
    if (this.sent.length > 0 && this.bytesInFlight + this.waiting.peek()!.line.length > MAX_IN_FLIGHT_BYTES) return;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    const child = this.child ?? this.start();
    // One write for the lot: a write per record would cost a system call each.
    const lines: string[] = [];
    while (this.waiting.length > 0 && this.sent.length < MAX_IN_FLIGHT) {
      const next = this.waiting.peek()!;
      if (this.sent.length > 0 && this.bytesInFlight + next.line.length > MAX_IN_FLIGHT_BYTES) break;
      const request = this.waiting.shift()!;
      request.sends++;
      request.id = this.nextId++;
      this.sent.push(request);
      this.bytesInFlight += request.line.length;
      lines.push(`[${request.id},${request.line}]\n`);
    }
    child.stdin.write(lines.join(''));
    if (!this.timer) this.arm();
  }

  /** Pumps once after the current burst of run() calls, so that they share one write. */
  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    process.nextTick(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  private start(): ChildProcessWithoutNullStreams {
    this.starts++;
    const [file, args] = this.engine === 'jq' ? [JQ_BINARY, ['-c', '--unbuffered', this.program]] : [process.execPath, [JQ_WEB_CLI, this.program]];
    const child = spawn(file, args, { env: JQ_ENVIRONMENT, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child = child;
    this.partial = '';
    this.stderrTail = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => this.onOutput(child, chunk));
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      this.stderrTail = (this.stderrTail + chunk).slice(-2000);
    });
    // A write to a child that has gone fails with EPIPE; its exit handles the requests.
    child.stdin.on('error', () => {});
    child.on('error', (error) => this.onGone(child, `jq could not run: ${error.message}`));
    child.on('close', (code, signal) => this.onGone(child, `jq exited (${signal ?? `status ${code}`})${this.stderrTail ? `: ${jqErrorText(this.stderrTail)}` : ''}`));
    return child;
  }

  private onOutput(child: ChildProcessWithoutNullStreams, chunk: string): void {
    if (child !== this.child) return;
    let text = this.partial + chunk;
    let newline: number;
    while ((newline = text.indexOf('\n')) >= 0) {
      const line = text.slice(0, newline);
      text = text.slice(newline + 1);
      const answer = readAnswer(line);
      const id = typeof answer?.i === 'number' ? answer.i : undefined;
      if (id === undefined || this.sent.length === 0 || id < this.sent.peek()!.id || id > this.sent.last()!.id) {
        this.log.warn({ line: line.slice(0, 200) }, 'jq printed a line that answers no record: restarting it');
        this.replace(child);
        return;
      }
      // Records before the one answered got no answer: jq skipped them (see above).
      let skipped = false;
      while (this.sent.peek()!.id !== id) {
        skipped = true;
        this.fail(this.takeSent(), 'jq gave no result for the record');
      }
      this.takeSent()!.resolve(outcomeOf(answer));
      if (skipped) {
        this.log.warn('jq skipped a record: restarting it');
        this.replace(child);
        return;
      }
    }
    this.partial = text;
    this.arm();
    this.pump();
  }

  /** Keeps a deadline on the oldest unanswered input: jq answers in order, so that one is the stuck one. */
  private arm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.sent.length === 0) {
      if (this.waiting.length === 0 && this.child) this.armIdle(this.child);
      return;
    }
    this.timer = setTimeout(() => {
      const child = this.child;
      if (!child) return;
      this.log.warn({ timeoutMs: this.inputTimeoutMs }, 'jq took too long on one record: restarting it');
      this.fail(this.takeSent(), `jq query did not finish within ${this.inputTimeoutMs} ms`);
      this.replace(child);
    }, this.inputTimeoutMs);
    this.timer.unref();
  }

  /** Ends a child that has had nothing to do for JQ_IDLE_MS: a server with many streams keeps no idle processes. */
  private armIdle(child: ChildProcessWithoutNullStreams): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      if (this.child !== child || this.sent.length > 0 || this.waiting.length > 0) return;
      this.child = undefined;
      child.removeAllListeners('close');
      child.removeAllListeners('error');
      child.on('error', () => {});
      child.stdin.end();
    }, this.idleMs);
    this.idleTimer.unref();
  }

  /** Whether a child is running (tests). */
  get running(): boolean {
    return this.child !== undefined;
  }

  private onGone(child: ChildProcessWithoutNullStreams, reason: string): void {
    if (child !== this.child) return;
    if (!this.closed) this.log.warn({ reason, restarts: this.starts }, 'jq child ended: restarting it for the records behind');
    // 'close' comes after the child's last output was read, so the oldest unanswered input is the
    // one jq was working on: it fails; the rest go again.
    const culprit = this.takeSent();
    this.fail(culprit, reason);
    this.replace(child);
  }

  /** Drops a child and sends its unanswered inputs to a new one (each at most MAX_SENDS times). */
  private replace(child: ChildProcessWithoutNullStreams): void {
    if (this.child === child) this.child = undefined;
    child.removeAllListeners('close');
    child.removeAllListeners('error');
    child.on('error', () => {});
    child.kill('SIGKILL');
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const again: Request[] = [];
    this.bytesInFlight = 0;
    for (const request of this.sent.takeAll()) {
      if (request.sends >= MAX_SENDS) this.fail(request, 'jq exited repeatedly');
      else again.push(request);
    }
    this.waiting.prepend(again);
    if (this.closed) {
      for (const request of this.waiting.takeAll()) this.fail(request, 'jq query closed');
      return;
    }
    this.pump();
  }

  private takeSent(): Request | undefined {
    const request = this.sent.shift();
    if (request) this.bytesInFlight -= request.line.length;
    return request;
  }

  private fail(request: Request | undefined, error: string): void {
    request?.resolve({ ok: false, error });
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    for (const request of this.waiting.takeAll()) this.fail(request, 'jq query closed');
    const child = this.child;
    if (!child) return;
    const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
    child.stdin.end();
    const timer = setTimeout(() => child.kill('SIGKILL'), 2_000);
    await exited;
    clearTimeout(timer);
  }
}
