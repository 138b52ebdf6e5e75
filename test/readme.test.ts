import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { optionsTable, parseConfig } from '../src/config.js';
import { available, startTestServer, type TestServer } from './helpers.js';

/** The README as users read it: its options table is --help's, and its marked snippets run as printed. */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const README = join(ROOT, 'README.md');
const OPTIONS = /(<!-- options:begin -->\n)[\s\S]*?(<!-- options:end -->)/;
/** The endpoint the README's snippets name; the test's server listens on a free port instead. */
const DOCUMENTED_ENDPOINT = 'http://127.0.0.1:4567';
const exec = promisify(execFile);

/** The fenced block after each `<!-- readme-test: KIND -->` marker. */
function snippets(kind: string): string[] {
  const text = readFileSync(README, 'utf8');
  const found: string[] = [];
  const marker = new RegExp(`<!-- readme-test: ${kind} -->\\n\`\`\`\\w*\\n([\\s\\S]*?)\\n\`\`\`\\n`, 'g');
  for (const match of text.matchAll(marker)) found.push(match[1]);
  return found;
}

test('the options table is the one --help prints (UPDATE_README=1 rewrites it)', () => {
  const text = readFileSync(README, 'utf8');
  assert.match(text, OPTIONS, 'README lacks the options markers');
  const expected = text.replace(OPTIONS, `$1${optionsTable()}\n$2`);
  if (process.env.UPDATE_README === '1') writeFileSync(README, expected);
  else assert.equal(text, expected, 'README options table differs from SETTINGS: run UPDATE_README=1 node --test dist/test/readme.test.js');
});

test('the config file example reads as settings', () => {
  const [yaml] = snippets('config');
  assert.ok(yaml, 'README lacks the config example');
  const dir = mkdtempSync(join(tmpdir(), 'millrace-readme-config-'));
  try {
    writeFileSync(join(dir, 'millrace.yaml'), yaml);
    const config = parseConfig(['--config', join(dir, 'millrace.yaml')], {});
    assert.equal(config.logFormat, 'json');
    assert.deepEqual(config.streams.map((s) => s.name), ['orders', 'clicks']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

let server: TestServer;
/** One directory per snippet, inside the checkout so that `import '@aws-sdk/client-kinesis'` resolves as after `npm install`. */
let work: string;
before(async () => {
  work = mkdtempSync(join(ROOT, 'dist', 'readme-snippets-'));
  // The function the functions snippet shows with `cat`, as its comment says the file reads.
  const [functions] = snippets('functions');
  const module = /cat \.\/functions\/shout\.mjs\s+# (.*)/.exec(functions ?? '')?.[1];
  mkdirSync(join(work, 'functions'));
  if (module) writeFileSync(join(work, 'functions', 'shout.mjs'), module + '\n');
  server = await startTestServer({ memory: true, functionsDir: join(work, 'functions') });
});
after(async () => {
  await server?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** A shell of a fresh machine: no AWS settings or files of the developer's, the PATH kept. */
function freshEnvironment(): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('AWS_') && !key.startsWith('MILLRACE_') && !key.startsWith('npm_')));
  return { ...env, HOME: work, AWS_CONFIG_FILE: join(work, 'no-config'), AWS_SHARED_CREDENTIALS_FILE: join(work, 'no-credentials') };
}

const live = (snippet: string) => snippet.replaceAll(DOCUMENTED_ENDPOINT, server.endpoint);

test('the shell snippet runs with the AWS CLI and reads back what it wrote', async (t) => {
  const [shell] = snippets('shell');
  assert.ok(shell?.includes(DOCUMENTED_ENDPOINT), 'README lacks the shell snippet');
  if (!(await available('aws', ['--version']))) return t.skip('the AWS CLI is not installed');
  const { stdout } = await exec('bash', ['-euo', 'pipefail', '-c', live(shell)], { cwd: work, env: freshEnvironment() });
  assert.match(stdout, /hello$/);
});

test('the JavaScript snippet runs with node as try.mjs', async () => {
  const [js] = snippets('js');
  assert.ok(js?.includes(DOCUMENTED_ENDPOINT), 'README lacks the JS snippet');
  writeFileSync(join(work, 'try.mjs'), live(js));
  const { stdout } = await exec(process.execPath, ['try.mjs'], { cwd: work, env: freshEnvironment() });
  assert.equal(stdout, 'hello\n');
});

test('the boto3 snippet runs with python', async (t) => {
  const [python] = snippets('python');
  assert.ok(python?.includes(DOCUMENTED_ENDPOINT), 'README lacks the boto3 snippet');
  if (!(await available('python3', ['-c', 'import boto3']))) return t.skip('boto3 is not installed');
  writeFileSync(join(work, 'try.py'), live(python));
  const { stdout } = await exec('python3', ['try.py'], { cwd: work, env: freshEnvironment() });
  assert.equal(stdout, "b'hello'\n");
});

test('the S3 snippet runs with the AWS CLI and reads the object back', async (t) => {
  const [shell] = snippets('s3');
  assert.ok(shell?.includes(DOCUMENTED_ENDPOINT), 'README lacks the S3 snippet');
  if (!(await available('aws', ['--version']))) return t.skip('the AWS CLI is not installed');
  const { stdout } = await exec('bash', ['-euo', 'pipefail', '-c', live(shell)], { cwd: work, env: freshEnvironment() });
  assert.match(stdout, /\s17 2026\/q3\.txt\n/, 'aws s3 ls lists the object with its size');
  assert.match(stdout, /quarterly numbers$/);
});

test('the functions snippet invokes the module it shows through aws lambda invoke', async (t) => {
  const [shell] = snippets('functions');
  assert.ok(shell?.includes(DOCUMENTED_ENDPOINT), 'README lacks the functions snippet');
  if (!(await available('aws', ['--version']))) return t.skip('the AWS CLI is not installed');
  const { stdout } = await exec('bash', ['-euo', 'pipefail', '-c', live(shell)], { cwd: work, env: freshEnvironment() });
  assert.match(stdout, /"StatusCode": 200/);
  assert.match(stdout, /\{"shouted":"HELLO"\}$/);
});
