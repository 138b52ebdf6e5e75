import { isSqlRuntime, isZeppelinRuntime, type ApplicationDoc } from './application.js';
import type { JobCode } from './code.js';

/**
 * The interface between the control plane and whatever runs jobs (PLAN.md "analytics-control"):
 * the lifecycle (lifecycle.ts) calls it from the background, never from a request, and turns a
 * rejected promise into a FAILED operation whose ErrorInfo is the error's message. A runner keeps
 * what it runs in the store, so that another node can resume it.
 */

/** What a runner gets of an application: its document and a way to read its code. */
export interface RunnableApplication {
  doc: ApplicationDoc;
  /** The code, classified (code.ts); reads the object store or the stored inline zip. */
  code(): Promise<JobCode>;
}

export interface RestoreRequest {
  type: 'SKIP_RESTORE_FROM_SNAPSHOT' | 'RESTORE_FROM_LATEST_SNAPSHOT' | 'RESTORE_FROM_CUSTOM_SNAPSHOT';
  /** The snapshot to resume from, when there is one (latest or custom). */
  snapshot?: SnapshotRef;
  allowNonRestoredState: boolean;
}

/** A snapshot as the runner made it: `state` is the runner's own reference (e.g. a store key). */
export interface SnapshotRef {
  name: string;
  state?: string;
}

export type RunState = { state: 'RUNNING' } | { state: 'STOPPED' } | { state: 'FAILED'; error: string };

export interface ApplicationRunner {
  /** Runs the application's job; resolves once it runs; rejects with the reason it cannot. */
  start(app: RunnableApplication, restore: RestoreRequest): Promise<void>;
  /**
   * Stops the job. With `snapshot`, first saves its state under that name and returns the reference;
   * `force` stops without a snapshot.
   */
  stop(app: RunnableApplication, options: { snapshot?: string; force?: boolean }): Promise<SnapshotRef | undefined>;
  /** Saves the running job's state (CreateApplicationSnapshot). */
  snapshot(app: RunnableApplication, name: string): Promise<SnapshotRef>;
  /** Forgets a snapshot's state (DeleteApplicationSnapshot, DeleteApplication). */
  dropSnapshot(app: RunnableApplication, ref: SnapshotRef): Promise<void>;
  status(app: RunnableApplication): Promise<RunState>;
}

export class StartRefusedError extends Error {}

/** Why a Flink SQL job is not run by this build (the engine is wired in by a later change). */
export const SQL_ENGINE_NOT_WIRED = 'the Flink SQL engine is not wired into this server yet, so nothing would run it';
/** Why a JAR job is not run (issue 15 §6). */
export const JAR_NEEDS_FLINK =
  'it is a JAR (Java/Scala DataStream or Table API) application, which needs a JVM: Millrace runs Flink SQL itself, and runs JAR applications only on a Flink cluster given with --flink-rest, which this server was not started with';
export const STUDIO_NOT_RUN = 'Studio notebooks (ZEPPELIN-FLINK runtimes) are not run by this server; deploy the note as a STREAMING application with Flink SQL code instead';

/**
 * The runner of a server without an execution engine: it starts nothing and says why, so that a
 * start ends in a FAILED operation with that reason (never RUNNING with nothing running). The Flink
 * SQL engine replaces it for SQL code; JAR code keeps this answer unless a Flink cluster is given.
 */
export class UnavailableRunner implements ApplicationRunner {
  async start(app: RunnableApplication): Promise<void> {
    throw new StartRefusedError(await refusal(app));
  }
  async stop(): Promise<undefined> {
    return undefined;
  }
  async snapshot(app: RunnableApplication): Promise<SnapshotRef> {
    throw new StartRefusedError(`Application ${app.doc.name} has no running job to snapshot.`);
  }
  async dropSnapshot(): Promise<void> {}
  async status(): Promise<RunState> {
    return { state: 'STOPPED' };
  }
}

/** The reason an application cannot start on a server without an engine for its code. */
export async function refusal(app: RunnableApplication): Promise<string> {
  const { name, config } = app.doc;
  const prefix = `Application ${name} could not be started: `;
  if (isSqlRuntime(config.runtime)) return `${prefix}the SQL-1_0 runtime is not run by this server`;
  if (isZeppelinRuntime(config.runtime)) return prefix + STUDIO_NOT_RUN;
  let code: JobCode;
  try {
    code = await app.code();
  } catch (err) {
    return `${prefix}its code cannot be read: ${(err as Error).message}`;
  }
  switch (code.kind) {
    case 'invalid':
      return prefix + code.reason;
    case 'python':
      return `${prefix}it is a PyFlink application whose ${code.reason}, and only its Flink SQL could be run`;
    case 'jar':
      return prefix + JAR_NEEDS_FLINK;
    case 'sql':
      return `${prefix}its Flink SQL (from ${code.source}) was found, but ${SQL_ENGINE_NOT_WIRED}`;
  }
}

