import { randomBytes } from 'node:crypto';
import { unzipSync } from 'fflate';
import type { MetadataStore } from '../../store/store.js';
import { KEY_PREFIX, isFlinkRuntime, type ApplicationDoc, type PropertyGroup } from '../domain/application.js';
import { StartRefusedError, refusal, type ApplicationRunner, type RestoreRequest, type RunState, type RunnableApplication, type SnapshotRef } from '../domain/runner.js';
import { CONVENTION_GROUPS } from '../runtime/script.js';
import { FlinkRestClient, FlinkRestError, TERMINAL_STATES, type FlinkJobState } from './client.js';

/**
 * JAR (DataStream / Table API) applications on a Flink cluster the user runs (`--flink-rest URL`,
 * issue 15 §6): StartApplication uploads the JAR from the application's code (object store or inline
 * zip) to the JobManager, runs it with a job id chosen here, and succeeds only once Flink says the job
 * is RUNNING; a job that fails first ends the operation FAILED with Flink's exception. StopApplication
 * stops the job with a savepoint, which becomes the stop's snapshot; a force stop (or a stop without
 * snapshots) cancels it. A start restoring a snapshot passes its savepoint as `savepointPath`. The run
 * is kept in the store (`analytics/flink-run/…`), so any node can stop it, and the node holding the
 * application's work lease watches the job (watch.ts).
 */

/** How often a waiting start, stop or snapshot asks Flink how the job or savepoint is doing. */
export const FLINK_POLL_MS = 100;
/** How long a start waits for Flink to say RUNNING (scheduling may wait for task slots). */
export const FLINK_START_TIMEOUT_MS = 120_000;
/** How long a stop or snapshot waits for Flink's savepoint, and a cancel for the job to end. */
export const FLINK_SAVEPOINT_TIMEOUT_MS = 300_000;

/**
 * UNVERIFIED: how a JAR job gets the application's EnvironmentProperties. On AWS a job reads them with
 * KinesisAnalyticsRuntime.getApplicationProperties() from a file AWS writes on its own cluster
 * (ANALYTICS-SPEC §5.1); a user's cluster has no such file, so Millrace passes every property as the
 * program arguments `--<PropertyGroupId>.<key> <value>` (what Flink's ParameterTool.fromArgs reads).
 */
export const propertyArgument = (group: string, key: string) => `--${group}.${key}`;

/** Flink's text when a JAR names no entry point (PackagedProgram). */
export const NO_ENTRY_CLASS = "Neither a 'Main-Class', nor a 'program-class' entry was found in the jar file.";

/** One application's job on the Flink cluster, as the store keeps it. */
export interface FlinkRunDoc {
  app: Pick<ApplicationDoc, 'account' | 'region' | 'name' | 'createMillis'>;
  /** The StartApplication (or update) operation that began this run. */
  operationId?: string;
  /** Chosen here before the run request (JarRunRequestBody.jobId), so a repeated start finds its job. */
  jobId: string;
  jarId?: string;
  desired: 'RUNNING' | 'STOPPED';
  phase: 'STARTING' | 'RUNNING';
}

export const FLINK_RUN_PREFIX = `${KEY_PREFIX}flink-run/`;
export const flinkRunKey = (app: Pick<ApplicationDoc, 'account' | 'region' | 'name'>) => `${FLINK_RUN_PREFIX}${app.account}/${app.region}/${app.name}`;

/** A snapshot's state when it is a Flink savepoint (SnapshotRef.state as this runner writes it). */
export function savepointOf(ref: SnapshotRef | undefined): string | undefined {
  if (!ref?.state) return undefined;
  try {
    const parsed = JSON.parse(ref.state) as { flinkSavepoint?: unknown };
    return typeof parsed.flinkSavepoint === 'string' ? parsed.flinkSavepoint : undefined;
  } catch {
    return undefined;
  }
}

/** A Flink stack trace (or errors text) as one line: the exception, and its innermost cause. */
export function summarize(trace: string): string {
  const lines = trace.split('\n').map((l) => l.trim()).filter(Boolean);
  const causes = lines.filter((l) => l.startsWith('Caused by: '));
  const head = lines[0] ?? trace.trim();
  return causes.length === 0 ? head : `${head} Caused by: ${causes.at(-1)!.slice('Caused by: '.length)}`;
}

/** The JAR's entry class from its manifest (Main-Class, else program-class), as Flink finds it. */
export function entryClassOf(jar: Uint8Array): string | undefined {
  let manifest: Uint8Array | undefined;
  try {
    manifest = unzipSync(jar, { filter: (file) => file.name === 'META-INF/MANIFEST.MF' })['META-INF/MANIFEST.MF'];
  } catch {
    return undefined;
  }
  if (!manifest) return undefined;
  // Lines of `Name: value`; a line starting with one space continues the one before.
  const text = Buffer.from(manifest).toString('utf8').replace(/\r?\n /g, '');
  const attribute = (name: string) => new RegExp(`^${name}:\\s*(\\S+)\\s*$`, 'mi').exec(text)?.[1];
  return attribute('Main-Class') ?? attribute('program-class');
}

/** The name the JAR is uploaded under: the .jar in the zip, the code object's key, or the application's name. */
export function jarFileName(doc: ApplicationDoc, source: string): string {
  const key = doc.config.code?.s3?.FileKey;
  const named = source.endsWith('.jar') ? source : key?.endsWith('.jar') ? key : `${doc.name}.jar`;
  return named.split('/').pop()!;
}

export function programArguments(groups: PropertyGroup[] = []): string[] {
  return groups
    .filter((g) => !CONVENTION_GROUPS.includes(g.PropertyGroupId))
    .flatMap((g) => Object.entries(g.PropertyMap).flatMap(([key, value]) => [propertyArgument(g.PropertyGroupId, key), value]));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const describe = (err: unknown) => (err instanceof FlinkRestError ? summarize(err.message) : (err as Error).message);

export class FlinkRestRunner implements ApplicationRunner {
  readonly client: FlinkRestClient;

  constructor(
    private readonly meta: MetadataStore,
    url: string,
    /** Where savepoints go (`--flink-savepoint-dir`); the cluster's state.savepoints.dir when unset. */
    private readonly savepointDir?: string,
    private readonly now: () => number = Date.now,
  ) {
    this.client = new FlinkRestClient(url);
  }

  /** Whether a run of this application is kept (a stop or snapshot goes to this runner). */
  async has(app: RunnableApplication): Promise<boolean> {
    return (await this.meta.get(flinkRunKey(app.doc))) !== undefined;
  }

  async start(app: RunnableApplication, restore: RestoreRequest): Promise<void> {
    const { doc } = app;
    const prefix = `Application ${doc.name} could not be started: `;
    if (!isFlinkRuntime(doc.config.runtime)) throw new StartRefusedError(await refusal(app));
    const code = await app.code().catch(() => undefined);
    if (code?.kind !== 'jar') throw new StartRefusedError(await refusal(app));
    let savepointPath: string | undefined;
    if (restore.type !== 'SKIP_RESTORE_FROM_SNAPSHOT' && restore.snapshot) {
      savepointPath = savepointOf(restore.snapshot);
      if (!savepointPath && !restore.allowNonRestoredState) {
        throw new StartRefusedError(`${prefix}snapshot ${restore.snapshot.name} holds no Flink savepoint (it was taken of a Flink SQL job run by Millrace)`);
      }
    }
    const entryClass = entryClassOf(code.jar);
    if (!entryClass) throw new StartRefusedError(`${prefix}org.apache.flink.client.program.ProgramInvocationException: ${NO_ENTRY_CLASS}`);

    const key = flinkRunKey(doc);
    const operationId = doc.pending?.operationId;
    const previous = (await this.meta.get<FlinkRunDoc>(key))?.value;
    let run: FlinkRunDoc;
    if (previous && operationId !== undefined && previous.operationId === operationId && previous.desired === 'RUNNING') {
      run = previous; // the same start completed twice (the lifecycle lease moved mid-way): carry on with its job id
    } else {
      if (previous) await this.end(previous, 'cancel').catch(() => undefined);
      run = { app: { account: doc.account, region: doc.region, name: doc.name, createMillis: doc.createMillis }, operationId, jobId: randomBytes(16).toString('hex'), desired: 'RUNNING', phase: 'STARTING' };
      if ((await this.meta.put(key, run, 0)) === undefined) throw new Error(`Application ${doc.name} was started twice at once.`);
    }
    if (run.phase === 'RUNNING') return;
    try {
      if (!run.jarId) {
        const jarId = await this.client.upload(code.jar, jarFileName(doc, code.source));
        run.jarId = jarId;
        if (!(await this.update(run, (d) => ({ ...d, jarId })))) {
          await this.client.deleteJar(jarId).catch(() => undefined);
          throw new Error(`${prefix}it was stopped while it started`);
        }
      }
      const known = await this.client.jobState(run.jobId);
      if (!known) {
        await this.client.run(run.jarId, {
          entryClass,
          programArgsList: programArguments(doc.config.properties),
          parallelism: doc.config.flink?.parallelism.Parallelism,
          jobId: run.jobId,
          savepointPath,
          allowNonRestoredState: restore.allowNonRestoredState,
        });
      }
    } catch (err) {
      await this.end(run, 'forget');
      throw new Error(prefix + describe(err));
    }
    const until = this.now() + FLINK_START_TIMEOUT_MS;
    for (;;) {
      let state: FlinkJobState | undefined;
      try {
        state = await this.client.jobState(run.jobId);
      } catch (err) {
        await this.end(run, 'forget');
        throw new Error(prefix + describe(err));
      }
      if (state === 'RUNNING') {
        if (!(await this.update(run, (d) => (d.desired === 'RUNNING' ? { ...d, phase: 'RUNNING' } : undefined)))) throw new Error(`${prefix}it was stopped while it started`);
        return;
      }
      if (state === undefined || state === 'FAILING' || TERMINAL_STATES.has(state)) {
        // The job's own failure, as Flink records it, is the operation's ErrorInfo (as AWS shows it).
        const failure = state === 'FAILING' || state === 'FAILED' ? await this.client.failure(run.jobId).catch(() => undefined) : undefined;
        await this.end(run, state === 'FAILING' ? 'cancel' : 'forget');
        if (failure) throw new Error(summarize(failure));
        throw new Error(`${prefix}Flink job ${run.jobId} ${state === undefined ? 'is no longer known to the cluster' : `ended ${state}`} before it ran`);
      }
      if (this.now() >= until) {
        await this.end(run, 'cancel');
        throw new Error(`${prefix}Flink job ${run.jobId} was still ${state} after ${FLINK_START_TIMEOUT_MS} ms; it was cancelled`);
      }
      await sleep(FLINK_POLL_MS);
    }
  }

  async stop(app: RunnableApplication, options: { snapshot?: string; force?: boolean }): Promise<SnapshotRef | undefined> {
    const key = flinkRunKey(app.doc);
    const entry = await this.meta.get<FlinkRunDoc>(key);
    if (!entry) return undefined;
    // Asked to stop: the watch (watch.ts) no longer counts the job's end as a failure.
    const run: FlinkRunDoc = { ...entry.value, desired: 'STOPPED' };
    await this.update(run, (d) => ({ ...d, desired: 'STOPPED' }));
    const what = `Application ${app.doc.name}'s Flink job ${run.jobId}`;
    if (options.force || !options.snapshot || run.phase !== 'RUNNING') {
      await this.end(run, 'cancel');
      return undefined;
    }
    let location: string;
    try {
      location = await this.awaitSavepoint(run.jobId, await this.client.stopWithSavepoint(run.jobId, this.targetDirectory(app.doc)));
    } catch (err) {
      const cancelled = await this.end(run, 'cancel').then(
        () => 'it was cancelled without a snapshot',
        (cancel) => `cancelling it failed too (${describe(cancel)})`,
      );
      throw new Error(`${what} did not stop with a savepoint: ${describe(err)}; ${cancelled}`);
    }
    await this.end(run, 'forget');
    return { name: options.snapshot, state: JSON.stringify({ flinkSavepoint: location }) };
  }

  async snapshot(app: RunnableApplication, name: string): Promise<SnapshotRef> {
    const run = (await this.meta.get<FlinkRunDoc>(flinkRunKey(app.doc)))?.value;
    if (!run || run.phase !== 'RUNNING' || run.desired !== 'RUNNING') throw new Error(`Application ${app.doc.name} has no running job to snapshot.`);
    const location = await this.awaitSavepoint(run.jobId, await this.client.triggerSavepoint(run.jobId, this.targetDirectory(app.doc)));
    return { name, state: JSON.stringify({ flinkSavepoint: location }) };
  }

  /** A savepoint's files are the cluster's: deleting the snapshot forgets it and leaves them (README). */
  async dropSnapshot(): Promise<void> {}

  async status(app: RunnableApplication): Promise<RunState> {
    const run = (await this.meta.get<FlinkRunDoc>(flinkRunKey(app.doc)))?.value;
    return run && run.desired === 'RUNNING' ? { state: 'RUNNING' } : { state: 'STOPPED' };
  }

  /**
   * Ends a run: `cancel` cancels the job and waits until Flink says it ended; `forget` only cleans up.
   * Either way the uploaded JAR is deleted and the run document removed (when it is still this run's),
   * even if the cluster cannot be reached; then the error says so.
   */
  async end(run: FlinkRunDoc, how: 'cancel' | 'forget'): Promise<void> {
    try {
      if (how === 'cancel') {
        const state = await this.client.jobState(run.jobId);
        if (state !== undefined && !TERMINAL_STATES.has(state)) {
          await this.client.cancel(run.jobId);
          const until = this.now() + FLINK_SAVEPOINT_TIMEOUT_MS;
          for (;;) {
            const now = await this.client.jobState(run.jobId);
            if (now === undefined || TERMINAL_STATES.has(now)) break;
            if (this.now() >= until) throw new Error(`Flink job ${run.jobId} was still ${now} ${FLINK_SAVEPOINT_TIMEOUT_MS} ms after it was cancelled`);
            await sleep(FLINK_POLL_MS);
          }
        }
      }
    } finally {
      if (run.jarId) await this.client.deleteJar(run.jarId).catch(() => undefined);
      const key = flinkRunKey(run.app);
      const current = await this.meta.get<FlinkRunDoc>(key);
      if (current && current.value.jobId === run.jobId) await this.meta.delete(key, current.revision);
    }
  }

  /** Compare-and-set of this run's document; false when it is gone, another run's, or `change` declines (returns undefined). */
  async update(run: FlinkRunDoc, change: (doc: FlinkRunDoc) => FlinkRunDoc | undefined): Promise<boolean> {
    const key = flinkRunKey(run.app);
    for (;;) {
      const current = await this.meta.get<FlinkRunDoc>(key);
      if (!current || current.value.jobId !== run.jobId) return false;
      const next = change(structuredClone(current.value));
      if (!next) return false;
      if ((await this.meta.put(key, next, current.revision)) !== undefined) return true;
    }
  }

  private targetDirectory(app: ApplicationDoc): string | undefined {
    return this.savepointDir ? `${this.savepointDir.replace(/\/+$/, '')}/${app.account}/${app.region}/${app.name}` : undefined;
  }

  private async awaitSavepoint(jobId: string, triggerId: string): Promise<string> {
    const until = this.now() + FLINK_SAVEPOINT_TIMEOUT_MS;
    for (;;) {
      const result = await this.client.savepoint(jobId, triggerId);
      if (result.status === 'COMPLETED') return result.location;
      if (result.status === 'FAILED') throw new Error(result.failure);
      if (this.now() >= until) throw new Error(`the savepoint was not complete after ${FLINK_SAVEPOINT_TIMEOUT_MS} ms`);
      await sleep(FLINK_POLL_MS);
    }
  }
}
