import type { Kinesis } from '../kinesis/context.js';
import { parseStreamArn } from '../kinesis/domain/arn.js';
import { now } from '../kinesis/domain/clock.js';
import { decryptRecords } from '../kinesis/domain/encryption.js';
import { retentionHorizon } from '../kinesis/domain/records.js';
import { shardLogName, visibleShards } from '../kinesis/domain/stream.js';
import { AwsError, invalidArgument } from '../protocol/errors.js';
import type { AnalyticsContext } from './context.js';
import { CodeUnavailableError } from './domain/code.js';
import { discoverSchema, DISCOVERY_SAMPLE_RECORDS } from './domain/discover-schema.js';

/** UNVERIFIED texts. */
export const DISCOVER_SOURCE_REQUIRED = 'Either ResourceARN or S3Configuration must be provided.';
export const FIREHOSE_DISCOVERY_REFUSED =
  'Millrace discovers schemas from Kinesis streams and S3Configuration objects: a Firehose delivery stream keeps no records to sample.';
export const streamNotFound = (arn: string) => invalidArgument(`Stream ${arn} not found.`);
const unableToDetect = (message: string) => new AwsError('UnableToDetectSchemaException', message);
export const NO_RECORDS = 'No records were found to detect a schema from.';

/**
 * DiscoverInputSchema (§3.4): sample records from a Millrace Kinesis stream (TRIM_HORIZON: the
 * oldest kept; NOW and LAST_STOPPED_POINT: the newest, as the stream holds them now) or from an
 * object of the object store, one record per line.
 */
export async function discoverInputSchema(context: AnalyticsContext, input: any): Promise<Record<string, unknown>> {
  const s3 = input.S3Configuration;
  let records: string[];
  if (s3) {
    let bytes: Buffer;
    try {
      bytes = await context.analytics.code.readObject(s3.BucketARN, s3.FileKey);
    } catch (err) {
      if (err instanceof CodeUnavailableError) throw invalidArgument(`Unable to read ${s3.BucketARN}/${s3.FileKey}: ${err.message}.`);
      throw err;
    }
    records = bytes.toString('utf8').split(/\r?\n/);
  } else if (input.ResourceARN) {
    const kinesis = context.analytics.kinesis;
    const location = parseStreamArn(input.ResourceARN);
    if (!location || !kinesis) throw invalidArgument(FIREHOSE_DISCOVERY_REFUSED);
    const fromOldest = input.InputStartingPositionConfiguration?.InputStartingPosition === 'TRIM_HORIZON';
    records = await sampleStream(kinesis, input.ResourceARN, location, fromOldest);
  } else {
    throw invalidArgument(DISCOVER_SOURCE_REQUIRED);
  }
  const found = discoverSchema(records);
  if (!found) throw unableToDetect(NO_RECORDS);
  return { ...found };
}

async function sampleStream(kinesis: Kinesis, arn: string, location: { region: string; account: string; streamName: string }, fromOldest: boolean): Promise<string[]> {
  const stream = await kinesis.streams.find({ account: location.account, region: location.region }, location.streamName);
  if (!stream) throw streamNotFound(arn);
  const at = now();
  const samples: string[] = [];
  for (const shard of visibleShards(stream, at)) {
    const log = shardLogName(stream, shard);
    const tip = await kinesis.store.records.tip(log);
    const from = fromOldest ? 0 : Math.max(0, tip - DISCOVERY_SAMPLE_RECORDS);
    const read = await kinesis.store.records.read(log, from, { limit: DISCOVERY_SAMPLE_RECORDS, maxBytes: 1024 * 1024, notBefore: retentionHorizon(stream, at) });
    for (const record of await decryptRecords(kinesis, read.records)) samples.push(record.data.toString('utf8'));
  }
  return samples;
}
