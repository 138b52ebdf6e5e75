import net from 'node:net';
import http from 'node:http';
import http2 from 'node:http2';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';

/**
 * One TCP port for every way clients speak to Kinesis (KINESIS-SPEC §1.1, §9 item 1):
 * HTTP/1.1, cleartext HTTP/2 with prior knowledge (the JS SDK v3 and Java SDK v2 defaults), and —
 * when a certificate is configured — TLS with ALPN h2 / http/1.1. The first bytes of a connection
 * decide: the 24-byte HTTP/2 preface goes to the h2 server, a TLS handshake record to the TLS
 * server, anything else to the HTTP/1.1 server. Nothing here knows about Kinesis.
 */
export type RequestHandler = (
  req: http.IncomingMessage | http2.Http2ServerRequest,
  res: http.ServerResponse | http2.Http2ServerResponse,
) => void;

export interface ListenOptions {
  host: string;
  port: number;
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** How long a connection may take to send its first bytes or a request's headers. */
  headersTimeoutMs?: number;
  /** Told of connections as HTTP/1.1 or HTTP/2 takes them and as they close (metrics/connections.ts). */
  /** HTTP/1.1 `Upgrade` requests (WebSockets: video/signaling/relay.ts); without it they are refused. */
  upgrade?: (req: http.IncomingMessage, socket: Duplex, head: Buffer) => void;
  connections?: { opened(protocol: 'h1' | 'h2c' | 'tls-h1' | 'tls-h2'): void; closed(protocol: 'h1' | 'h2c' | 'tls-h1' | 'tls-h2'): void };
}

export interface Listener {
  readonly port: number;
  readonly host: string;
  /**
   * Stops accepting connections and resolves once the requests in flight have been answered
   * (HTTP/1.1 responses say `Connection: close`, HTTP/2 sessions get a GOAWAY) and idle
   * connections closed; `drained` runs right after new work was refused (streaming responses end
   * there). Connections still open after `drainMs` are cut, and counted in the result.
   */
  close(options?: { drainMs?: number; drained?: () => void }): Promise<{ cut: number }>;
}

/**
 * How long a shutdown waits for requests in flight, by default. A PutRecords of 5 MiB takes well
 * under a second on loopback; a client that has not finished its request by then is cut.
 */
export const SHUTDOWN_DRAIN_MS = 5_000;

const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
const TLS_HANDSHAKE_RECORD = 0x16;
/** Generous bound on HTTP/2 streams per session; SDKs open one at a time. */
const MAX_CONCURRENT_STREAMS = 1000;
const DEFAULT_HEADERS_TIMEOUT_MS = 60_000;
/** Idle connections are closed after this long, over HTTP/1.1 and HTTP/2 alike. */
const KEEP_ALIVE_TIMEOUT_MS = 65_000;
/** Node's own period for checking headersTimeout; a small configured timeout needs a finer one. */
const MAX_CONNECTIONS_CHECK_MS = 30_000;

const ANSWERING = Symbol('answering');
type AnsweringSocket = net.Socket & { [ANSWERING]?: http.ServerResponse };

/**
 * The connection of a response in flight closes once it is sent: `Connection: close` makes Node
 * close it after a response not yet started; one already streaming (an event stream) closes its
 * connection when it ends.
 */
function closeAfter(res: http.ServerResponse): void {
  if (!res.headersSent) return void res.setHeader('Connection', 'close');
  const socket = res.socket;
  res.once('close', () => socket?.destroySoon());
}

export async function listen(options: ListenOptions, handler: RequestHandler): Promise<Listener> {
  const headersTimeout = options.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS;
  const connectionsCheckingInterval = Math.max(1, Math.min(MAX_CONNECTIONS_CHECK_MS, Math.ceil(headersTimeout / 4)));
  let closing = false;
  // Before the handler, each connection is told of the response it is answering (HTTP/1.1 answers
  // one request at a time), so that a shutdown can close the idle ones at once and the busy ones as
  // soon as their response is sent; and during a shutdown, the response says Connection: close
  // before the handler may send it. In the server's one listener: a second 'request' listener cost
  // every request a copy of the listener list (EventEmitter.emit).
  const h1 = http.createServer(
    { keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS, headersTimeout, requestTimeout: 0, connectionsCheckingInterval },
    (req: http.IncomingMessage, res: http.ServerResponse) => {
      (req.socket as AnsweringSocket)[ANSWERING] = res;
      if (closing) closeAfter(res);
      handler(req, res);
    },
  );
  // Node enforces headersTimeout from a checker it starts on 'listening'; this server never listens
  // itself (the front hands it sockets), so start the checker here or slow clients are never cut.
  h1.emit('listening');
  if (options.upgrade) h1.on('upgrade', options.upgrade);
  // HTTP/1.1 connections, each with the response it is answering (set above). Only a shutdown
  // listens for the end of a response: a listener per request showed up in profiles.
  const h1Sockets = new Set<net.Socket>();
  const { connections } = options;
  h1.prependListener('connection', (socket: net.Socket) => {
    h1Sockets.add(socket);
    socket.on('close', () => h1Sockets.delete(socket));
    if (connections) {
      const protocol = 'encrypted' in socket ? 'tls-h1' : 'h1';
      connections.opened(protocol);
      socket.once('close', () => connections.closed(protocol));
    }
  });
  const h2settings = { maxConcurrentStreams: MAX_CONCURRENT_STREAMS };
  const h2 = http2.createServer({ settings: h2settings }, handler);
  // TLS only decrypts; ALPN then hands the connection to the same HTTP/1.1 or HTTP/2 server as
  // cleartext, so their timeouts (headersTimeout, session limits) guard TLS clients too. Node's
  // secure HTTP/2 server would serve its HTTP/1.1 fallback without any headers timeout.
  const tls = options.tls
    ? createTlsServer({ cert: options.tls.cert, key: options.tls.key, ALPNProtocols: ['h2', 'http/1.1'], handshakeTimeout: headersTimeout })
    : undefined;
  tls?.on('secureConnection', (socket: TLSSocket) => {
    if (socket.alpnProtocol === 'h2') h2.emit('connection', socket);
    else h1.emit('connection', socket);
  });
  tls?.on('tlsClientError', () => {});
  h2.on('sessionError', () => {});

  const sockets = new Set<net.Socket>();
  /** Sockets whose first bytes have been read and that were given to the TLS, HTTP/2 or HTTP/1.1 server. */
  const handedOver = new WeakSet<net.Socket>();
  const sessions = new Set<http2.ServerHttp2Session>();
  for (const server of [h2]) {
    server.on('session', (session: http2.ServerHttp2Session) => {
      sessions.add(session);
      if (closing) session.close(); // its TLS handshake finished after the shutdown began
      // A connection that sends the preface and never a complete request is a slow client, as an
      // HTTP/1.1 one that never finishes its headers; an idle session is let go as HTTP/1.1's
      // keep-alive lets go (gracefully: close() lets open streams finish).
      const firstRequest = setTimeout(() => session.destroy(), headersTimeout);
      session.once('stream', () => clearTimeout(firstRequest));
      session.setTimeout(KEEP_ALIVE_TIMEOUT_MS, () => session.close());
      session.on('close', () => {
        clearTimeout(firstRequest);
        sessions.delete(session);
      });
      if (connections) {
        const protocol = session.encrypted ? 'tls-h2' : 'h2c';
        connections.opened(protocol);
        session.once('close', () => connections.closed(protocol));
      }
    });
  }

  const front = net.createServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.setTimeout(headersTimeout, () => socket.destroy());
    let head: Buffer = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      head = head.length ? Buffer.concat([head, chunk]) : chunk;
      const isTls = head[0] === TLS_HANDSHAKE_RECORD;
      const prefixLength = Math.min(head.length, H2_PREFACE.length);
      const mayBeH2 = head.subarray(0, prefixLength).equals(H2_PREFACE.subarray(0, prefixLength));
      if (!isTls && mayBeH2 && head.length < H2_PREFACE.length) return; // wait for the whole preface
      socket.off('data', onData);
      handedOver.add(socket);
      socket.pause();
      socket.setTimeout(0);
      socket.unshift(head);
      // The HTTP/2 and TLS servers read the bytes already buffered on the socket themselves and
      // must find them there; only the HTTP/1.1 parser needs the socket flowing again.
      if (isTls) {
        if (!tls) return void socket.destroy();
        tls.emit('connection', socket);
      } else if (mayBeH2) {
        h2.emit('connection', socket);
      } else {
        h1.emit('connection', socket);
        socket.resume();
      }
    };
    socket.on('data', onData);
  });

  await new Promise<void>((resolve, reject) => {
    front.once('error', reject);
    front.listen(options.port, options.host, () => {
      front.off('error', reject);
      resolve();
    });
  });
  const address = front.address() as AddressInfo;

  return {
    port: address.port,
    host: options.host,
    async close(options = {}) {
      closing = true;
      // Resolves when every connection the front accepted has closed (net.Server counts them).
      const closed = new Promise<void>((resolve) => front.close(() => resolve()));
      // GOAWAY naming the last stream processed: streams in flight finish, new ones go elsewhere.
      for (const session of sessions) session.close();
      for (const socket of h1Sockets) {
        const res = (socket as AnsweringSocket)[ANSWERING];
        if (!res || res.writableFinished) socket.destroy();
        else closeAfter(res);
      }
      // Connections still sniffing their first bytes carry no request yet.
      for (const socket of sockets) if (!handedOver.has(socket)) socket.destroy();
      options.drained?.();
      const drainMs = options.drainMs ?? SHUTDOWN_DRAIN_MS;
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, drainMs)));
      await Promise.race([closed, deadline]);
      clearTimeout(timer);
      let cut = 0;
      for (const socket of sockets) if (!socket.destroyed) cut++;
      for (const session of sessions) session.destroy();
      for (const socket of sockets) socket.destroy();
      h1.closeAllConnections();
      h1.close(() => {}); // stops the headers-timeout checker; the server itself never listened
      await closed;
      return { cut };
    },
  };
}
