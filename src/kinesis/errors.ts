import { invalidArgument, limitExceeded, resourceInUse, resourceNotFound } from '../protocol/errors.js';

/** Kinesis error texts recorded against AWS (KINESIS-SPEC §3 "Common messages", §2.2, §3.7). */
export const streamNotFound = (name: string, account: string) =>
  resourceNotFound(`Stream ${name} under account ${account} not found.`);

export const streamExists = (name: string, account: string) =>
  resourceInUse(`Stream ${name} under account ${account} already exists.`);

export const streamNotActive = (name: string, account: string, status: string) =>
  resourceInUse(`Stream ${name} under account ${account} not ACTIVE, instead in state ${status}`);

export const shardLimitExceeded = (account: string, region: string, open: number, limit: number, additional: number) =>
  limitExceeded(
    `This request would exceed the shard limit for the account ${account} in ${region}. ` +
      `Current shard count for the account: ${open}. Limit: ${limit}. ` +
      `Number of additional shards that would have resulted from this request: ${additional}. ` +
      'Refer to the AWS Service Limits page (http://docs.aws.amazon.com/general/latest/gr/aws_service_limits.html) ' +
      'for current limits and how to request higher limits.',
  );

/** A shard id that does not parse, or a shard the stream does not have (SplitShard, MergeShards). */
export const couldNotFindShard = (shardId: string, stream: string, account: string) =>
  resourceNotFound(`Could not find shard ${shardId} in stream ${stream} under account ${account}.`);

/** GetShardIterator and GetRecords word a missing shard differently (§3.7, §3.8). */
export const shardDoesNotExist = (shardId: string, stream: string, account: string) =>
  resourceNotFound(`Shard ${shardId} in stream ${stream} under account ${account} does not exist`);

export const noStreamIdentifier = () => invalidArgument('Neither streamArn or streamName was provided');
