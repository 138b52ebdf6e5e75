import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProducerTimes, type ProducerTimeEntry } from '../src/video/media/producer-times.js';

/**
 * The producer-time index (src/video/media/producer-times.ts) against the scans it replaced, on
 * logs of several producer sessions: each session's times grow, and a new session may start before
 * the last one ended (a camera whose clock went back, two producers one after the other).
 */

type Fragment = ProducerTimeEntry & { committed: number };

/** A seeded generator, so that a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

function log(seed: number): Fragment[] {
  const next = random(seed);
  const fragments: Fragment[] = [];
  let index = Math.floor(next() * 5);
  let committed = 1_000;
  for (let session = 0; session < 1 + Math.floor(next() * 6); session++) {
    let pt = 10_000 + Math.floor(next() * 20_000);
    for (let i = 0; i < Math.floor(next() * 40); i++) {
      // Equal start times happen (a producer that repeats a timecode); gaps in indices too (trimmed, sealed).
      pt += Math.floor(next() * 3) * 1_000;
      fragments.push({ index, pt, len: Math.floor(next() * 2_000), committed });
      index += 1 + (next() < 0.1 ? 3 : 0);
      committed += 500;
    }
  }
  return fragments;
}

/** get-media.ts's scan: the first fragment in log order starting after `ms`, and the one before it. */
function scanAround(fragments: Fragment[], ms: number): { before?: number; after?: number } {
  let before: number | undefined;
  for (const f of fragments) {
    if (f.pt <= ms) {
      before = f.index;
      continue;
    }
    return { before, after: f.index };
  }
  return { before, after: undefined };
}

test('around(ms) and inRange(from, to) give what a scan of every fragment gives, on 300 random logs', () => {
  for (let seed = 1; seed <= 300; seed++) {
    const fragments = log(seed);
    const times = new ProducerTimes();
    // Built in pieces, as the store's reads extend it.
    for (let at = 0; at < fragments.length; at += 7) times.extend(fragments.slice(at, at + 7), (fragments[Math.min(at + 7, fragments.length) - 1]?.index ?? -1) + 1);
    assert.equal(times.size, fragments.length);
    const next = random(seed * 7919);
    for (let q = 0; q < 40; q++) {
      const ms = 5_000 + Math.floor(next() * 90_000);
      const { before, after } = times.around(ms);
      assert.deepEqual({ before: before?.index, after: after?.index }, scanAround(fragments, ms), `seed ${seed}, around ${ms}`);
      const from = ms;
      const to = ms + Math.floor(next() * 20_000);
      const fromIndex = Math.floor(next() * (fragments.length + 5));
      const limit = 1 + Math.floor(next() * 30);
      const expected = fragments.filter((f) => f.index >= fromIndex && f.pt >= from && f.pt <= to).map((f) => f.index).slice(0, limit);
      assert.deepEqual(times.inRange(from, to, fromIndex, limit), expected, `seed ${seed}, range [${from}, ${to}] from ${fromIndex} limit ${limit}`);
    }
  }
});

test('dropBefore forgets what retention removed, also across runs and after compaction', () => {
  const fragments: Fragment[] = [];
  // 3,000 fragments in 30 sessions of 100, each session starting back at the same producer time.
  for (let i = 0; i < 3_000; i++) fragments.push({ index: i, pt: 50_000 + (i % 100) * 1_000, len: 1_000, committed: i * 10 });
  const times = new ProducerTimes();
  times.extend(fragments, 3_000);
  for (const horizon of [0, 5, 995, 1_000, 12_345, 25_000, 29_990, 30_000]) {
    times.dropBefore(horizon);
    const live = fragments.filter((f) => f.committed >= horizon);
    assert.equal(times.size, live.length, `horizon ${horizon}`);
    assert.deepEqual(times.inRange(60_000, 61_000, 0, 10_000), live.filter((f) => f.pt >= 60_000 && f.pt <= 61_000).map((f) => f.index), `horizon ${horizon}`);
    const { before, after } = times.around(55_500);
    assert.deepEqual({ before, after }, scanAroundEntries(live, 55_500), `horizon ${horizon}`);
  }
});

function scanAroundEntries(fragments: Fragment[], ms: number) {
  const { before, after } = scanAround(fragments, ms);
  const entry = (index: number | undefined) => {
    const f = fragments.find((x) => x.index === index);
    return f && { index: f.index, pt: f.pt, len: f.len };
  };
  return { before: entry(before), after: entry(after) };
}
