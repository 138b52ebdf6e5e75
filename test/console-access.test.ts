import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { CreateStreamCommand } from '@aws-sdk/client-kinesis';
import { startTestServer, type TestServer } from './helpers.js';
import { consoleMode, isLoopbackHost } from '../src/console/access.js';

/**
 * Who may use the console (issue 18 §3): on by default on loopback only, a token otherwise,
 * read-only hiding every write. One server with a token and --console-read-only.
 */

const TOKEN = 'correct horse battery staple';
const CHROMIUM = process.env.MILLRACE_CHROMIUM ?? '/usr/bin/chromium';
let server: TestServer;

before(async () => {
  server = await startTestServer({ consoleToken: TOKEN, consoleReadOnly: true });
  await server.client({ http1: true }).send(new CreateStreamCommand({ StreamName: 'guarded', ShardCount: 2 }));
});
after(() => server.stop());

const request = async (path: string, init: RequestInit = {}) => {
  const response = await fetch(`${server.endpoint}${path}`, { redirect: 'manual', ...init });
  return { status: response.status, headers: response.headers, text: await response.text() };
};

describe('when the console is served', () => {
  test('loopback addresses', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', '::ffff:127.0.0.1']) assert.equal(isLoopbackHost(host), true, host);
    for (const host of ['0.0.0.0', '::', '10.0.0.5', '192.168.1.1', 'example.com', '::ffff:10.0.0.1']) assert.equal(isLoopbackHost(host), false, host);
  });

  test('on by default on loopback, off elsewhere without a token, off with --no-console', () => {
    const base = { consoleToken: undefined, noConsole: false, consoleReadOnly: false };
    assert.deepEqual(consoleMode({ ...base, host: '127.0.0.1' }), { served: true, token: undefined, readOnly: false });
    assert.deepEqual(consoleMode({ ...base, host: '0.0.0.0' }), {
      served: false,
      reason: 'the console is off: Millrace does not listen on loopback alone; start it with --console-token to serve the console there',
    });
    assert.deepEqual(consoleMode({ ...base, host: '0.0.0.0', consoleToken: 's', consoleReadOnly: true }), { served: true, token: 's', readOnly: true });
    assert.deepEqual(consoleMode({ ...base, host: '127.0.0.1', noConsole: true }), { served: false, reason: 'the console is off (--no-console)' });
  });
});

describe('a console with a token', () => {
  test('the API needs the token', async () => {
    const without = await request('/_millrace/api/v1/streams');
    assert.equal(without.status, 401);
    assert.deepEqual(JSON.parse(without.text), {
      error: 'Unauthorized',
      message: 'the console needs its token (--console-token): send Authorization: Bearer TOKEN, or open /_millrace/?token=TOKEN',
    });
    assert.equal((await request('/_millrace/api/v1/streams', { headers: { Authorization: 'Bearer wrong' } })).status, 401);
    const bearer = await request('/_millrace/api/v1/streams', { headers: { Authorization: `Bearer ${TOKEN}` } });
    assert.equal(bearer.status, 200);
    assert.equal(JSON.parse(bearer.text).streams[0].name, 'guarded');
  });

  test('the page asks for the token, then keeps it in a cookie', async () => {
    const bare = await request('/_millrace/');
    assert.equal(bare.status, 401);
    assert.match(bare.text, /<input name="token" type="password"/);
    assert.equal((await request('/_millrace/?token=wrong')).status, 401);
    const given = await request(`/_millrace/?token=${encodeURIComponent(TOKEN)}`);
    assert.equal(given.status, 303);
    assert.equal(given.headers.get('location'), '/_millrace/');
    const cookie = given.headers.get('set-cookie')!;
    assert.match(cookie, /^millrace_console=.*; Path=\/_millrace\/; HttpOnly; SameSite=Strict$/);
    const page = await request('/_millrace/', { headers: { Cookie: cookie.split(';')[0] } });
    assert.equal(page.status, 200);
    // The modules live under the build's name (ui/~BUILD/, console/build.mjs).
    assert.match(page.text, /<script type="module" src="ui\/~[\w-]+\/js\/main.js">/);
    assert.equal((await request('/_millrace/api/v1/server', { headers: { Cookie: cookie.split(';')[0] } })).status, 200);
  });

  test('health stays open', async () => {
    assert.equal((await request('/_millrace/health')).status, 200);
  });

  test('read-only refuses every write', async () => {
    const headers = { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json', 'X-Millrace-Console': '1' };
    for (const [path, body] of [
      ['streams/guarded/records', { partitionKey: 'a', text: 'x' }],
      ['streams/guarded/split', { shardId: 'shardId-000000000000' }],
      ['streams/guarded/merge', { shardId: 'shardId-000000000000', adjacentShardId: 'shardId-000000000001' }],
      ['streams/guarded/scale', { targetShardCount: 4 }],
    ] as const) {
      const answer = await request(`/_millrace/api/v1/${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
      assert.deepEqual({ status: answer.status, body: JSON.parse(answer.text) }, { status: 403, body: { error: 'ReadOnly', message: 'the console is read-only (--console-read-only)' } }, path);
    }
    const info = JSON.parse((await request('/_millrace/api/v1/server', { headers: { Authorization: `Bearer ${TOKEN}` } })).text);
    assert.equal(info.readOnly, true);
    assert.equal(info.tokenRequired, true);
    assert.equal(info.settings.find((s: any) => s.flag === '--console-token').value, '(set)');
  });

  test('read-only hides the writes in the browser', { skip: existsSync(CHROMIUM) ? false : `no ${CHROMIUM}` }, async () => {
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (err) => errors.push(err.message));
      await page.goto(`${server.endpoint}/_millrace/?token=${encodeURIComponent(TOKEN)}`);
      await page.goto(`${server.endpoint}/_millrace/#/streams/guarded/shards`);
      await page.locator('tr[data-shard="shardId-000000000001"]').waitFor();
      assert.equal(await page.getByRole('button', { name: /split|merge|scale/i }).count(), 0);
      assert.equal(await page.getByRole('link', { name: 'Produce' }).count(), 0);
      assert.equal(await page.getByText('read-only', { exact: true }).count(), 1);
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
    }
  });
});
