import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';

/** Why NATS tests cannot run here, or undefined when `nats-server` is installed. */
export function natsServerMissing(): string | undefined {
  const result = spawnSync('nats-server', ['--version'], { stdio: 'ignore' });
  return result.status === 0 ? undefined : 'nats-server is not installed (apt-get install nats-server)';
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface NatsNode {
  name: string;
  port: number;
  process?: ChildProcess;
}

/**
 * A JetStream cluster of nats-server processes on loopback ports, each with its own store
 * directory under one temp dir. max_payload is raised so that a 1 MiB record fits in a message.
 */
export class NatsCluster {
  readonly nodes: NatsNode[] = [];
  private constructor(private readonly dir: string) {}

  static async start(size: number): Promise<NatsCluster> {
    const cluster = new NatsCluster(mkdtempSync(join(tmpdir(), 'millrace-nats-')));
    const clusterPorts: number[] = [];
    for (let i = 0; i < size; i++) {
      cluster.nodes.push({ name: `n${i + 1}`, port: await freePort() });
      clusterPorts.push(await freePort());
    }
    cluster.nodes.forEach((node, i) => {
      const store = join(cluster.dir, node.name);
      mkdirSync(store, { recursive: true });
      const routes = clusterPorts.filter((_, j) => j !== i).map((p) => `nats-route://127.0.0.1:${p}`);
      const config = [
        `server_name: ${node.name}`,
        `listen: 127.0.0.1:${node.port}`,
        'max_payload: 8MB',
        `jetstream { store_dir: "${store}", max_memory_store: 64MB, max_file_store: 2GB }`,
        size > 1 ? `cluster { name: millrace-test, listen: 127.0.0.1:${clusterPorts[i]}, routes: [${routes.join(', ')}] }` : '',
      ].join('\n');
      writeFileSync(join(cluster.dir, `${node.name}.conf`), config);
    });
    try {
      for (const node of cluster.nodes) cluster.spawn(node);
      await cluster.ready();
    } catch (err) {
      await cluster.stop();
      throw err;
    }
    return cluster;
  }

  get url(): string {
    return 'nats://' + this.nodes.map((n) => `127.0.0.1:${n.port}`).join(',');
  }

  private spawn(node: NatsNode): void {
    node.process = spawn('nats-server', ['-c', join(this.dir, `${node.name}.conf`), '-l', this.logFile(node.name)], { stdio: 'ignore' });
  }

  private logFile(name: string): string {
    return join(this.dir, `${name}.log`);
  }

  /** The last lines each server logged: printed by a failing test, to tell elections from bugs. */
  logTail(lines = 40): string {
    return this.nodes
      .map((node) => {
        const file = this.logFile(node.name);
        const text = existsSync(file) ? readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n') : '(no log)';
        return `--- ${node.name} ---\n${text}`;
      })
      .join('\n');
  }

  private async manager<T>(use: (jsm: Awaited<ReturnType<typeof jetstreamManager>>) => Promise<T>): Promise<T> {
    const nc = await connect({ servers: this.url.replace('nats://', '').split(','), timeout: 2000 });
    try {
      return await use(await jetstreamManager(nc, { timeout: 2000 }));
    } finally {
      await nc.close();
    }
  }

  /** Waits until JetStream answers account requests (a meta leader is elected). */
  async ready(timeoutMs = 30_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      try {
        const nc = await connect({ servers: this.url.replace('nats://', '').split(','), timeout: 1000, maxReconnectAttempts: 0 });
        try {
          const jsm = await jetstreamManager(nc, { timeout: 1000 });
          await jsm.getAccountInfo();
          return;
        } finally {
          await nc.close();
        }
      } catch (err) {
        if (Date.now() > until) throw new Error(`NATS cluster not ready: ${(err as Error).message}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  /**
   * The server that leads a JetStream stream, once one is elected. Elections after a kill take a
   * few seconds (longer on a loaded machine), and meanwhile requests time out.
   */
  async leaderOf(stream: string, timeoutMs = 60_000): Promise<string> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const leader = await this.manager(async (jsm) => (await jsm.streams.info(stream)).cluster?.leader).catch(() => undefined);
      if (leader) return leader;
      if (Date.now() > until) throw new Error(`no leader for ${stream} within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /**
   * Waits until every stream (the metadata bucket as well as the logs) has a leader and all its
   * replicas are current: after a restart, before the next failure is injected.
   */
  async waitCurrent(timeoutMs = 60_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    const replicas = this.nodes.length - 1;
    for (;;) {
      const lagging = await this.manager(async (jsm) => {
        const behind: string[] = [];
        for await (const info of jsm.streams.list()) {
          const peers = info.cluster?.replicas ?? [];
          if (!info.cluster?.leader || peers.length !== replicas || !peers.every((peer) => peer.current)) behind.push(info.config.name);
        }
        return behind;
      }).catch((err: Error) => [err.message]);
      if (lagging.length === 0) return;
      if (Date.now() > until) throw new Error(`streams not current within ${timeoutMs} ms: ${lagging.join(', ')}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  node(name: string): NatsNode {
    return this.nodes.find((n) => n.name === name)!;
  }

  /** kill -9 one server. */
  async kill(name: string): Promise<void> {
    const node = this.node(name);
    const child = node.process;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    node.process = undefined;
  }

  restart(name: string): void {
    this.spawn(this.node(name));
  }

  async stop(): Promise<void> {
    for (const node of this.nodes) await this.kill(node.name);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
