/** ARNs as AWS forms them (KINESIS-SPEC §2.1). */
export function streamArn(region: string, account: string, streamName: string): string {
  return `arn:aws:kinesis:${region}:${account}:stream/${streamName}`;
}

export interface StreamLocation {
  region: string;
  account: string;
  streamName: string;
}

const STREAM_ARN = /^arn:aws[^:]*:kinesis:([^:]*):(\d{12}):stream\/([^/\s]+)/;

/** Reads region, account and stream name from a stream, consumer or resource ARN. */
export function parseStreamArn(arn: string): StreamLocation | undefined {
  const match = STREAM_ARN.exec(arn);
  return match ? { region: match[1], account: match[2], streamName: match[3] } : undefined;
}
