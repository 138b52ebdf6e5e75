import type { Analytics } from '../../analytics/context.js';
import type { ApplicationDoc } from '../../analytics/domain/application.js';
import { classifyCode, type JobCode } from '../../analytics/domain/code.js';
import type { RunState } from '../../analytics/domain/runner.js';
import { compileJob, tableEndpoint, type TableDef } from '../../analytics/sql/index.js';
import { typeToString } from '../../analytics/sql/types.js';
import type { ConsoleDeps } from '../deps.js';
import { notFound } from './errors.js';
import type { ConsoleScope } from './params.js';
import { browseRecords } from './records.js';

/**
 * Analytics applications as the console shows them (issue 18 §1 "Analytics"): state, the
 * operations of the v2 API with their errors, the versions history, snapshots, what the runner
 * says of the job, and the tables of a Flink SQL job with sample rows of those a Kinesis stream
 * backs (read as the data viewer reads, without spending the stream's limits). Everything comes
 * from the Analytics domain over the store, so any node answers the same.
 */

/** Operations and versions shown per application, newest first. */
export const MAX_LISTED_OPERATIONS = 100;
export const MAX_LISTED_VERSIONS = 50;
/** Newest records shown per Kinesis-backed table. */
export const SAMPLE_ROWS = 5;
/** Code text shown at most (a PLAINTEXT application holds up to 100 KB: model TextContent). */
export const MAX_CODE_CHARS = 100_000;

function requireAnalytics(deps: ConsoleDeps): Analytics {
  if (!deps.analytics) throw notFound('Analytics is not served by this server');
  return deps.analytics;
}

export async function listApplications(deps: ConsoleDeps, scope: ConsoleScope) {
  const analytics = requireAnalytics(deps);
  const docs = await analytics.applications.list(scope.account, scope.region);
  return {
    account: scope.account,
    region: scope.region,
    applications: await Promise.all(
      docs.map(async (doc) => {
        const operations = await analytics.operations.list(doc);
        const last = operations[operations.length - 1];
        return {
          ...summary(doc),
          lastOperation: last && { operation: last.operation, status: last.status, error: last.error, startedAt: last.startMillis },
        };
      }),
    ),
  };
}

function summary(doc: ApplicationDoc) {
  return {
    name: doc.name,
    arn: doc.arn,
    status: doc.status,
    runtime: doc.config.runtime,
    mode: doc.config.mode,
    versionId: doc.versionId,
    managedBy: doc.managedBy,
    createdAt: doc.createMillis,
    lastUpdatedAt: doc.lastUpdateMillis,
    description: doc.config.description,
  };
}

export async function describeApplication(deps: ConsoleDeps, scope: ConsoleScope, name: string) {
  const analytics = requireAnalytics(deps);
  const entry = await analytics.applications.get(scope.account, scope.region, name);
  if (!entry) throw notFound(`Application ${name} under account ${scope.account} not found.`);
  const doc = entry.value;
  const [operations, versions, snapshots] = await Promise.all([analytics.operations.list(doc), analytics.applications.versions(doc), analytics.snapshots.list(doc)]);
  const code = await readCode(analytics, doc);
  const runner = await runnerState(analytics, doc, code);
  const tables = code.job?.kind === 'sql' ? await jobTables(deps, scope, code.job.script) : undefined;
  const errors: Array<{ source: string; at?: number; message: string }> = [];
  for (const op of operations) if (op.status === 'FAILED' && op.error) errors.push({ source: op.operation, at: op.endMillis ?? op.startMillis, message: op.error });
  if (runner.state === 'FAILED') errors.push({ source: 'job', message: runner.error });
  if (code.error) errors.push({ source: 'code', message: code.error });
  if (tables?.error) errors.push({ source: 'Flink SQL', message: tables.error });
  errors.reverse();
  return {
    ...summary(doc),
    serviceExecutionRole: doc.config.serviceExecutionRole,
    run: doc.run,
    pending: doc.pending?.kind,
    tags: doc.tags,
    code: {
      type: doc.config.code?.type,
      size: doc.config.code?.size,
      s3: doc.config.code?.s3,
      kind: code.job?.kind,
      source: code.job && 'source' in code.job ? code.job.source : undefined,
      text: code.job?.kind === 'sql' ? code.job.script.slice(0, MAX_CODE_CHARS) : undefined,
    },
    properties: doc.config.properties ?? [],
    flink: doc.config.flink,
    sql: doc.config.sql,
    runner,
    tables: tables?.tables ?? [],
    errors,
    operations: operations
      .slice(-MAX_LISTED_OPERATIONS)
      .reverse()
      .map((op) => ({ id: op.id, operation: op.operation, status: op.status, startedAt: op.startMillis, endedAt: op.endMillis, versionFrom: op.versionFrom, versionTo: op.versionTo, error: op.error })),
    versions: versions
      .slice(-MAX_LISTED_VERSIONS)
      .reverse()
      .map((v) => ({ versionId: v.versionId, status: v.status, createdAt: v.createMillis, runtime: v.config.runtime, updatedFrom: v.versionUpdatedFrom, rolledBackFrom: v.rolledBackFrom, rolledBackTo: v.rolledBackTo })),
    snapshots: snapshots.map((s) => ({ name: s.name, status: s.status, versionId: s.versionId, createdAt: s.createMillis })),
  };
}

async function readCode(analytics: Analytics, doc: ApplicationDoc): Promise<{ job?: JobCode; error?: string }> {
  if (!doc.config.code) return {};
  try {
    return { job: classifyCode(await analytics.code.load(doc, doc.config.code), doc.config.properties) };
  } catch (err) {
    return { error: `the code cannot be read: ${(err as Error).message}` };
  }
}

/** What the runner says of the job (the runner of this build: domain/runner.ts, or the engine's). */
async function runnerState(analytics: Analytics, doc: ApplicationDoc, code: { job?: JobCode }): Promise<RunState | { state: 'UNKNOWN'; error: string }> {
  try {
    return await analytics.runner.status({
      doc,
      code: async () => code.job ?? { kind: 'invalid', reason: 'the application has no code' },
    });
  } catch (err) {
    return { state: 'UNKNOWN', error: (err as Error).message };
  }
}

interface TableView {
  name: string;
  columns: Array<{ name: string; type: string }>;
  watermark?: string;
  connector: string;
  stream?: string;
  deliveryStream?: string;
  role: Array<'source' | 'sink'>;
  sample?: Array<{ shardId: string; sequenceNumber: string; arrival: number; data: string }>;
  sampleError?: string;
}

/** The job's tables, from its compiled plan (compiling runs nothing), with sample rows of the Kinesis-backed ones. */
async function jobTables(deps: ConsoleDeps, scope: ConsoleScope, script: string): Promise<{ tables: TableView[]; error?: string }> {
  let job;
  try {
    job = compileJob(script, { sinks: {} });
  } catch (err) {
    return { tables: [], error: (err as Error).message };
  }
  const tables: TableView[] = [];
  for (const def of job.catalog.tables.values()) {
    const view: TableView = {
      name: def.name,
      columns: def.columns.map((c) => ({ name: c.name, type: typeToString(c.type) })),
      watermark: def.watermark ? `WATERMARK FOR ${def.watermark.column}` : undefined,
      connector: def.connector.name,
      role: [...(job.sources[def.name] ? (['source'] as const) : []), ...(job.sinks[def.name] ? (['sink'] as const) : [])],
    };
    await addSample(deps, scope, def, view);
    tables.push(view);
  }
  return { tables };
}

async function addSample(deps: ConsoleDeps, scope: ConsoleScope, def: TableDef, view: TableView): Promise<void> {
  let endpoint;
  try {
    endpoint = tableEndpoint(def);
  } catch (err) {
    view.sampleError = (err as Error).message;
    return;
  }
  if (endpoint.connector === 'firehose') view.deliveryStream = endpoint.deliveryStream;
  if (endpoint.connector !== 'kinesis') return;
  view.stream = endpoint.streamName;
  const region = endpoint.region ?? scope.region;
  const url = new URL(`http://console/?order=newest&limit=${SAMPLE_ROWS}`);
  try {
    const page = await browseRecords(deps, { account: scope.account, region }, endpoint.streamName, url);
    view.sample = page.records.map((r) => ({ shardId: r.shardId, sequenceNumber: r.sequenceNumber, arrival: r.arrival, data: r.data }));
  } catch (err) {
    view.sampleError = (err as Error).message;
  }
}
