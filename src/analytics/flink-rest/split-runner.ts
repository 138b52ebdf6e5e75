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
    const code = await app.code().catch(() => undefined);
    return code?.kind === 'jar' ? this.flink.start(app, restore) : this.own.start(app, restore);
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
