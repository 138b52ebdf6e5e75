import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';

/**
 * `jq -c --unbuffered PROGRAM` for machines without a jq binary: jq-web (jq compiled to
 * WebAssembly) in a child process of its own, one JSON text per line in, one compact line out. It
 * runs apart from the server for the reasons the binary does: a query that loops blocks this
 * process, not the server, and can be ended. Lines jq gives no output for print nothing, as jq does.
 */

interface JqWeb {
  raw(input: string, program: string, flags?: string[]): string;
}

const program = process.argv[2] ?? '.';
const jq = await (createRequire(import.meta.url)('jq-web') as Promise<JqWeb>);
for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
  let output = '';
  try {
    output = jq.raw(line, program, ['-c']).trim();
  } catch {
    output = '';
  }
  if (output && !process.stdout.write(`${output}\n`)) await new Promise((resolve) => process.stdout.once('drain', resolve));
}
