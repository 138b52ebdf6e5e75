/**
 * A delivery stream as Millrace keeps it (FIREHOSE-SPEC §3): one metadata document per stream, the
 * records it has taken in one record log of its own, and its delivery progress in records fenced by
 * the delivery lease. Every part of the service reads these names from here: control plane
 * (operations/), ingest (PutRecord, the Kinesis source) and delivery (delivery/).
 */

/** FIREHOSE-SPEC §3: DeliveryStreamStatus. */
export type DeliveryStreamStatus = 'CREATING' | 'CREATING_FAILED' | 'DELETING' | 'DELETING_FAILED' | 'ACTIVE';

/** The model's DeliveryStreamType. */
export type DeliveryStreamType = 'DirectPut' | 'KinesisStreamAsSource' | 'MSKAsSource' | 'DatabaseAsSource';

/** FIREHOSE-SPEC §1 fact 2: a stream has exactly one destination, always with this id. */
export const DESTINATION_ID = 'destinationId-000000000001';

/**
 * The destination as DescribeDeliveryStream shows it: the model's `DestinationDescription` with
 * every default AWS fills in (§3), e.g. `{ DestinationId, ExtendedS3DestinationDescription: {…},
 * S3DestinationDescription: {…mirror…} }`. Delivery reads its settings from here, so what Describe
 * says is what delivery does. Secrets are not in it (see `secrets`).
 */
export type DestinationDescription = { DestinationId: string } & Record<string, unknown>;

/** Secrets a destination was configured with, which AWS never describes (§3). */
export interface DestinationSecrets {
  /** HttpEndpointConfiguration.AccessKey */
  httpEndpointAccessKey?: string;
  /** SplunkDestinationConfiguration.HECToken */
  splunkHecToken?: string;
}

/** A KinesisStreamAsSource stream's source, as Describe shows it (`KinesisStreamSourceDescription`). */
export interface KinesisSource {
  KinesisStreamARN: string;
  RoleARN: string;
  /** Epoch ms: reading starts at LATEST as of this instant (§6). */
  DeliveryStartTimestamp: number;
}

/** `DeliveryStreamEncryptionConfiguration` as Describe shows it. */
export interface EncryptionDescription {
  Status: 'ENABLED' | 'ENABLING' | 'ENABLING_FAILED' | 'DISABLED' | 'DISABLING' | 'DISABLING_FAILED';
  KeyType?: 'AWS_OWNED_CMK' | 'CUSTOMER_MANAGED_CMK';
  KeyARN?: string;
  FailureDescription?: { Type: string; Details: string };
}

export interface DeliveryStreamDocument {
  account: string;
  region: string;
  name: string;
  arn: string;
  status: DeliveryStreamStatus;
  type: DeliveryStreamType;
  /** VersionId: 1 at create, +1 per UpdateDestination (a string on the wire). */
  version: number;
  /** Epoch ms. */
  createTimestamp: number;
  /** Epoch ms; absent until the first update (§3). */
  lastUpdateTimestamp?: number;
  /**
   * Names this incarnation of the stream: its record log and progress keys carry it, so a stream
   * deleted and created again under the same name never sees the old one's records.
   */
  incarnation: string;
  destination: DestinationDescription;
  secrets: DestinationSecrets;
  source?: KinesisSource;
  encryption?: EncryptionDescription;
  tags: Array<{ Key: string; Value?: string }>;
  /** Epoch ms at which a CREATING / DELETING / ENABLING / DISABLING state completes. */
  pendingUntil?: number;
  /** Epoch ms at which an ENABLING / DISABLING encryption state completes. */
  encryptionPendingUntil?: number;
  /** Epoch ms of the Start/StopDeliveryStreamEncryption calls of the last 24 hours (§16: 25 per stream). */
  encryptionChanges?: number[];
  failureDescription?: { Type: string; Details: string };
}

/** Metadata key of a delivery stream's document. */
export const deliveryStreamKey = (account: string, region: string, name: string) => `firehose/stream/${account}/${region}/${name}`;

/** Prefix under which every delivery stream of an account and region is listed, in name order. */
export const deliveryStreamPrefix = (account: string, region: string) => `firehose/stream/${account}/${region}/`;

/** Prefix of every delivery stream document of every account (delivery scheduling scans it). */
export const ALL_DELIVERY_STREAMS_PREFIX = 'firehose/stream/';

/**
 * The record log that holds what a stream took in, in arrival order, until delivery has finished
 * with it. Each stored record's `partitionKey` carries the record's source metadata (`SourceMetadata`
 * as JSON) for a Kinesis-sourced stream, and is empty for DirectPut.
 */
export const ingestLogName = (stream: Pick<DeliveryStreamDocument, 'incarnation'>) => `firehose/${stream.incarnation}`;

/** What a record read from a Kinesis stream keeps of its origin (the Lambda event's `kinesisRecordMetadata`). */
export interface SourceMetadata {
  shardId: string;
  partitionKey: string;
  sequenceNumber: string;
  subsequenceNumber?: number;
  /** Epoch ms: the Kinesis record's ApproximateArrivalTimestamp. */
  approximateArrivalTimestamp: number;
}

/** Lease under which one node delivers a stream (and reads its Kinesis source). */
export const deliveryLeaseName = (stream: Pick<DeliveryStreamDocument, 'incarnation'>) => `firehose/delivery/${stream.incarnation}`;

/** Prefix of a stream's delivery progress records (written through the lease's `checkpoint`). */
export const progressKey = (stream: Pick<DeliveryStreamDocument, 'incarnation'>, part: string) => `firehose/progress/${stream.incarnation}/${part}`;

export const deliveryStreamArn = (partition: string, region: string, account: string, name: string) =>
  `arn:${partition}:firehose:${region}:${account}:deliverystream/${name}`;
