import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { launcherEnvironment } from './launcher.js';
import type { TargetKind } from './target-child.js';

const CHILD = fileURLToPath(new URL('./target-child.js', import.meta.url));
const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 30_000;

/** A server under test running in a child process. */
export class Target {
  private constructor(
    readonly kind: TargetKind,
    readonly endpoint: string,
    private readonly child: ChildProcess,
  ) {}

  /**
   * `script`: the target-child.js of another build (bench/ab.ts compares two builds of Millrace);
   * by default this build's.
   */
  static start(kind: TargetKind, execArgv: string[] = [], script = CHILD): Promise<Target> {
    // Millrace and its floor get the environment its launcher (bin/millrace) would give it;
    // kinesalite runs as `node` runs it.
    const env = kind === 'kinesalite' ? process.env : launcherEnvironment();
    const child = fork(script, [kind], { execArgv, env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`${kind} did not start within ${READY_TIMEOUT_MS} ms`));
      }, READY_TIMEOUT_MS);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${kind} exited with ${code} before it was ready`));
      });
      child.once('message', (message: { type: string; endpoint: string }) => {
        clearTimeout(timer);
        child.removeAllListeners('exit');
        resolve(new Target(kind, message.endpoint, child));
      });
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Resident set size of the server process, bytes (and the rest of its process.memoryUsage()). */
  memory(): Promise<NodeJS.MemoryUsage & { status: string }> {
    return new Promise((resolve) => {
      const onMessage = (message: { type: string; usage: NodeJS.MemoryUsage; status: string }) => {
        if (message.type !== 'rss') return;
        this.child.off('message', onMessage);
        resolve({ ...message.usage, status: message.status });
      };
      this.child.on('message', onMessage);
      this.child.send({ type: 'rss' });
    });
  }

  /** CPU time the server process has used so far, microseconds (user + system). */
  cpu(): Promise<number> {
    return new Promise((resolve) => {
      const onMessage = (message: { type: string; usage: NodeJS.CpuUsage }) => {
        if (message.type !== 'cpu') return;
        this.child.off('message', onMessage);
        resolve(message.usage.user + message.usage.system);
      };
      this.child.on('message', onMessage);
      this.child.send({ type: 'cpu' });
    });
  }

  stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      this.child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      this.child.send({ type: 'stop' });
    });
  }
}
