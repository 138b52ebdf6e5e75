/**
 * DirectPut throughput quotas per delivery stream (FIREHOSE-SPEC §5, §16), enforced only with
 * `--enforce-limits`, as kinesis/domain/throughput.ts does for shards: token buckets holding one
 * second of their rate, refilled continuously. A request that finds too few tokens takes none.
 * State is this process's: several nodes each enforce the quotas on what they serve.
 */

const MiB = 1024 * 1024;

/** §5: us-east-1, us-west-2 and eu-west-1 get the large quota, other regions the small one. */
export const LARGE_QUOTA_REGIONS: ReadonlySet<string> = new Set(['us-east-1', 'us-west-2', 'eu-west-1']);
export const LARGE_QUOTA = { recordsPerSecond: 500_000, requestsPerSecond: 2_000, bytesPerSecond: 5 * MiB };
export const SMALL_QUOTA = { recordsPerSecond: 100_000, requestsPerSecond: 1_000, bytesPerSecond: 1 * MiB };

class Bucket {
  private tokens: number;
  private at: number;
  constructor(private readonly perSecond: number, now: number) {
    this.tokens = perSecond;
    this.at = now;
  }
  private refill(now: number): void {
    this.tokens = Math.min(this.perSecond, this.tokens + ((now - this.at) / 1000) * this.perSecond);
    this.at = now;
  }
  /** Room for `amount` now: a full bucket admits one oversize request (it goes into debt). */
  has(amount: number, now: number): boolean {
    this.refill(now);
    return this.tokens >= amount || this.tokens >= this.perSecond;
  }
  take(amount: number): void {
    this.tokens -= amount;
  }
}

/**
 * §4 "Rate limits" / §16: every control-plane operation 5 TPS (hard), counted here per account
 * and operation; whether AWS counts per account or per stream is UNVERIFIED.
 */
export const CONTROL_PLANE_TPS = 5;
export const CONTROL_PLANE_OPERATIONS: ReadonlySet<string> = new Set([
  'CreateDeliveryStream',
  'DeleteDeliveryStream',
  'DescribeDeliveryStream',
  'ListDeliveryStreams',
  'UpdateDestination',
  'TagDeliveryStream',
  'UntagDeliveryStream',
  'ListTagsForDeliveryStream',
  'StartDeliveryStreamEncryption',
  'StopDeliveryStreamEncryption',
]);

interface StreamBuckets {
  records: Bucket;
  requests: Bucket;
  bytes: Bucket;
}

export class PutThroughput {
  private readonly streams = new Map<string, StreamBuckets>();
  private readonly control = new Map<string, Bucket>();

  constructor(
    readonly enforced: boolean,
    private readonly now: () => number = Date.now,
  ) {}

  private bucketsOf(streamArn: string, region: string, now: number): StreamBuckets {
    let buckets = this.streams.get(streamArn);
    if (!buckets) {
      const quota = LARGE_QUOTA_REGIONS.has(region) ? LARGE_QUOTA : SMALL_QUOTA;
      buckets = { records: new Bucket(quota.recordsPerSecond, now), requests: new Bucket(quota.requestsPerSecond, now), bytes: new Bucket(quota.bytesPerSecond, now) };
      this.streams.set(streamArn, buckets);
    }
    return buckets;
  }

  /**
   * PutRecordBatch: how many of the records (their sizes in order) fit, each taking its record
   * and bytes tokens; undefined when the request rate itself is exceeded (the whole call is refused).
   * The records that fit are a leading run, as AWS answers: "FailedPutCount":450 with the first 50
   * stored and every later entry ServiceUnavailableException "Slow down." (boto/boto3#2804;
   * amazon-kinesis-agent#29 logs records 433, 434, … failing).
   */
  admitBatch(streamArn: string, region: string, sizes: readonly number[]): number | undefined {
    if (!this.enforced) return sizes.length;
    const now = this.now();
    const buckets = this.bucketsOf(streamArn, region, now);
    if (!buckets.requests.has(1, now)) return undefined;
    buckets.requests.take(1);
    let admitted = 0;
    for (const size of sizes) {
      if (!buckets.records.has(1, now) || !buckets.bytes.has(size, now)) break;
      buckets.records.take(1);
      buckets.bytes.take(size);
      admitted++;
    }
    return admitted;
  }

  /** Whether a put of `records` records and `bytes` bytes fits; if it does, its tokens are taken. */
  admit(streamArn: string, region: string, records: number, bytes: number): boolean {
    if (!this.enforced) return true;
    const now = this.now();
    const buckets = this.bucketsOf(streamArn, region, now);
    if (!buckets.requests.has(1, now) || !buckets.records.has(records, now) || !buckets.bytes.has(bytes, now)) return false;
    buckets.requests.take(1);
    buckets.records.take(records);
    buckets.bytes.take(bytes);
    return true;
  }

  /** Whether a control-plane call fits its operation's 5 TPS; if it does, it is counted. */
  admitControlCall(operation: string, account: string): boolean {
    if (!this.enforced || !CONTROL_PLANE_OPERATIONS.has(operation)) return true;
    const now = this.now();
    const key = `${account}\n${operation}`;
    let bucket = this.control.get(key);
    if (!bucket) {
      bucket = new Bucket(CONTROL_PLANE_TPS, now);
      this.control.set(key, bucket);
    }
    if (!bucket.has(1, now)) return false;
    bucket.take(1);
    return true;
  }

  /** A deleted stream's buckets go with it. */
  forget(streamArn: string): void {
    this.streams.delete(streamArn);
  }
}
