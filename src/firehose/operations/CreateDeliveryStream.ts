import { randomUUID } from 'node:crypto';
import { invalidArgument } from '../../protocol/errors.js';
import { parseStreamArn } from '../../kinesis/domain/arn.js';
import { deliveryStreamArn, type DeliveryStreamDocument, type DeliveryStreamType, type EncryptionDescription } from '../domain/delivery-stream.js';
import { describeDestination, destinationsOf, REFUSED_DESTINATIONS, secretsOf } from '../domain/destination.js';
import { checkDestination } from '../domain/destination-checks.js';
import type { FirehoseContext } from '../context.js';
import {
  deliveryStreamExists,
  EXACTLY_ONE_DESTINATION,
  KINESIS_SOURCE_CONFIG_ONLY_FOR_KINESIS_TYPE,
  KINESIS_SOURCE_CONFIG_REQUIRED,
  kinesisSourceStreamMissing,
  SSE_ONLY_DIRECT_PUT,
  streamQuotaExceeded,
  unsupportedDestination,
  unsupportedSource,
} from '../errors.js';
import { checkEncryptionInput } from './StartDeliveryStreamEncryption.js';

/** §16: delivery streams per account and Region (botocore-doc 2026; was 50). */
export const DELIVERY_STREAM_QUOTA = 5000;

/** Issue item 10: sources Millrace cannot read. */
const REFUSED_SOURCES: ReadonlySet<DeliveryStreamType> = new Set(['MSKAsSource', 'DatabaseAsSource']);

type Json = Record<string, unknown>;

/** FIREHOSE-SPEC §2–4. */
export default async function createDeliveryStream(input: Json, context: FirehoseContext) {
  const { firehose, account, region } = context;
  const name = input.DeliveryStreamName as string;
  const type = (input.DeliveryStreamType as DeliveryStreamType | undefined) ?? 'DirectPut';
  if (REFUSED_SOURCES.has(type)) throw unsupportedSource(type);
  const destinations = destinationsOf(input, 'DestinationConfiguration');
  if (destinations.length !== 1) throw invalidArgument(EXACTLY_ONE_DESTINATION);
  const [[kind, configuration]] = destinations;
  if (REFUSED_DESTINATIONS.has(kind)) throw unsupportedDestination(`${kind}DestinationConfiguration`);

  const sourceConfiguration = input.KinesisStreamSourceConfiguration as { KinesisStreamARN: string; RoleARN: string } | undefined;
  if (sourceConfiguration && type !== 'KinesisStreamAsSource') throw invalidArgument(KINESIS_SOURCE_CONFIG_ONLY_FOR_KINESIS_TYPE);
  if (!sourceConfiguration && type === 'KinesisStreamAsSource') throw invalidArgument(KINESIS_SOURCE_CONFIG_REQUIRED);

  const encryptionInput = input.DeliveryStreamEncryptionConfigurationInput as { KeyType: string; KeyARN?: string } | undefined;
  if (encryptionInput) {
    if (type !== 'DirectPut') throw invalidArgument(SSE_ONLY_DIRECT_PUT);
    checkEncryptionInput(encryptionInput);
  }

  const destination = describeDestination(kind, configuration);
  const problem = await checkDestination(destination);
  if (problem) throw invalidArgument(problem);

  const now = Date.now();
  let source: DeliveryStreamDocument['source'];
  if (sourceConfiguration) {
    // The model's pattern already holds the ARN to `arn:…:kinesis:<region>:<12 digits>:stream/<name>`.
    const location = parseStreamArn(sourceConfiguration.KinesisStreamARN);
    const stream = location && (await firehose.kinesis.streams.find({ account: location.account, region: location.region }, location.streamName));
    if (!stream || (stream.status !== 'ACTIVE' && stream.status !== 'UPDATING')) throw kinesisSourceStreamMissing(sourceConfiguration.KinesisStreamARN);
    source = { KinesisStreamARN: sourceConfiguration.KinesisStreamARN, RoleARN: sourceConfiguration.RoleARN, DeliveryStartTimestamp: now };
  }

  if ((await firehose.streams.count({ account, region })) >= DELIVERY_STREAM_QUOTA) throw streamQuotaExceeded(DELIVERY_STREAM_QUOTA);

  const creatingMs = firehose.config.createDeliveryStreamMs;
  const encryption: EncryptionDescription | undefined =
    type !== 'DirectPut'
      ? undefined
      : encryptionInput
        ? { Status: 'ENABLED', KeyType: encryptionInput.KeyType as EncryptionDescription['KeyType'], KeyARN: encryptionInput.KeyARN }
        : { Status: 'DISABLED' };
  const stream: DeliveryStreamDocument = {
    account,
    region,
    name,
    arn: deliveryStreamArn('aws', region, account, name),
    status: creatingMs > 0 ? 'CREATING' : 'ACTIVE',
    type,
    version: 1,
    createTimestamp: now,
    incarnation: randomUUID(),
    destination,
    secrets: secretsOf(kind, configuration),
    source,
    encryption,
    tags: (input.Tags as DeliveryStreamDocument['tags'] | undefined) ?? [],
    pendingUntil: creatingMs > 0 ? now + creatingMs : undefined,
  };
  if (!(await firehose.streams.create(stream))) throw deliveryStreamExists(name, account);
  return { DeliveryStreamARN: stream.arn };
}
