/**
 * Video resource ARNs (VIDEO-SPEC §2.3): `arn:aws:kinesisvideo:{region}:{account}:{stream|channel}/{name}/{creationMillis}`.
 * The model's ResourceARN pattern admits any partition and resource type; these are the two Millrace has.
 */
export interface ResourceArn {
  partition: string;
  region: string;
  account: string;
  /** `stream` or `channel` (the pattern allows other words; they name nothing). */
  kind: string;
  name: string;
  creationMillis: number;
}

const ARN = /^arn:([a-z\d-]+):kinesisvideo:([a-z0-9-]+):([0-9]+):([a-z]+)\/([a-zA-Z0-9_.-]+)\/([0-9]+)$/;

/** The parts of a well-formed ARN, or undefined. */
export function parseResourceArn(arn: string): ResourceArn | undefined {
  const match = ARN.exec(arn);
  if (!match) return undefined;
  return { partition: match[1], region: match[2], account: match[3], kind: match[4], name: match[5], creationMillis: Number(match[6]) };
}
