import { execFileSync } from 'node:child_process';
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
