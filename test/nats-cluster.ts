import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
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
    node.process = spawn('nats-server', ['-c', join(this.dir, `${node.name}.conf`)], { stdio: 'ignore' });
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

  /** The server that leads a JetStream stream. */
  async leaderOf(stream: string): Promise<string> {
    const nc = await connect({ servers: this.url.replace('nats://', '').split(','), timeout: 2000 });
    try {
      const jsm = await jetstreamManager(nc, { timeout: 2000 });
      const info = await jsm.streams.info(stream);
      return info.cluster?.leader ?? '';
    } finally {
      await nc.close();
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
