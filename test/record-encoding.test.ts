import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { allocateWithHeadroom, claimHeadroom, HEADROOM_BYTES, HEADROOM_MIN_BYTES } from '../src/model/blob-headroom.js';
import { decodeStrictBase64 } from '../src/model/validate.js';
import { encodeBatch, readRecords } from '../src/store/record-encoding.js';

/** Store layouts and blob buffers with headroom (store/record-encoding.ts, model/blob-headroom.ts). */

const HEADER = 13;

test('a lone large record is framed in place in front of its data, and decodes like a copied one', () => {
  const source = randomBytes(HEADROOM_MIN_BYTES + 5);
  const data = decodeStrictBase64(source.toString('base64'));
  assert.deepEqual(data, source);
  const record = { partitionKey: 'ключ-🔑'.repeat(36), keyRef: '3402823669209384634633746074317682114', data };
  const inPlace = encodeBatch(HEADER, [record]);
  assert.equal(inPlace.buffer, data.buffer, 'framed in the data buffer');
  // Once claimed, the same data is copied: a second batch must not write over the first's framing.
  const copied = encodeBatch(HEADER, [record]);
  assert.notEqual(copied.buffer, data.buffer);
  assert.deepEqual(copied.subarray(HEADER), inPlace.subarray(HEADER));
  const [decoded] = readRecords(inPlace, HEADER, 1, 7, 1000, true);
  assert.deepEqual(decoded, { index: 7, arrival: 1000, partitionKey: record.partitionKey, keyRef: record.keyRef, data: source });
});

test('small blobs, parts of a blob and several records are copied', () => {
  const small = decodeStrictBase64(randomBytes(HEADROOM_MIN_BYTES - 3).toString('base64'));
  assert.equal(claimHeadroom(small, 10), undefined);
  const large = allocateWithHeadroom(HEADROOM_MIN_BYTES);
  assert.equal(claimHeadroom(large.subarray(1), 10), undefined, 'a view into the blob is not the blob');
  assert.equal(claimHeadroom(large, HEADROOM_BYTES + 1), undefined, 'more than the headroom');
  const pair = [
    { partitionKey: 'a', data: large },
    { partitionKey: 'b', data: small },
  ];
  const batch = encodeBatch(HEADER, pair);
  assert.notEqual(batch.buffer, large.buffer);
  assert.deepEqual(
    readRecords(batch, HEADER, 2, 0, 1, true).map((r) => [r.partitionKey, r.data.length]),
    [['a', large.length], ['b', small.length]],
  );
  assert.ok(claimHeadroom(large, 10), 'a batch of several records left the headroom unclaimed');
});
