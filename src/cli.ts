#!/usr/bin/env node
import { banner } from './banner.js';
import { ConfigError, helpText, parseConfig } from './config.js';
import { createLogger } from './log.js';
import { VERSION } from './version.js';

/** How often a server started through npm checks that the process that started it is still there. */
const PARENT_CHECK_MS = 250;

/** `millrace`: start the endpoint; stop cleanly on SIGINT/SIGTERM. */
async function main(): Promise<void> {
  // Read first: npm may be gone (and this process re-parented) before the server is up.
  const parent = process.ppid;
  let config;
  try {
    config = parseConfig(process.argv.slice(2), process.env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`millrace: ${err.message}\nSee millrace --help.\n`);
    process.exit(2);
  }
  if (config.help) {
    process.stdout.write(helpText());
    return;
  }
  if (config.version) {
    process.stdout.write(`millrace ${VERSION}\n`);
    return;
  }
  const log = createLogger(config.logLevel, config.logFormat);
  // Loaded after the flags are read, so that --help, --version and mistakes answer at once.
  const { startMillrace } = await import('./server.js');
  // The signals are handled from before the server starts: a stop asked for while it starts
  // waits for the start, then closes what it opened.
  const starting = startMillrace(config, log);
  let stopping = false;
  const stop = async (reason: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ reason }, 'stopping');
    const server = await starting.catch(() => undefined);
    await server?.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  if (process.env.npm_command) stopWithParent(parent, () => void stop('the process that started it exited'));
  const server = await starting;
  if (stopping) return;
  process.stdout.write(banner(config, server));
  log.info({ endpoint: server.endpoint, version: VERSION }, 'listening');
}

/**
 * npm (`npm start`, `npx millrace`) runs a command through `sh -c`, and on SIGTERM or SIGINT it
 * signals that shell, not the server under it: the shell dies and the server would live on,
 * holding the port. So a server started through npm stops when the process that started it is
 * gone (it is then re-parented), and `kill <the PID the shell printed>` stops it whichever way it
 * was started. Outside npm, a server outlives its parent, as servers do (`millrace &` in a script).
 * `parent` is the parent at the process's start: npm killed during the start leaves no later
 * moment at which the parent could be read.
 */
function stopWithParent(parent: number, stop: () => void): void {
  if (process.ppid !== parent) return stop();
  const timer = setInterval(() => {
    if (process.ppid !== parent) {
      clearInterval(timer);
      stop();
    }
  }, PARENT_CHECK_MS);
  timer.unref();
}

main().catch((err) => {
  process.stderr.write(`millrace: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
