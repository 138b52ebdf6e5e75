import { createHash } from 'node:crypto';
import { mkdirSync, realpathSync, unlinkSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';

/**
 * One server per data directory. Two processes writing one LMDB environment each keep their own
 * idea of every shard's tip and hand out the same sequence numbers twice, so acknowledged records
 * are lost. Before a store is opened, the server takes an exclusive lock on the whole directory
 * (the embedded store and the object files under it alike), which the kernel drops when the
 * holder dies: kill -9 never leaves a lock behind.
 *
 * Node has no flock(2). The lock is a listening Unix socket:
 * - on Linux, in the abstract namespace, named from the directory's real path: bind() is atomic,
 *   and the name is freed by the kernel with the holder's last descriptor;
 * - elsewhere, a socket file in the directory: a file whose connect() is refused belongs to a dead
 *   holder and is replaced.
 * Either way the holder answers a connection with its PID, so the refused server can name it.
 *
 * Limit: abstract names live in a network namespace, so two containers that share a directory
 * but not a network namespace do not see each other's abstract lock.
 */
export interface DataDirLock {
  /** The directory's real path. */
  readonly path: string;
  release(): Promise<void>;
}

export type LockMode = 'abstract' | 'file';

/** The socket file of the portable lock, inside the data directory. */
export const LOCK_SOCKET_FILE = '.millrace.lock';
/** sockaddr_un's sun_path is 108 bytes on Linux and 104 on macOS, one of them the terminating NUL. */
const MAX_SOCKET_PATH_BYTES = 103;
/** How long a refused server waits for the holder to say its PID. */
const HOLDER_ANSWER_MS = 2_000;
/**
 * Attempts when the holder goes away between our bind() and connect() (it released, or its file
 * was stale): each attempt binds again.
 */
const LOCK_ATTEMPTS = 5;

export class DataDirLockedError extends Error {
  constructor(
    readonly path: string,
    readonly holderPid: number | undefined,
  ) {
    super(
      `data directory ${path} is in use by another Millrace server` +
        (holderPid !== undefined ? ` (PID ${holderPid})` : ' (its PID did not answer)'),
    );
  }
}

export const defaultLockMode = (): LockMode => (process.platform === 'linux' ? 'abstract' : 'file');

/** Creates the directory if needed and locks it, or throws DataDirLockedError naming the holder. */
export async function lockDataDir(dir: string, mode: LockMode = defaultLockMode()): Promise<DataDirLock> {
  mkdirSync(dir, { recursive: true });
  const path = realpathSync(dir);
  const address =
    mode === 'abstract'
      ? `\0millrace-data-dir/${createHash('sha256').update(path).digest('hex')}`
      : join(path, LOCK_SOCKET_FILE);
  if (Buffer.byteLength(address) > MAX_SOCKET_PATH_BYTES) {
    throw new Error(`cannot lock data directory ${path}: its path is too long for a lock socket (${MAX_SOCKET_PATH_BYTES} bytes at most)`);
  }
  for (let attempt = 1; ; attempt++) {
    const server = net.createServer((socket) => {
      socket.on('error', () => {});
      socket.end(`${process.pid}\n`);
    });
    const bound = await new Promise<Error | undefined>((resolve) => {
      server.once('error', resolve);
      server.listen({ path: address, exclusive: true }, () => resolve(undefined));
    });
    if (!bound) {
      server.unref(); // the lock never keeps the process alive by itself
      server.on('error', () => {});
      return {
        path,
        release: () =>
          // Closing a listening Unix socket also removes its file (libuv), so nothing is left behind.
          new Promise<void>((resolve) => server.close(() => resolve())),
      };
    }
    if ((bound as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw bound;
    const holder = await askHolder(address);
    if (holder.alive) throw new DataDirLockedError(path, holder.pid);
    // Nobody listens: a file left by a holder that died (abstract names vanish with their holder,
    // so there the holder has just released). Take its place.
    if (mode === 'file') removeQuietly(address);
    if (attempt >= LOCK_ATTEMPTS) throw new DataDirLockedError(path, undefined);
  }
}

/** Connects to the lock's socket: alive with a PID, or not alive when nobody listens. */
function askHolder(address: string): Promise<{ alive: boolean; pid?: number }> {
  return new Promise((resolve) => {
    const socket = net.connect({ path: address });
    let answer = '';
    const timer = setTimeout(() => socket.destroy(), HOLDER_ANSWER_MS);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve(err.code === 'ECONNREFUSED' || err.code === 'ENOENT' ? { alive: false } : { alive: true });
    });
    socket.on('close', () => {
      clearTimeout(timer);
      const pid = Number.parseInt(answer, 10);
      resolve({ alive: true, pid: Number.isSafeInteger(pid) ? pid : undefined });
    });
  });
}

function removeQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // already gone
  }
}
