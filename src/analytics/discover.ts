import { AwsError, invalidArgument } from '../protocol/errors.js';
import type { AnalyticsContext } from './context.js';
import { CodeUnavailableError } from './domain/code.js';
import { discoverSchema } from './domain/discover-schema.js';

/** UNVERIFIED texts. */
export const DISCOVER_SOURCE_REQUIRED = 'Either ResourceARN or S3Configuration must be provided.';
export const STREAM_DISCOVERY_REFUSED =
  'Millrace discovers schemas from S3Configuration objects only: put sample records in an object of the object store and give S3Configuration.';
const unableToDetect = (message: string) => new AwsError('UnableToDetectSchemaException', message);

/** DiscoverInputSchema from an object of the object store, one record per line (§3.4). */
export async function discoverInputSchema(context: AnalyticsContext, input: any): Promise<Record<string, unknown>> {
  const s3 = input.S3Configuration;
  if (!s3 && !input.ResourceARN) throw invalidArgument(DISCOVER_SOURCE_REQUIRED);
  if (!s3) throw invalidArgument(STREAM_DISCOVERY_REFUSED);
  let bytes: Buffer;
  try {
    bytes = await context.analytics.code.readObject(s3.BucketARN, s3.FileKey);
  } catch (err) {
    if (err instanceof CodeUnavailableError) throw invalidArgument(`Unable to read ${s3.BucketARN}/${s3.FileKey}: ${err.message}.`);
    throw err;
  }
  const found = discoverSchema(bytes.toString('utf8').split(/\r?\n/));
  if (!found) throw unableToDetect('No records were found to detect a schema from.');
  return { ...found };
}
