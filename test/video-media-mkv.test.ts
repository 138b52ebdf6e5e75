import { test } from 'node:test';
import { spawnSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { MkvReader, type MkvHandler } from '../src/video/mkv/reader.js';
import { decodeFragmentNumber, encodeFragmentNumber } from '../src/video/media/fragment-number.js';
import { openMemoryStore } from '../src/store/memory-store.js';
import { FragmentStore, streamLogs } from '../src/video/media/fragment-store.js';
import { MediaIngest } from '../src/video/media/ingest.js';
import { MAX_UNPERSISTED_BYTES_PER_NODE } from '../src/video/media/limits.js';
import type { Ack } from '../src/video/media/acks.js';
import { cluster, ebmlHeader, END_OF_FRAGMENT, info, readMedia, producerStream, segmentStart, testVideo, tracksElement, type Media } from './video-producer.js';

/** What a reader saw, as a comparable transcript. */
function transcript(mkv: Buffer, pieces: (data: Buffer) => Buffer[]): { events: string[]; clusterBytes: number } {
  const events: string[] = [];
  let clusterBytes = 0;
  const handler: MkvHandler = {
    element: (id, raw, depth) => events.push(`element ${id.toString(16)} ${raw.length} ${depth}`),
    segmentStart: () => events.push('segment'),
    segmentEnd: () => events.push('/segment'),
    clusterStart: (known) => events.push(`cluster ${known}`),
    clusterTimecode: (v) => events.push(`timecode ${v}`),
    block: (track, tc, flags) => events.push(`block ${track} ${tc} ${flags}`),
    clusterBytes: (raw) => void (clusterBytes += raw.length),
    clusterEnd: () => events.push('/cluster'),
  };
  const reader = new MkvReader(handler);
  for (const piece of pieces(mkv)) reader.push(piece);
  reader.finish();
  return { events, clusterBytes };
}

const splitEvery = (n: number) => (data: Buffer) => {
  const out: Buffer[] = [];
  for (let i = 0; i < data.length; i += n) out.push(data.subarray(i, i + n));
  return out;
};

const HAS_FFMPEG = spawnSync('ffmpeg', ['-version']).status === 0;
const needsFfmpeg = { skip: HAS_FFMPEG ? false : 'ffmpeg is not installed (.ci/run installs it)' };
const video = HAS_FFMPEG ? testVideo(6, 25) : Buffer.alloc(0);
let media: Media;

test('the reader sees ffmpeg output the same however the bytes are split', needsFfmpeg, async () => {
  media = await readMedia(video);
  const whole = transcript(video, (d) => [d]);
  assert.equal(whole.events.filter((e) => e.startsWith('block')).length, media.frames.length);
  assert.equal(media.frames.length, 150);
  assert.equal(whole.events.filter((e) => e === 'cluster true').length, 6, 'ffmpeg writes known-size clusters, one per keyframe');
  for (const n of [1, 2, 3, 5, 7, 11, 4096]) assert.deepEqual(transcript(video, splitEvery(n)), whole, `split every ${n}`);
  // Random splits.
  let seed = 7;
  const random = (data: Buffer) => {
    const out: Buffer[] = [];
    for (let i = 0; i < data.length;) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      const n = 1 + (seed % 300);
      out.push(data.subarray(i, i + n));
      i += n;
    }
    return out;
  };
  assert.deepEqual(transcript(video, random), whole);
});

test('the reader ends unknown-size Clusters at Tags and at the next Cluster', needsFfmpeg, () => {
  const body = Buffer.concat(producerStream(media));
  const { events } = transcript(body, splitEvery(3));
  assert.equal(events.filter((e) => e === 'cluster false').length, 6);
  assert.equal(events.filter((e) => e === '/cluster').length, 6);
  // Each Cluster is followed by the end-of-fragment Tags at depth 1.
  const eofr = events.filter((e) => e.startsWith('element 1254c367'));
  assert.equal(eofr.length, 6);
  assert.equal(events.at(-1), '/segment');
});

test('fragment numbers decode as AWS builds them (VIDEO-SPEC §4.3 samples)', () => {
  const samples: Array<[string, number, number]> = [
    ['91343852333181432392682062607743920146159169392', 1, 1511852109126],
    ['91343852333185057105875891022195998207386831087', 732006, 1643353247067],
    ['91343852333181432511524306419788296366724229586', 25, 1663277224258],
    ['91343852338378294813695855977007281634605393997', 1049498009, 1516124526822],
  ];
  for (const [fn, seq, ms] of samples) {
    const parts = decodeFragmentNumber(fn)!;
    assert.equal(parts.seq, seq);
    assert.equal(parts.serverMs, ms);
    assert.equal(encodeFragmentNumber(parts.seq, parts.serverMs, parts.low), fn);
  }
  const a = encodeFragmentNumber(0, 1_700_000_000_000);
  const b = encodeFragmentNumber(1, 1_700_000_000_000);
  assert.equal(a.length, 47);
  assert.ok(a < b);
  assert.equal(decodeFragmentNumber('123'), undefined);
});

async function ingest(body: Buffer[], split = 1000, options: Partial<ConstructorParameters<typeof MediaIngest>[2]> = {}) {
  const store = openMemoryStore();
  const fragments = new FragmentStore(store);
  const logs = streamLogs('arn:aws:kinesisvideo:us-east-1:000000000000:stream/cam/1');
  const acks: Ack[] = [];
  const session = new MediaIngest(fragments, logs, { timecodeType: 'RELATIVE', producerStartMs: 1_700_000_000_000, persistedAcks: true, firstSeq: 0, ...options }, (ack) => acks.push(ack));
  let error: unknown;
  try {
    for (const piece of splitEvery(split)(Buffer.concat(body))) {
      session.push(piece);
      await session.waitForRoom();
    }
    await session.finish();
  } catch (e) {
    error = e;
    await session.settle();
  }
  return { store, fragments, logs, acks, error: error as { code?: string } | undefined, session };
}

test('ingest: ffmpeg output becomes one fragment per Cluster with BUFFERING, RECEIVED, PERSISTED acks', needsFfmpeg, async () => {
  const { acks, fragments, logs, error } = await ingest([video], 4093);
  assert.equal(error, undefined);
  const byFragment = new Map<string, string[]>();
  for (const ack of acks) byFragment.set(ack.FragmentNumber!, [...(byFragment.get(ack.FragmentNumber!) ?? []), ack.EventType]);
  assert.equal(byFragment.size, 6);
  for (const events of byFragment.values()) assert.deepEqual(events, ['BUFFERING', 'RECEIVED', 'PERSISTED']);
  assert.deepEqual(acks.filter((a) => a.EventType === 'BUFFERING').map((a) => a.FragmentTimecode), [0, 1000, 2000, 3000, 4000, 5000]);
  const { fragments: stored } = await fragments.readFragments(logs, 0, 0);
  assert.equal(stored.length, 6);
  assert.deepEqual(stored.map((f) => f.pt - 1_700_000_000_000), [0, 1000, 2000, 3000, 4000, 5000]);
  assert.deepEqual(stored.map((f) => f.len), [960, 960, 960, 960, 960, 960]);
  let total = 0;
  for (const f of stored) for await (const chunk of fragments.media(logs, f)) total += chunk.length;
  assert.equal(total, stored.reduce((n, f) => n + f.size, 0));
});

test('ingest: producer-SDK style stream with metadata tags', needsFfmpeg, async () => {
  const body = producerStream(media, { metadata: (n) => [['fragment', String(n)]] });
  const { acks, fragments, logs, error } = await ingest(body, 5);
  assert.equal(error, undefined);
  assert.equal(acks.filter((a) => a.EventType === 'PERSISTED').length, 6);
  const { fragments: stored } = await fragments.readFragments(logs, 0, 0);
  assert.ok(stored.every((f) => f.tags));
});

test('ingest: bad input gets the ERROR ack AWS sends', needsFfmpeg, async () => {
  const notMkv = await ingest([Buffer.from('this is not a matroska file at all')]);
  assert.equal(notMkv.error?.code, 'INVALID_MKV_DATA');

  const frames = media.frames;
  const header = Buffer.concat([ebmlHeader(), segmentStart(), info(), tracksElement(media.tracks)]);
  const backwards = await ingest([header, cluster(1000, frames.slice(25, 50).map((f) => ({ ...f, ms: f.ms }))), END_OF_FRAGMENT, cluster(0, frames.slice(0, 25)), END_OF_FRAGMENT]);
  assert.equal(backwards.error?.code, 'FRAGMENT_TIMECODE_LESSER_THAN_PREVIOUS');
  assert.deepEqual(backwards.acks.map((a) => a.EventType), ['BUFFERING', 'RECEIVED', 'PERSISTED', 'ERROR'].slice(0, 3));

  const fourTracks = await ingest([Buffer.concat([ebmlHeader(), segmentStart(), info(), tracksElement([1, 2, 3, 4].map((n) => ({ ...media.tracks[0], number: n })))])]);
  assert.equal(fourTracks.error?.code, 'MORE_THAN_ALLOWED_TRACKS_FOUND');

  const mismatch = await ingest([header, cluster(0, frames.slice(0, 25), () => 2)]);
  assert.equal(mismatch.error?.code, 'TRACK_NUMBER_MISMATCH');

  const truncated = await ingest([header, cluster(0, frames.slice(0, 25)).subarray(0, 500)]);
  assert.equal(truncated.error?.code, 'INVALID_MKV_DATA');
  assert.equal((await truncated.fragments.readFragments(truncated.logs, 0, 0)).fragments.length, 0, 'nothing half-written is visible');
});

test('retention: trim drops the fragments committed before the horizon and the media chunks only they used', needsFfmpeg, async () => {
  const { fragments, logs, store } = await ingest([video], 4093);
  const { fragments: stored } = await fragments.readFragments(logs, 0, 0);
  assert.equal(stored.length, 6);
  // A horizon after the first commit (when the commits are not all in one millisecond) keeps the
  // fragments committed at or after it, whole, with their media.
  const later = stored.filter((f) => f.committed > stored[0].committed);
  if (later.length) {
    await fragments.trim(logs, later[0].committed);
    const kept = (await fragments.readFragments(logs, 0, 0)).fragments;
    assert.deepEqual(kept.map((f) => f.fn), later.map((f) => f.fn));
    for (const f of kept) {
      let bytes = 0;
      for await (const chunk of fragments.media(logs, f)) bytes += chunk.length;
      assert.equal(bytes, f.size, 'a kept fragment keeps all its media');
    }
  }
  // Past every commit: nothing is left.
  await fragments.trim(logs, Date.now() + 1000);
  assert.equal((await fragments.readFragments(logs, 0, 0)).fragments.length, 0);
  assert.equal((await store.records.read(logs.media, 0, { limit: 10, maxBytes: 1 << 20, notBefore: 0 })).records.length, 0);
});

test('the node-wide count of media not yet durable rises with the writes and falls back as they become durable; over the bound, ingest still completes', needsFfmpeg, async () => {
  // Other connections of the node hold more than the bound: this one waits only for its own writes.
  const others = MAX_UNPERSISTED_BYTES_PER_NODE + 1;
  const unpersisted = { bytes: others };
  let peak = 0;
  const { error, acks } = await ingest([video], 4093, { unpersisted, now: () => ((peak = Math.max(peak, unpersisted.bytes)), Date.now()) });
  assert.equal(error, undefined);
  assert.equal(acks.filter((a) => a.EventType === 'PERSISTED').length, 6);
  assert.ok(peak > others, 'its writes were counted');
  assert.equal(unpersisted.bytes, others, 'and uncounted once durable');
});
