import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The `millrace` command users run (package.json "bin"). */
export const LAUNCHER = fileURLToPath(new URL('../../bin/millrace', import.meta.url));

/**
 * The environment the launcher gives the server: its `: "${NAME:=value}"` defaults (glibc malloc
 * tuning, NODE_OPTIONS) under whatever the environment already sets, and this Node first on the
 * PATH. Benchmarks that host Millrace in a harness process of their own start it with this, so
 * that they measure the server as the command runs it.
 */
export function launcherEnvironment(): NodeJS.ProcessEnv {
  const defaults = Object.fromEntries([...readFileSync(LAUNCHER, 'utf8').matchAll(/^: "\$\{(\w+):=([^}]*)\}"$/gm)].map((m) => [m[1], m[2]]));
  if (Object.keys(defaults).length === 0) throw new Error(`no environment defaults found in ${LAUNCHER}`);
  return { ...defaults, ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}` };
}
