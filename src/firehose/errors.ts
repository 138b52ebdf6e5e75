import { AwsError, invalidArgument, limitExceeded, resourceInUse, resourceNotFound } from '../protocol/errors.js';

/**
 * Firehose's error texts (FIREHOSE-SPEC §4, §17). Recorded ones are marked so; the others are
 * UNVERIFIED against AWS and each is one constant here, so a recording corrects it in one place.
 */

/** Recorded (§17, turbot#759). */
export const deliveryStreamNotFound = (name: string, account: string) => resourceNotFound(`Firehose ${name} under account ${account} not found.`);

/** moto and LocalStack agree; UNVERIFIED against AWS (§17). */
export const deliveryStreamExists = (name: string, account: string) => resourceInUse(`Firehose ${name} under accountId ${account} already exists`);

/** UNVERIFIED (§3: puts to a non-ACTIVE stream "cause an exception"; code and text unknown). */
export const deliveryStreamNotActive = (name: string, account: string, status: string) =>
  resourceInUse(`Firehose ${name} under account ${account} is not ACTIVE, instead in state ${status}.`);

/** UNVERIFIED: botocore-doc says Delete is refused while CREATING (ResourceInUseException). */
export const deleteWhileCreating = (name: string, account: string) =>
  resourceInUse(`Firehose ${name} under account ${account} is in CREATING state and cannot be deleted.`);

/** Recorded (§1 fact 6, aws-cli#7010). */
export const KINESIS_SOURCE_PUT_REFUSED = 'This operation is not permitted on KinesisStreamAsSource delivery stream type.';

/** Recorded (§5, §17). */
export const RECORDS_SIZE_EXCEEDED = 'Records size exceeds 4 MB limit';

/** moto text; floci reports the same from AWS (§17). */
export const EXACTLY_ONE_DESTINATION = 'Exactly one destination configuration is supported for a Firehose';

/** moto text, UNVERIFIED (§4). */
export const KINESIS_SOURCE_CONFIG_ONLY_FOR_KINESIS_TYPE = 'KinesisSourceStreamConfig is only applicable for KinesisStreamAsSource stream type';
/** UNVERIFIED: a KinesisStreamAsSource stream without its source configuration. */
export const KINESIS_SOURCE_CONFIG_REQUIRED = 'KinesisStreamSourceConfiguration must be provided for KinesisStreamAsSource stream type';
/** UNVERIFIED (§6: what AWS answers for a missing source stream is unknown): refused at create, never CREATING_FAILED. */
export const kinesisSourceStreamMissing = (arn: string) => invalidArgument(`The Kinesis stream ${arn} does not exist or is not ACTIVE.`);

/** Recorded (§17). */
export const DP_BUFFER_TOO_SMALL = 'BufferingHints.SizeInMBs must be at least 64 when Dynamic Partitioning is enabled.';
/** UNVERIFIED text (§7: zero buffering is not available with dynamic partitioning). */
export const DP_ZERO_BUFFERING = 'BufferingHints.IntervalInSeconds must be at least 60 when Dynamic Partitioning is enabled.';
/** UNVERIFIED text: a CustomTimeZone that names no IANA zone (§8.1). */
export const unknownTimeZone = (zone: string) => `CustomTimeZone ${zone} is not a valid time zone.`;
/** UNVERIFIED text (§10.5: dynamic partitioning can only be enabled at create). */
export const DP_CHANGE_REFUSED = 'Dynamic Partitioning cannot be enabled or disabled on an existing Firehose.';
/** UNVERIFIED text (§4: S3BackupMode may go Disabled → Enabled, never back). */
export const S3_BACKUP_DISABLE_REFUSED = 'S3BackupMode cannot be changed from Enabled to Disabled.';
/** UNVERIFIED text (§4: Splunk FailedEventsOnly → AllEvents only). */
export const SPLUNK_BACKUP_CHANGE_REFUSED = 'S3BackupMode can only be changed from FailedEventsOnly to AllEvents.';
/** UNVERIFIED text (§4: OpenSearch S3BackupMode is immutable). */
export const OPENSEARCH_BACKUP_CHANGE_REFUSED = 'S3BackupMode cannot be changed for an OpenSearch or Elasticsearch destination.';
/** UNVERIFIED text (§4: OpenSearch ↔ other types is not allowed). */
export const OPENSEARCH_TYPE_CHANGE_REFUSED = 'Changing the destination type to or from OpenSearch or Elasticsearch is not supported.';
/** UNVERIFIED text (§4: a change of destination type needs every required parameter). */
export const newKindIncomplete = (kind: string, missing: string[]) =>
  `Changing the destination type to ${kind} requires ${missing.join(', ')} in ${kind}DestinationUpdate.`;
/** UNVERIFIED text: an update with no or several *DestinationUpdate. */
export const EXACTLY_ONE_DESTINATION_UPDATE = 'Exactly one destination update is supported for a Firehose';

/** moto text, UNVERIFIED (§17). */
export const destinationNotFound = (id: string) => invalidArgument(`Destination Id ${id} not found`);

/** moto/floci text, UNVERIFIED (§17). */
export const versionMismatch = (name: string, current: number, given: string) =>
  new AwsError('ConcurrentModificationException', `Cannot update firehose: ${name} since the current version id: ${current} and specified version id: ${given} do not match`);

/** UNVERIFIED text (§16: 5,000 streams per account and region). */
export const streamQuotaExceeded = (quota: number) =>
  limitExceeded(`You have already consumed your firehose quota of ${quota} hoses.`);

/** UNVERIFIED text (§16: 50 tags per stream, counted after a TagDeliveryStream). */
export const tagQuotaExceeded = (max: number) => limitExceeded(`A Firehose can have at most ${max} tags.`);

/** UNVERIFIED text: Millrace cannot deliver there (issue item 10); names what was refused. */
export const unsupportedDestination = (member: string) =>
  invalidArgument(`${member} is not supported by Millrace: it cannot deliver to this destination, so the delivery stream would deliver nothing.`);
export const unsupportedSource = (type: string) =>
  invalidArgument(`DeliveryStreamType ${type} is not supported by Millrace: it cannot read from this source, so the delivery stream would deliver nothing.`);

/** UNVERIFIED texts of Start/StopDeliveryStreamEncryption (§4 SSE). */
export const SSE_ONLY_DIRECT_PUT = 'Server-side encryption is only supported for DirectPut delivery streams.';
export const SSE_KEY_ARN_REQUIRED = 'KeyARN must be provided when KeyType is CUSTOMER_MANAGED_CMK.';
export const SSE_KEY_ARN_NOT_ALLOWED = 'KeyARN must not be provided when KeyType is AWS_OWNED_CMK.';
export const sseChangeLimit = (name: string, max: number) =>
  limitExceeded(`Firehose ${name} has reached the limit of ${max} StartDeliveryStreamEncryption and StopDeliveryStreamEncryption calls in 24 hours.`);

/** Recorded by botocore-doc; the error also carries `code`. */
export const invalidSource = (message: string) => new AwsError('InvalidSourceException', message);

export const throttled = () => new AwsError('ServiceUnavailableException', 'Slow down.', 500);

/** UNVERIFIED text: a control-plane call over its 5 TPS (§4), with --enforce-limits. */
export const controlRateExceeded = (operation: string, account: string) => limitExceeded(`Rate exceeded for ${operation} under account ${account}.`);
