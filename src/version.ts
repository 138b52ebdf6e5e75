import { readFileSync } from 'node:fs';

/**
 * The version in Millrace's package.json, found by walking up from this module, so that it is
 * found from the checkout's `dist/src/` and from an installed package alike.
 */
function readVersion(): string {
  let dir = new URL('.', import.meta.url);
  for (let depth = 0; depth < 5; depth++) {
    try {
      const pkg = JSON.parse(readFileSync(new URL('package.json', dir), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'millrace' && pkg.version) return pkg.version;
    } catch {
      // no package.json at this level
    }
    dir = new URL('..', dir);
  }
  return '0.0.0';
}

export const VERSION = readVersion();
