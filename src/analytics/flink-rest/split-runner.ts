import type { ApplicationRunner, RestoreRequest, RunState, RunnableApplication, SnapshotRef } from '../domain/runner.js';
import { FlinkRestRunner, savepointOf } from './runner.js';

/**
 * With `--flink-rest`: JAR applications go to the Flink cluster (runner.ts), everything else to
 * Millrace's own runner (Flink SQL). A stop or snapshot goes to whichever runner holds the
 * application's run; a snapshot's state says whose it is.
 */
export class SplitRunner implements ApplicationRunner {
  constructor(
    readonly own: ApplicationRunner,
    readonly flink: FlinkRestRunner,
  ) {}

  async start(app: RunnableApplication, restore: RestoreRequest): Promise<void> {
    // The code is read once (a JAR may be large): both runners get what was read.
    const reading = app.code();
    const once: RunnableApplication = { doc: app.doc, code: () => reading };
    const code = await reading.catch(() => undefined);
    return code?.kind === 'jar' ? this.flink.start(once, restore) : this.own.start(once, restore);
  }

  async stop(app: RunnableApplication, options: { snapshot?: string; force?: boolean }): Promise<SnapshotRef | undefined> {
    return (await this.flink.has(app)) ? this.flink.stop(app, options) : this.own.stop(app, options);
  }

  async snapshot(app: RunnableApplication, name: string): Promise<SnapshotRef> {
    return (await this.flink.has(app)) ? this.flink.snapshot(app, name) : this.own.snapshot(app, name);
  }

  async dropSnapshot(app: RunnableApplication, ref: SnapshotRef): Promise<void> {
    return savepointOf(ref) !== undefined ? this.flink.dropSnapshot() : this.own.dropSnapshot(app, ref);
  }

  async status(app: RunnableApplication): Promise<RunState> {
    return (await this.flink.has(app)) ? this.flink.status(app) : this.own.status(app);
  }
}
