/**
 * Millrace's Flink SQL engine: a pure library (no I/O). `compileJob(script, options)` parses and plans a script of
 * CREATE TABLE / VIEW, SET, INSERT INTO and statement sets; the caller pushes source records per shard, receives
 * sink records, moves processing time with `advance()`, and checkpoints/restores the job's state.
 */
export { compileJob, Job, VirtualClock, systemClock, parseDuration, IDLE_TIMEOUT_KEY, type Clock, type CompileJobOptions, type JobState } from './job.js';
export { SourceTable, DatagenSource, DEFAULT_SHARD, type SourceRecord, type SourceState } from './sources.js';
export { SinkTable, type SinkRecord, type SinkCallback } from './sinks.js';
export { FlinkSqlError, SqlParseError, SqlValidationError, TableError, UnsupportedSqlError, RuntimeSqlError } from './errors.js';
export { parseScript } from './parser.js';
export type { TableDef, TableColumn } from './catalog.js';
export { DEFAULT_MAX_STATE_ENTRIES, type EngineMetrics, type RowKind } from './runtime.js';
export { tableEndpoint, extractPyFlinkSql, DEFAULT_INIT_TIMESTAMP_FORMAT, type TableEndpoint } from './endpoints.js';
export { createFormat, type Format } from './formats.js';
export { valueToString } from './values.js';
export { javaRegex } from './functions.js';
