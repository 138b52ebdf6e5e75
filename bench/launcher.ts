import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { delimiter, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The `millrace` command users run (package.json "bin"). */
export const LAUNCHER = fileURLToPath(new URL('../../bin/millrace', import.meta.url));
/** What the launcher sources before it starts Node. */
const LAUNCH_ENVIRONMENT = fileURLToPath(new URL('../../bin/environment.sh', import.meta.url));

/**
 * The environment the launcher gives the server (glibc malloc tuning, NODE_OPTIONS), from this
 * process's environment, with this Node first on the PATH. Benchmarks that host Millrace in a
 * harness process of their own start it with this, so that they measure the server as the command
 * runs it. The script itself is run, so that nothing here restates what it decides.
 */
export function launcherEnvironment(): NodeJS.ProcessEnv {
  const env = { ...process.env, PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}` };
  const printEnvironment = 'process.stdout.write(JSON.stringify(process.env))';
  const printed = execFileSync('/bin/sh', ['-c', '. "$1" && exec "$2" -e "$3"', 'sh', LAUNCH_ENVIRONMENT, process.execPath, printEnvironment], { env, encoding: 'utf8' });
  return JSON.parse(printed) as NodeJS.ProcessEnv;
}

/** Starts a process and waits until `port` answers HTTP. */
export async function startProcess(command: string, args: string[], port: number, env: NodeJS.ProcessEnv = process.env): Promise<ChildProcess> {
  const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'inherit'], env });
  for (let i = 0; ; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const req = http.get({ host: '127.0.0.1', port, path: '/' }, (res) => {
        res.resume();
        resolve(true);
      });
      req.on('error', () => resolve(false));
    });
    if (up) return child;
    if (i > 200 || child.exitCode !== null) throw new Error(`${command} did not start`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The process's peak resident set (Linux VmHWM), in MB. */
export function peakRss(child: ChildProcess): number | undefined {
  try {
    const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? undefined : Number(kb) / 1024;
  } catch {
    return undefined;
  }
}
