import { TokenBucket } from '../../kinesis/domain/throughput.js';

/**
 * The control plane's transaction rates (VIDEO-SPEC §2.4), enforced with --enforce-limits:
 * per account and operation, and per resource (stream or channel) and operation. Counted on each
 * node, as Kinesis's and Firehose's control-plane rates are.
 */

/** §2.4: CreateStream 50 TPS; DescribeStream and GetDataEndpoint 300 TPS; most others 50 TPS; edge 10 TPS (per account). */
export const ACCOUNT_TPS_DEFAULT = 50;
export const ACCOUNT_TPS: Record<string, number> = {
  DescribeStream: 300,
  GetDataEndpoint: 300,
  StartEdgeConfigurationUpdate: 10,
  DescribeEdgeConfiguration: 10,
  DeleteEdgeConfiguration: 10,
  ListEdgeAgentConfigurations: 10,
};
/** §2.4: 5 TPS per stream; edge configuration operations 1 TPS per stream. */
export const RESOURCE_TPS_DEFAULT = 5;
export const RESOURCE_TPS: Record<string, number> = {
  StartEdgeConfigurationUpdate: 1,
  DescribeEdgeConfiguration: 1,
  DeleteEdgeConfiguration: 1,
};
/** Idle buckets are dropped beyond this many, so a long run with many names does not grow without bound. */
const MAX_BUCKETS = 10_000;

/** Only the control plane's own operations are counted here; media operations have limits of their own. */
const CONTROL_RESOURCE_MEMBERS = ['StreamName', 'StreamARN', 'ChannelName', 'ChannelARN', 'ResourceARN'] as const;

export class ControlRates {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(
    private readonly enforced: boolean,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether a call may run now; takes its token when it may. */
  admit(operation: string, account: string, input: Record<string, unknown>, controlOperation = true): boolean {
    if (!this.enforced || !controlOperation) return true;
    const at = this.now();
    const keys: Array<[string, number]> = [[`${account}\n${operation}`, ACCOUNT_TPS[operation] ?? ACCOUNT_TPS_DEFAULT]];
    const resource = CONTROL_RESOURCE_MEMBERS.map((member) => input[member]).find((value) => typeof value === 'string');
    if (resource !== undefined) keys.push([`${account}\n${operation}\n${resource as string}`, RESOURCE_TPS[operation] ?? RESOURCE_TPS_DEFAULT]);
    const buckets = keys.map(([key, rate]) => this.bucket(key, rate, at));
    if (!buckets.every((bucket) => bucket.fits(1, at))) return false;
    for (const bucket of buckets) bucket.take(1, at);
    return true;
  }

  private bucket(key: string, perSecond: number, at: number): TokenBucket {
    let bucket = this.buckets.get(key);
    if (!bucket) {
      if (this.buckets.size >= MAX_BUCKETS) for (const [k, b] of this.buckets) if (b.idle(at)) this.buckets.delete(k);
      bucket = new TokenBucket(perSecond, at);
      this.buckets.set(key, bucket);
    }
    return bucket;
  }
}
