import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Target } from './targets.js';
import type { TargetKind } from './target-child.js';
import type { Budget, Metric } from './scenarios.js';

/** Shape of a V8 .cpuprofile, as far as self time needs it. */
interface CpuProfile {
  nodes: { id: number; hitCount?: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  startTime: number;
  endTime: number;
  samples: number[];
}

const TOP = 25;

/**
 * Runs each load against its own `node --cpu-prof` server child (Millrace, or `kind`) and prints
 * where it spent its time.
 */
export async function profile(
  seconds: number,
  scenarios: Record<string, (endpoint: string, budget: Budget) => Promise<Metric[]>>,
  kind: TargetKind = 'millrace',
): Promise<void> {
  for (const [name, scenario] of Object.entries(scenarios)) {
    const dir = mkdtempSync(join(tmpdir(), `${kind}-profile-${name}-`));
    const target = await Target.start(kind, ['--cpu-prof', `--cpu-prof-dir=${dir}`]);
    let metrics: Metric[];
    try {
      metrics = await scenario(target.endpoint, { seconds });
    } finally {
      await target.stop();
    }
    console.log(`\n== ${name}: ${metrics.map((m) => `${m.label.trim()} ${m.value.toFixed(1)} ${m.unit}`).join('; ')}`);
    const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
    if (!file) throw new Error(`no profile written in ${dir}`);
    console.log(`profile: ${join(dir, file)}`);
    console.log(summarize(JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile));
  }
}

/** Self time by function and by file, largest first. */
export function summarize(profile: CpuProfile): string {
  const total = profile.samples.length;
  const byFunction = new Map<string, number>();
  const byFile = new Map<string, number>();
  const hits = new Map<number, number>();
  for (const id of profile.samples) hits.set(id, (hits.get(id) ?? 0) + 1);
  for (const node of profile.nodes) {
    const count = hits.get(node.id) ?? 0;
    if (!count) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const file = url.replace(/^file:\/\/.*?\/(dist|node_modules)\//, '$1/') || '(native)';
    const key = `${functionName || '(anonymous)'} ${file}:${lineNumber + 1}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + count);
    byFile.set(file, (byFile.get(file) ?? 0) + count);
  }
  const top = (map: Map<string, number>) =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, TOP)
      .map(([key, count]) => `${((100 * count) / total).toFixed(1).padStart(5)}%  ${key}`)
      .join('\n');
  return `-- self time by function (${total} samples)\n${top(byFunction)}\n-- self time by file\n${top(byFile)}`;
}
