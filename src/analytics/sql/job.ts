import { createHash } from 'node:crypto';
import type { InsertStatement, Statement } from './ast.js';
import { Catalog, DEFAULT_PATH, localName, type TableDef } from './catalog.js';
import { FlinkSqlError, RuntimeSqlError, SqlValidationError, TableError, UnsupportedSqlError } from './errors.js';
import { parseScript } from './parser.js';
import { Planner, type Rel } from './planner.js';
import { DEFAULT_MAX_STATE_ENTRIES, type EngineMetrics, type ProcessingTimeListener, type RuntimeContext, type Stateful } from './runtime.js';
import { SinkTable, type SinkCallback } from './sinks.js';
import { DatagenSource, SourceTable, type SourceState } from './sources.js';
import { assignable, typeToString } from './types.js';

/** Processing time for the job: the wall clock in production, a VirtualClock in tests. */
export interface Clock {
  now(): number;
}

/** A clock that only moves when told to: deterministic processing time for tests. */
export class VirtualClock implements Clock {
  constructor(private ms = 0) {}
  now(): number {
    return this.ms;
  }
  set(ms: number): void {
    if (ms > this.ms) this.ms = ms;
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}

export const systemClock: Clock = { now: () => Date.now() };

export interface CompileJobOptions {
  /** Processing time (PROCTIME(), idle timeout, datagen, NOW()); default the wall clock. */
  clock?: Clock;
  /** Sink callbacks by table name, the same as `job.sinks[name].subscribe(cb)`. */
  sinks?: Record<string, SinkCallback>;
  /** Configuration before the script's own SET statements (e.g. from application properties). */
  config?: Record<string, string>;
  /** Keyed state entries one operator may hold (default DEFAULT_MAX_STATE_ENTRIES). */
  maxStateEntries?: number;
}

/** A checkpoint: source positions and watermarks + every operator's state, as plain JSON. */
export interface JobState {
  version: 1;
  /** Fingerprint of the job's operator layout: restoring into a different program is refused. */
  layout: string;
  sources: Record<string, SourceState>;
  operators: Record<string, unknown>;
}

/** `table.exec.source.idle-timeout` and other Flink durations: "5 s", "500 ms", "1 min", "10s", "0". */
export function parseDuration(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|milli|millis|millisecond|milliseconds|s|sec|secs|second|seconds|m|min|mins|minute|minutes|h|hour|hours|d|day|days)?\s*$/i.exec(text);
  if (!m) throw new TableError(`Could not parse value '${text}' for key 'table.exec.source.idle-timeout'.`);
  const n = Number(m[1]);
  const unit = (m[2] ?? 'ms').toLowerCase();
  const mult = unit.startsWith('ms') || unit.startsWith('milli') ? 1 : unit.startsWith('s') ? 1000 : unit === 'm' || unit.startsWith('min') ? 60_000 : unit.startsWith('h') ? 3_600_000 : 86_400_000;
  return n * mult;
}

export const IDLE_TIMEOUT_KEY = 'table.exec.source.idle-timeout';

/** A compiled Flink SQL job: push records into `sources`, read results from `sinks`, move time with `advance`. */
export class Job {
  readonly sources: Record<string, SourceTable> = {};
  readonly sinks: Record<string, SinkTable> = {};
  readonly config: Record<string, string>;
  readonly catalog: Catalog;
  readonly metrics: EngineMetrics = { rowsIn: 0, rowsOut: 0, lateRowsDropped: 0, recordsSkipped: 0 };
  /** The error that failed the job, if any: every later call rethrows it (restart from a checkpoint). */
  failure: FlinkSqlError | Error | undefined;
  private readonly operators = new Map<string, Stateful>();
  private readonly timers: ProcessingTimeListener[] = [];
  private readonly clock: Clock;
  private readonly ctx: RuntimeContext;
  private inserts = 0;

  constructor(script: string, options: CompileJobOptions = {}) {
    this.clock = options.clock ?? systemClock;
    const now = (): number => this.clock.now();
    this.config = { ...(options.config ?? {}) };
    this.catalog = new Catalog(now);
    const ops = this.operators;
    const maxState = options.maxStateEntries ?? DEFAULT_MAX_STATE_ENTRIES;
    this.ctx = {
      now,
      checkState: (operator, entries) => {
        if (entries > maxState) {
          throw new RuntimeSqlError(`The state of operator ${operator} holds more than ${maxState} entries (Millrace's per-operator state limit, maxStateEntries): the job's keys or windows grow without bound.`, 'org.apache.flink.runtime.execution.CancelTaskException');
        }
      },
      register: (kind, op) => {
        const id = `${ops.size + 1}:${kind}`;
        ops.set(id, op);
        return id;
      },
      onProcessingTime: (l) => this.timers.push(l),
      metrics: this.metrics,
    };
    const planner = new Planner({ catalog: this.catalog, now, ctx: this.ctx, source: (t) => this.sourceFor(t) });
    // Zeppelin paragraph headers (`%flink.ssql(type=update)`) become blanks of the same length: positions stay right
    const sql = script.replace(/^[ \t]*%[^\n]*/gm, (m) => ' '.repeat(m.length));
    for (const st of parseScript(sql)) this.execute(st, planner);
    if (this.inserts === 0) throw new TableError('No operators defined in streaming topology. Cannot execute.', 'java.lang.IllegalStateException');
    for (const [name, cb] of Object.entries(options.sinks ?? {})) {
      const sink = this.sinks[name];
      if (!sink) throw new TableError(`The job writes no sink named '${name}' (it writes: ${Object.keys(this.sinks).join(', ') || 'nothing'})`);
      sink.subscribe(cb);
    }
  }

  private execute(st: Statement, planner: Planner): void {
    switch (st.kind) {
      case 'set':
        if (st.key !== undefined) this.config[st.key] = st.value ?? '';
        return;
      case 'reset':
        if (st.key === undefined) for (const k of Object.keys(this.config)) delete this.config[k];
        else delete this.config[st.key];
        return;
      case 'use':
        if (!['default_catalog', 'default_database', 'default_catalog.default_database'].includes(st.name)) {
          throw new TableError(`A catalog with name [${st.name}] does not exist.`, 'org.apache.flink.table.catalog.exceptions.CatalogException');
        }
        return;
      case 'createTable': this.catalog.createTable(st); return;
      case 'createView': this.catalog.createView(st); return;
      case 'drop': this.catalog.drop(st); return;
      case 'insert': this.insert(st, planner); return;
      case 'statementSet': for (const ins of st.inserts) this.insert(ins, planner); return;
      case 'query': {
        // A bare SELECT (a Studio paragraph) goes to a print-style result sink named `$query<N>`.
        const rel = planner.planQuery(st.query);
        const name = `$query${this.inserts + 1}`;
        const table: TableDef = {
          name, columns: rel.fields.map((f) => ({ name: f.name, type: f.type, kind: 'physical' })), options: { connector: 'print' },
          connector: { name: 'print', source: false, sink: true, appendOnlySink: false, needsFormat: false, required: () => [], optionKeys: [], metadata: {} },
          primaryKey: [], partitionedBy: [],
        };
        const sink = new SinkTable(table, this.ctx);
        this.sinks[name] = sink;
        rel.connect(sink.input(rel.fields, rel.fields.map((_f, i) => i)));
        this.inserts++;
        return;
      }
    }
  }

  private insert(st: InsertStatement, planner: Planner): void {
    const name = localName(st.table);
    const table = this.catalog.tables.get(name);
    if (!table) {
      throw new SqlValidationError(`Object '${st.table.split('.').pop()}' not found`, st.tableSpan);
    }
    this.catalog.checkUse(table, false);
    const rel: Rel = planner.planQuery(st.query);
    const sink = this.sinks[name] ?? new SinkTable(table, this.ctx);
    const cols = sink.physicalColumns;
    const targets = st.columns.length > 0 ? st.columns.map((c) => {
      const i = cols.findIndex((x) => x.name === c);
      if (i < 0) throw new TableError(`SQL validation failed. Unknown target column '${c}'`);
      return i;
    }) : cols.map((_c, i) => i);
    const querySchema = `[${rel.fields.map((f) => `${f.name}: ${typeToString(f.type)}`).join(', ')}]`;
    const sinkSchema = `[${targets.map((i) => `${cols[i]!.name}: ${typeToString(cols[i]!.type)}`).join(', ')}]`;
    if (rel.fields.length !== targets.length) {
      throw new TableError(`Column types of query result and sink for '${DEFAULT_PATH}.${name}' do not match.\nCause: Different number of columns.\n\nQuery schema: ${querySchema}\nSink schema:  ${sinkSchema}`);
    }
    rel.fields.forEach((f, i) => {
      const target = cols[targets[i]!]!;
      if (!assignable(f.type, target.type)) {
        throw new TableError(`Column types of query result and sink for '${DEFAULT_PATH}.${name}' do not match.\nCause: Incompatible types for sink column '${target.name}' at position ${targets[i]}.\n\nQuery schema: ${querySchema}\nSink schema:  ${sinkSchema}`);
      }
    });
    if (rel.updating && table.connector.appendOnlySink) {
      throw new TableError(`Table sink '${DEFAULT_PATH}.${name}' doesn't support consuming update changes which is produced by node ${rel.node}`, 'org.apache.flink.table.api.TableException');
    }
    this.sinks[name] = sink;
    rel.connect(sink.input(rel.fields, targets));
    this.inserts++;
  }

  private sourceFor(table: TableDef): SourceTable {
    let s = this.sources[table.name];
    if (!s) {
      const idle = this.config[IDLE_TIMEOUT_KEY] ? parseDuration(this.config[IDLE_TIMEOUT_KEY]) : 0;
      const after = (): void => this.afterInput();
      const guarded = table.connector.name === 'datagen' ? new DatagenSource(table, this.ctx, idle, after) : new SourceTable(table, this.ctx, idle, after);
      s = this.guard(guarded);
      this.sources[table.name] = s;
    }
    return s;
  }

  /** Wrap a source's input methods: a failed job refuses input; an error during input fails the job. */
  private guard(source: SourceTable): SourceTable {
    for (const m of ['push', 'pushRows', 'pushPhysical', 'markIdle', 'finishShard'] as const) {
      const original = source[m].bind(source) as (...a: unknown[]) => void;
      (source as unknown as Record<string, (...a: unknown[]) => void>)[m] = (...args: unknown[]) => {
        this.checkAlive();
        try {
          original(...args);
        } catch (e) {
          this.failure = e as Error;
          throw e;
        }
      };
    }
    return source;
  }

  private checkAlive(): void {
    if (this.failure) throw this.failure;
  }

  private afterInput(): void {
    for (const s of Object.values(this.sinks)) s.flush();
  }

  /** Processing time moved to `now` (a VirtualClock is set to it): datagen rows, idle shards, PROCTIME windows fire. */
  advance(now?: number): void {
    this.checkAlive();
    try {
      if (now !== undefined && this.clock instanceof VirtualClock) this.clock.set(now);
      const t = this.clock.now();
      for (const s of Object.values(this.sources)) if (s instanceof DatagenSource) s.generate(t);
      for (const s of Object.values(this.sources)) s.checkIdle(t);
      for (const l of this.timers) l.onProcessingTime(t);
      this.afterInput();
    } catch (e) {
      this.failure = e as Error;
      throw e;
    }
  }

  /** The operator layout this script compiles to (ids and kinds), fingerprinted. */
  private layout(): string {
    return createHash('sha256').update([...this.operators.keys()].join(',') + '|' + Object.keys(this.sources).sort().join(',')).digest('hex').slice(0, 16);
  }

  /** A consistent snapshot between two calls: source positions + watermarks and every operator's state (JSON-safe). */
  checkpoint(): JobState {
    this.checkAlive();
    const operators: Record<string, unknown> = {};
    for (const [id, op] of this.operators) operators[id] = op.save();
    const sources: Record<string, SourceState> = {};
    for (const [name, s] of Object.entries(this.sources)) sources[name] = s.save();
    return JSON.parse(JSON.stringify({ version: 1, layout: this.layout(), sources, operators })) as JobState;
  }

  /** Resume from a checkpoint: call on a freshly compiled job before pushing records; then read each source from `positions()`. */
  restore(state: JobState): void {
    if (state.version !== 1) throw new TableError(`Unsupported checkpoint version ${String(state.version)}`);
    for (const id of Object.keys(state.operators)) {
      if (!this.operators.has(id)) {
        throw new TableError(`Failed to rollback to checkpoint/savepoint. Cannot map checkpoint/savepoint state for operator ${id} to the new program, because the operator is not available in the new program.`, 'java.lang.IllegalStateException');
      }
    }
    for (const [id, op] of this.operators) if (state.operators[id] !== undefined) op.load(state.operators[id]);
    for (const [name, s] of Object.entries(state.sources)) this.sources[name]?.load(s);
  }
}

/** Parse, validate and plan a Flink SQL script. Throws FlinkSqlError (parse/validation/planning) with Flink's text. */
export function compileJob(script: string, options: CompileJobOptions = {}): Job {
  return new Job(script, options);
}

export { UnsupportedSqlError };
