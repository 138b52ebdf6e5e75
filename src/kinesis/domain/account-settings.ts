import type { Store } from '../../store/store.js';
import type { Streams } from './streams.js';

/**
 * Per-account settings (KINESIS-SPEC §3.22): the minimum throughput billing commitment, kept under
 * `account/{account}/settings`. Enabling starts a commitment that cannot end before
 * `EarliestAllowedEndAt`; disabling earlier leaves it ENABLED_UNTIL_EARLIEST_ALLOWED_END, and the
 * status reads DISABLED once that time has passed (computed on read, nothing to sweep).
 */
export type CommitmentStatus = 'ENABLED' | 'DISABLED' | 'ENABLED_UNTIL_EARLIEST_ALLOWED_END';

export interface AccountSettings {
  status: CommitmentStatus;
  startedAt?: number;
  endedAt?: number;
  earliestAllowedEndAt?: number;
}

/** AWS does not publish the minimum commitment period (§3.22 UNVERIFIED); Millrace uses 24 hours. */
export const MINIMUM_COMMITMENT_MS = 24 * 3_600_000;
/** UpdateStreamWarmThroughput's ceiling: 10 GiB/s (§3.24). */
export const MAX_WARM_THROUGHPUT_MIBPS = 10_240;

const settingsKey = (account: string) => `account/${account}/settings`;

/** The settings as they stand now, with an ended commitment window read as DISABLED. */
export function effective(settings: AccountSettings | undefined, now: number): AccountSettings {
  if (!settings) return { status: 'DISABLED' };
  if (settings.status === 'ENABLED_UNTIL_EARLIEST_ALLOWED_END' && settings.endedAt !== undefined && now >= settings.endedAt) {
    return { ...settings, status: 'DISABLED', earliestAllowedEndAt: undefined };
  }
  return settings;
}

export async function readAccountSettings(store: Store, account: string): Promise<AccountSettings> {
  return effective((await store.meta.get<AccountSettings>(settingsKey(account)))?.value, Date.now());
}

/** Compare-and-set update of the commitment; resolves to the stored settings. */
export async function updateCommitment(store: Store, account: string, wanted: 'ENABLED' | 'DISABLED'): Promise<AccountSettings> {
  for (;;) {
    const entry = await store.meta.get<AccountSettings>(settingsKey(account));
    const now = Date.now();
    const current = effective(entry?.value, now);
    let next: AccountSettings;
    if (wanted === 'ENABLED') {
      next =
        current.status === 'DISABLED'
          ? { status: 'ENABLED', startedAt: now, earliestAllowedEndAt: now + MINIMUM_COMMITMENT_MS }
          : { status: 'ENABLED', startedAt: current.startedAt, earliestAllowedEndAt: current.earliestAllowedEndAt };
    } else if (current.status === 'DISABLED') {
      next = current;
    } else if (current.earliestAllowedEndAt !== undefined && now < current.earliestAllowedEndAt) {
      next = { ...current, status: 'ENABLED_UNTIL_EARLIEST_ALLOWED_END', endedAt: current.earliestAllowedEndAt };
    } else {
      next = { status: 'DISABLED', startedAt: current.startedAt, endedAt: now };
    }
    if ((await store.meta.put(settingsKey(account), next, entry?.revision ?? 0)) !== undefined) return next;
  }
}

/** The API's MinimumThroughputBillingCommitment structure. */
export function describeCommitment(settings: AccountSettings) {
  const date = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms));
  return {
    MinimumThroughputBillingCommitment: {
      Status: settings.status,
      StartedAt: date(settings.startedAt),
      EndedAt: date(settings.endedAt),
      EarliestAllowedEndAt: date(settings.earliestAllowedEndAt),
    },
  };
}

/** UpdateStreamWarmThroughput's pending change: the stream reaches the target as UPDATING ends (§3.24). */
export const WARM_THROUGHPUT_CHANGE = 'warm-throughput';

export function registerWarmThroughput(streams: Streams): void {
  streams.onPending(WARM_THROUGHPUT_CHANGE, async (stream, change) => ({ ...stream, warmThroughputMiBps: change.targetMiBps as number }));
}
