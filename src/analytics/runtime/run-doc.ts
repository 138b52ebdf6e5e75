import type { MetadataStore, Versioned } from '../../store/store.js';
import { KEY_PREFIX, type ApplicationDoc } from '../domain/application.js';
import type { BlobRef } from './state-blobs.js';

/**
 * One running (or starting, or stopping) Flink SQL job as the store keeps it: the only channel between
 * the control plane (runner.ts, on whichever node took the request) and the node that holds the job's
 * lease (host.ts, job-run.ts). Everything a job needs to resume on another node is here or in the
 * checkpoint it names.
 */

export type RunPhase = 'STARTING' | 'RUNNING' | 'STOPPED' | 'FAILED';

export interface RunDoc {
  /** A new id per start: checkpoints of an earlier run are never mistaken for this one's. */
  runId: string;
  /** The StartApplication (or update) operation that began this run. */
  operationId?: string;
  app: Pick<ApplicationDoc, 'account' | 'region' | 'name' | 'createMillis' | 'versionId'>;
  /** The resolved Flink SQL (application properties substituted) and the configuration before its SETs. */
  script: string;
  config: Record<string, string>;
  checkpointing: { enabled: boolean; intervalMs: number; minPauseMs: number };
  /** The snapshot state to start from, when the start restores one. */
  restore?: BlobRef;
  allowNonRestoredState: boolean;
  /** What the control plane wants; the holder moves `phase` to match. */
  desired: 'RUNNING' | 'STOPPED';
  phase: RunPhase;
  /** Why the job failed to start (phase FAILED), or the last run-time failure it restarted from. */
  error?: string;
  /** The lease term of the node running the job: a checkpoint commits only under the current term. */
  term: number;
  node?: string;
  /** The last committed checkpoint. */
  checkpoint?: BlobRef & { id: number; at: number };
  /** Snapshots ask for a fresh checkpoint by raising `checkpointRequest`; the holder answers in `checkpointServed`. */
  checkpointRequest: number;
  checkpointServed: number;
  /** Run-time failures the job restarted from (Flink's restart strategy). */
  restarts: number;
}

type AppKey = Pick<ApplicationDoc, 'account' | 'region' | 'name'>;

export const RUN_PREFIX = `${KEY_PREFIX}run/`;
export const runKey = (app: AppKey) => `${RUN_PREFIX}${app.account}/${app.region}/${app.name}`;
/** The lease that holds one application's job: `analytics/job/<account>/<region>/<name>`. */
export const JOB_LEASE_PREFIX = `${KEY_PREFIX}job/`;
export const jobLeaseName = (runDocKey: string) => JOB_LEASE_PREFIX + runDocKey.slice(RUN_PREFIX.length);
export const runKeyOfLease = (lease: string) => RUN_PREFIX + lease.slice(JOB_LEASE_PREFIX.length);
export const checkpointPrefix = (doc: RunDoc, id: number) =>
  `${KEY_PREFIX}checkpoint/${doc.app.account}/${doc.app.region}/${doc.app.name}/${doc.runId}/${id}/`;
export const snapshotStatePrefix = (app: Pick<ApplicationDoc, 'account' | 'region' | 'name' | 'createMillis'>, snapshot: string) =>
  `${KEY_PREFIX}snapshot-state/${app.account}/${app.region}/${app.name}/${app.createMillis}/${snapshot}/`;

export class RunGoneError extends Error {}

/** Read-modify-write of a run document by compare-and-set; `change` returning undefined leaves it as is. */
export async function updateRun(meta: MetadataStore, key: string, change: (doc: RunDoc) => RunDoc | undefined): Promise<Versioned<RunDoc>> {
  for (;;) {
    const current = await meta.get<RunDoc>(key);
    if (!current) throw new RunGoneError(`no job runs under ${key}`);
    const next = change(structuredClone(current.value));
    if (!next) return current;
    const revision = await meta.put(key, next, current.revision);
    if (revision !== undefined) return { key, value: next, revision };
  }
}
