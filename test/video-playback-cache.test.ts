import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FragmentCache, MAX_CACHED_FRAGMENT_BYTES } from '../src/video/playback/fragment-cache.js';
import type { Frame } from '../src/video/playback/matroska.js';

/**
 * The parsed-fragment cache of the playback URLs (fragment-cache.ts): bounded by the memory its
 * frames hold, least recently used out first, one load for concurrent asks, a stream's entries
 * dropped by prefix. Whether a fragment may be served at all is decided before it (the HTTP tests
 * in video-playback-errors.test.ts check a deleted stream).
 */

/** Frames over one buffer of `bytes` (each payload a slice of it, as store reads give them). */
function framesOf(bytes: number, count = 4): Frame[] {
  const buffer = Buffer.alloc(bytes);
  const step = Math.floor(bytes / count);
  return Array.from({ length: count }, (_, k) => ({ track: 1, relativeMs: k * 40, keyframe: k === 0, data: buffer.subarray(k * step, (k + 1) * step) }));
}

test('the default bound is a named 64 MiB', () => {
  assert.equal(new FragmentCache().maxBytes, MAX_CACHED_FRAGMENT_BYTES);
  assert.equal(MAX_CACHED_FRAGMENT_BYTES, 64 * 1024 * 1024);
});

test('held bytes stay within the bound; the least recently used entry goes first', async () => {
  const cache = new FragmentCache(800 * 1024);
  let loads = 0;
  const load = () => async () => {
    loads++;
    return framesOf(100 * 1024);
  };
  for (let n = 0; n < 8; n++) await cache.frames(`s#${n}`, load());
  assert.equal(cache.size, 8);
  assert.ok(cache.bytes <= cache.maxBytes);
  await cache.frames('s#0', load()); // a hit: 0 becomes the newest
  assert.equal(loads, 8);
  await cache.frames('s#8', load()); // evicts 1, the least recently used
  assert.ok(cache.bytes <= cache.maxBytes, `${cache.bytes} bytes held`);
  await cache.frames('s#0', load());
  assert.equal(loads, 9, '0 was kept');
  await cache.frames('s#1', load());
  assert.equal(loads, 10, '1 was evicted and loaded again');
});

test('bytes held are the buffers behind the frames, once each', async () => {
  const cache = new FragmentCache(1024 * 1024);
  await cache.frames('a#1', async () => framesOf(50_000, 10));
  assert.equal(cache.bytes, 50_000);
});

test('a fragment larger than an eighth of the cache is served but not kept', async () => {
  const cache = new FragmentCache(800 * 1024);
  let loads = 0;
  const big = async () => {
    loads++;
    return framesOf(101 * 1024 + 1);
  };
  assert.equal((await cache.frames('s#big', big)).length, 4);
  await cache.frames('s#big', big);
  assert.equal(loads, 2);
  assert.equal(cache.bytes, 0);
});

test('concurrent asks for one fragment load it once; a failed load is not kept', async () => {
  const cache = new FragmentCache(1024 * 1024);
  let loads = 0;
  const slow = async () => {
    loads++;
    await new Promise((r) => setTimeout(r, 20));
    return framesOf(1000);
  };
  const [a, b] = await Promise.all([cache.frames('s#1', slow), cache.frames('s#1', slow)]);
  assert.equal(loads, 1);
  assert.equal(a, b);
  await assert.rejects(cache.frames('s#2', async () => { throw new Error('gone'); }), /gone/);
  assert.equal(await cache.frames('s#2', async () => framesOf(1000)).then((f) => f.length), 4);
});

test('forget drops a stream incarnation\'s entries and their bytes, and no other', async () => {
  const cache = new FragmentCache(1024 * 1024);
  await cache.frames('video/aaa/media#1', async () => framesOf(1000));
  await cache.frames('video/aaa/media#2', async () => framesOf(1000));
  await cache.frames('video/bbb/media#1', async () => framesOf(1000));
  cache.forget('video/aaa/media#');
  assert.equal(cache.size, 1);
  assert.equal(cache.bytes, 1000);
});

test('a cache of 0 bytes keeps nothing', async () => {
  const cache = new FragmentCache(0);
  let loads = 0;
  for (let n = 0; n < 2; n++) await cache.frames('s#1', async () => (loads++, framesOf(1000)));
  assert.equal(loads, 2);
  assert.equal(cache.size, 0);
});
