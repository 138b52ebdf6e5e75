import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ControlRates } from '../src/video/domain/control-rates.js';
import { EDGE_SYNC_FAILED_DETAILS, edgeStatusAt } from '../src/video/domain/edge-configuration.js';
import { EDGE_SYNC_TIMEOUT_MS } from '../src/video/domain/limits.js';
import { decodeNextToken, encodeNextToken, page } from '../src/video/domain/paging.js';
import { parseResourceArn } from '../src/video/domain/resource-arn.js';
import { newVersion } from '../src/video/domain/version.js';

/**
 * The Video control plane's time- and rate-dependent rules, on a clock the test moves (VIDEO-SPEC
 * §2.4 rates, the 15-minute edge sync window), and its tokens and ARNs. No server: nothing here
 * needs one.
 */

test('control-plane rates: 5 TPS per stream, 300 per account for DescribeStream, off without --enforce-limits', () => {
  let now = 1_000_000;
  const rates = new ControlRates(true, () => now);
  for (let i = 0; i < 5; i++) assert.equal(rates.admit('DescribeStream', 'acct', { StreamName: 'a' }), true, `call ${i}`);
  assert.equal(rates.admit('DescribeStream', 'acct', { StreamName: 'a' }), false);
  // Another stream has its own 5; the account's 300 are far from spent.
  assert.equal(rates.admit('DescribeStream', 'acct', { StreamName: 'b' }), true);
  now += 200; // one token back at 5 per second
  assert.equal(rates.admit('DescribeStream', 'acct', { StreamName: 'a' }), true);
  assert.equal(rates.admit('DescribeStream', 'acct', { StreamName: 'a' }), false);

  // 50 TPS per account for CreateStream, whatever the names.
  for (let i = 0; i < 50; i++) assert.equal(rates.admit('CreateStream', 'acct', { StreamName: `s${i}` }), true);
  assert.equal(rates.admit('CreateStream', 'acct', { StreamName: 'one-more' }), false);
  assert.equal(rates.admit('CreateStream', 'other-acct', { StreamName: 'one-more' }), true);

  // Edge operations: 1 TPS per stream.
  assert.equal(rates.admit('StartEdgeConfigurationUpdate', 'acct', { StreamARN: 'arn' }), true);
  assert.equal(rates.admit('StartEdgeConfigurationUpdate', 'acct', { StreamARN: 'arn' }), false);

  // A refused call takes no token from the other bucket it would have used.
  const fresh = new ControlRates(true, () => now);
  for (let i = 0; i < 5; i++) fresh.admit('ListTagsForStream', 'acct', { StreamName: 'x' });
  assert.equal(fresh.admit('ListTagsForStream', 'acct', { StreamName: 'x' }), false);
  // The account's 50: 5 taken by x, the refused call none, so 45 more fit and the next does not.
  for (let i = 0; i < 45; i++) assert.equal(fresh.admit('ListTagsForStream', 'acct', { StreamName: `y${i}` }), true, `y${i}`);
  assert.equal(fresh.admit('ListTagsForStream', 'acct', { StreamName: 'z' }), false);

  // Media operations and unenforced limits are never counted here.
  assert.equal(new ControlRates(false, () => now).admit('DescribeStream', 'acct', { StreamName: 'a' }), true);
  for (let i = 0; i < 10; i++) assert.equal(rates.admit('GetMedia', 'acct', { StreamName: 'a' }, false), true);
});

test('an edge configuration no agent acknowledges turns SYNC_FAILED after 15 minutes', () => {
  const record = { CreationTime: 0, LastUpdatedTime: 1_000, SyncStatus: 'SYNCING', EdgeConfig: { HubDeviceArn: 'h' } };
  assert.equal(edgeStatusAt(record, 1_000 + EDGE_SYNC_TIMEOUT_MS - 1), record);
  assert.deepEqual(edgeStatusAt(record, 1_000 + EDGE_SYNC_TIMEOUT_MS), { ...record, SyncStatus: 'SYNC_FAILED', FailedStatusDetails: EDGE_SYNC_FAILED_DETAILS });
  assert.equal(EDGE_SYNC_TIMEOUT_MS, 900_000);
});

test('NextTokens match the model pattern, page after the last name, and refuse what Millrace did not issue', () => {
  const names = ['a', 'b', 'c', 'd', 'e'];
  const first = page(names, (n) => n, undefined, 2);
  assert.deepEqual(first.items, ['a', 'b']);
  assert.match(first.nextToken!, /^[a-zA-Z0-9+/=]{1,1024}$/);
  const second = page(names, (n) => n, first.nextToken, 2);
  assert.deepEqual(second.items, ['c', 'd']);
  const last = page(names, (n) => n, second.nextToken, 2);
  assert.deepEqual(last, { items: ['e'], nextToken: undefined });
  // A name taken away between pages does not lose the place.
  assert.deepEqual(page(['a', 'c', 'd'], (n) => n, encodeNextToken('b'), 5).items, ['c', 'd']);
  assert.equal(decodeNextToken(''), undefined);
  assert.equal(decodeNextToken(encodeNextToken('x.y-z_1')), 'x.y-z_1');
  for (const bad of ['abc', Buffer.from('x:1').toString('base64'), `${encodeNextToken('a')}A`]) {
    assert.throws(() => decodeNextToken(bad), { message: 'The NextToken is not valid.' }, bad);
  }
});

test('resource ARNs and Versions have the shapes AWS gives them', () => {
  assert.deepEqual(parseResourceArn('arn:aws:kinesisvideo:us-east-1:000111222333:stream/test1/1639473904764'), {
    partition: 'aws',
    region: 'us-east-1',
    account: '000111222333',
    kind: 'stream',
    name: 'test1',
    creationMillis: 1639473904764,
  });
  assert.equal(parseResourceArn('arn:aws-cn:kinesisvideo:cn-north-1:1:channel/c.h-1/5')?.kind, 'channel');
  assert.equal(parseResourceArn('arn:aws:kinesis:us-east-1:1:stream/x/1'), undefined);
  assert.equal(parseResourceArn('arn:aws:kinesisvideo:us-east-1:1:stream/x'), undefined);
  const versions = new Set(Array.from({ length: 100 }, newVersion));
  assert.equal(versions.size, 100);
  for (const version of versions) assert.match(version, /^[a-zA-Z0-9]{20}$/);
});
