import { AwsError, invalidArgument } from '../../protocol/errors.js';

/**
 * Cross-account access through resource policies (KINESIS-SPEC §1.7, §3.20). Each account sees
 * only its own streams; a stream or consumer of another account is reachable by ARN only when its
 * resource policy allows the caller's account the `kinesis:{Action}`. An explicit Deny wins.
 *
 * What is evaluated: `Effect`, `Principal` (`*`, `{"AWS": "*" | account id | arn:aws:iam::{id}:root
 * | any IAM ARN of that account}`, string or list), `Action`/`NotAction` (`kinesis:*`, globs) and
 * `Resource`/`NotResource` (ARN globs; absent = the policy's resource). Statements carrying a
 * `Condition` never grant — Millrace has no request context to evaluate them against — but a
 * conditional Deny still denies, which errs on the safe side.
 */

export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Principal?: unknown;
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Condition?: unknown;
}

export interface PolicyDocument {
  Version: string;
  Statement: PolicyStatement[];
}

/** Resource policies are at most 20 KiB (IAM's limit for resource-based policies). */
export const MAX_POLICY_BYTES = 20_480;
const POLICY_VERSIONS = ['2012-10-17', '2008-10-17'];

const invalidPolicy = (reason: string) => invalidArgument(`Invalid policy document: ${reason}`);

/** Parses and checks a policy as PutResourcePolicy receives it; throws InvalidArgumentException. */
export function parsePolicy(text: string): PolicyDocument {
  if (Buffer.byteLength(text) > MAX_POLICY_BYTES) throw invalidPolicy(`the policy exceeds the maximum size of ${MAX_POLICY_BYTES} bytes.`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw invalidPolicy('the policy is not valid JSON.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw invalidPolicy('the policy must be a JSON object.');
  const document = parsed as Record<string, unknown>;
  if (typeof document.Version !== 'string') throw invalidPolicy("missing 'Version'.");
  if (!POLICY_VERSIONS.includes(document.Version)) throw invalidPolicy(`unsupported Version '${document.Version}'.`);
  if (document.Statement === undefined) throw invalidPolicy("missing 'Statement'.");
  const statements = Array.isArray(document.Statement) ? document.Statement : [document.Statement];
  if (statements.length === 0) throw invalidPolicy("'Statement' is empty.");
  statements.forEach((raw, i) => checkStatement(raw, i));
  return { Version: document.Version, Statement: statements as PolicyStatement[] };
}

function checkStatement(raw: unknown, i: number): void {
  const where = `Statement[${i}]`;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw invalidPolicy(`${where} must be a JSON object.`);
  const statement = raw as Record<string, unknown>;
  if (statement.Effect !== 'Allow' && statement.Effect !== 'Deny') throw invalidPolicy(`${where}.Effect must be 'Allow' or 'Deny'.`);
  if (statement.Principal === undefined) throw invalidPolicy(`${where} must have a Principal.`);
  const actionKey = statement.Action !== undefined ? 'Action' : statement.NotAction !== undefined ? 'NotAction' : undefined;
  if (!actionKey) throw invalidPolicy(`${where} must have an Action.`);
  for (const action of stringList(statement[actionKey], `${where}.${actionKey}`)) {
    if (action !== '*' && !/^kinesis:[A-Za-z*?]+$/i.test(action)) {
      throw invalidPolicy(`${where}.${actionKey} '${action}' is not a Kinesis action (kinesis:{Action}).`);
    }
  }
  for (const key of ['Resource', 'NotResource']) {
    if (statement[key] !== undefined) stringList(statement[key], `${where}.${key}`);
  }
}

function stringList(value: unknown, where: string): string[] {
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0 || list.some((item) => typeof item !== 'string' || item === '')) {
    throw invalidPolicy(`${where} must be a non-empty string or list of strings.`);
  }
  return list as string[];
}

/** IAM wildcard match: `*` any run, `?` one character; action names compare case-insensitively. */
function globMatch(pattern: string, value: string, ignoreCase: boolean): boolean {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${source}$`, ignoreCase ? 'i' : '').test(value);
}

const asList = (value: unknown): string[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]).filter((v): v is string => typeof v === 'string');

function principalMatches(principal: unknown, account: string): boolean {
  if (principal === '*') return true;
  if (typeof principal !== 'object' || principal === null) return false;
  return asList((principal as Record<string, unknown>).AWS).some(
    (p) => p === '*' || p === account || new RegExp(`^arn:aws[^:]*:(iam|sts)::${account}:`).test(p),
  );
}

function statementApplies(statement: PolicyStatement, account: string, action: string, resourceArn: string): boolean {
  if (!principalMatches(statement.Principal, account)) return false;
  const actionHit = (patterns: string[]) => patterns.some((p) => globMatch(p, action, true));
  if (statement.Action !== undefined ? !actionHit(asList(statement.Action)) : actionHit(asList(statement.NotAction))) return false;
  const resourceHit = (patterns: string[]) => patterns.some((p) => globMatch(p, resourceArn, false));
  if (statement.Resource !== undefined && !resourceHit(asList(statement.Resource))) return false;
  if (statement.NotResource !== undefined && resourceHit(asList(statement.NotResource))) return false;
  return true;
}

/** Whether `policy` lets `account` perform `kinesis:{operation}` on `resourceArn`. */
export function policyAllows(policy: string | undefined, account: string, operation: string, resourceArn: string): boolean {
  if (!policy) return false;
  let document: PolicyDocument;
  try {
    document = parsePolicy(policy);
  } catch {
    return false;
  }
  const action = `kinesis:${operation}`;
  const applying = document.Statement.filter((s) => statementApplies(s, account, action, resourceArn));
  if (applying.some((s) => s.Effect === 'Deny')) return false;
  return applying.some((s) => s.Effect === 'Allow' && s.Condition === undefined);
}

/** The IAM denial of §1.7, worded as AWS words a missing cross-account (resource-based) grant. */
export const accessDenied = (account: string, operation: string, resourceArn: string) =>
  new AwsError(
    'AccessDeniedException',
    `User: arn:aws:iam::${account}:root is not authorized to perform: kinesis:${operation} on resource: ${resourceArn} ` +
      `because no resource-based policy allows the kinesis:${operation} action`,
  );

/**
 * Throws AccessDeniedException unless the caller may reach a resource of `ownerAccount`: its own
 * always, another account's only through that resource's policy. A missing resource of another
 * account is denied the same way, so that other accounts' resources stay invisible.
 */
export function authorize(
  caller: { account: string; operation: string },
  ownerAccount: string,
  resourceArn: string,
  policy: string | undefined,
  exists: boolean,
): void {
  if (caller.account === ownerAccount) return;
  if (!exists || !policyAllows(policy, caller.account, caller.operation, resourceArn)) {
    throw accessDenied(caller.account, caller.operation, resourceArn);
  }
}
