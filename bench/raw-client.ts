import net from 'node:net';
import type { Prepared, Reply } from './wire.js';

/**
 * A minimal HTTP/1.1 keep-alive client on bare sockets: one connection per producer, one request in
 * flight per connection, the request head and body written in a single write, the answer framed by
 * Content-Length. node:http's client costs more CPU per request than the servers under test
 * (measured: it tops out near 16k req/s on one core against a trivial server), so with it the
 * PutRecord scenario would measure the load generator.
 */
export class RawClient {
  private readonly idle: Connection[] = [];
  private readonly all: Connection[] = [];
  private readonly waiting: ((connection: Connection) => void)[] = [];
  private readonly heads = new WeakMap<Prepared, Buffer>();

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly maxSockets: number,
  ) {}

  async send(request: Prepared): Promise<Reply> {
    const connection = await this.acquire();
    try {
      return await connection.exchange(this.encode(request));
    } finally {
      this.release(connection);
    }
  }

  close(): void {
    for (const connection of this.all) connection.socket.destroy();
  }

  private encode(request: Prepared): Buffer {
    let head = this.heads.get(request);
    if (!head) {
      const lines = [`POST / HTTP/1.1`, `Host: ${this.host}:${this.port}`, ...Object.entries(request.headers).map(([k, v]) => `${k}: ${v}`)];
      head = Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), request.body]);
      this.heads.set(request, head);
    }
    return head;
  }

  private acquire(): Promise<Connection> {
    const connection = this.idle.pop();
    if (connection) return Promise.resolve(connection);
    if (this.all.length < this.maxSockets) {
      const fresh = new Connection(net.connect({ host: this.host, port: this.port, noDelay: true }));
      this.all.push(fresh);
      return Promise.resolve(fresh);
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(connection: Connection): void {
    if (connection.broken) {
      this.all.splice(this.all.indexOf(connection), 1);
      connection.socket.destroy();
      return;
    }
    const waiter = this.waiting.shift();
    if (waiter) waiter(connection);
    else this.idle.push(connection);
  }
}

const HEADER_END = Buffer.from('\r\n\r\n');

class Connection {
  broken = false;
  private buffered: Buffer[] = [];
  private size = 0;
  private pending?: { resolve: (reply: Reply) => void; reject: (err: Error) => void };
  private status = 0;
  private bodyStart = -1;
  private bodyLength = -1;
  /** The answer says `Connection: close` (Werkzeug's, moto_server's): the next request needs a new connection. */
  private closing = false;

  constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.fail(err));
    socket.on('close', () => this.fail(new Error('connection closed by server')));
  }

  exchange(bytes: Buffer): Promise<Reply> {
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.socket.write(bytes);
    });
  }

  private fail(err: Error): void {
    this.broken = true;
    const pending = this.pending;
    this.pending = undefined;
    pending?.reject(err);
  }

  private onData(chunk: Buffer): void {
    this.buffered.push(chunk);
    this.size += chunk.length;
    if (this.bodyStart < 0) {
      const data = this.buffered.length === 1 ? chunk : Buffer.concat(this.buffered);
      this.buffered = [data];
      const end = data.indexOf(HEADER_END);
      if (end < 0) return;
      const head = data.toString('latin1', 0, end);
      this.status = Number(head.slice(9, 12));
      const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
      if (!length) return this.fail(new Error(`answer without Content-Length: ${head.slice(0, 200)}`));
      this.bodyStart = end + HEADER_END.length;
      this.bodyLength = Number(length[1]);
      this.closing = /\r\nconnection:\s*close/i.test(head) || head.startsWith('HTTP/1.0');
    }
    if (this.size < this.bodyStart + this.bodyLength) return;
    const data = this.buffered.length === 1 ? this.buffered[0]! : Buffer.concat(this.buffered);
    const body = data.subarray(this.bodyStart, this.bodyStart + this.bodyLength);
    if (data.length > this.bodyStart + this.bodyLength) return this.fail(new Error('unexpected bytes after the answer'));
    const pending = this.pending;
    this.pending = undefined;
    this.buffered = [];
    this.size = 0;
    this.bodyStart = -1;
    this.bodyLength = -1;
    // Released as broken, so the pool opens a fresh connection instead of writing into this one.
    if (this.closing) this.broken = true;
    pending?.resolve({ status: this.status, body });
  }
}
