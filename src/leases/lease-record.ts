import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

/**
 * Timing of work leases (DESIGN.md "The family on one endpoint", leases). The product promise is
 * TAKEOVER_BOUND_MS: when the node holding a lease is killed, another node runs the work within
 * it. The holder's last renewal happened at most RENEW_INTERVAL_MS before the kill and set
 * `expiresAt` to that moment + LEASE_TTL_MS, so the lease is free at most LEASE_TTL_MS after the
 * kill; every other node scans at least every SCAN_INTERVAL_MS, so one sees it free at most
 * LEASE_TTL_MS + SCAN_INTERVAL_MS (10 s) after the kill. TAKE_ALLOWANCE_MS is kept for the taking
 * compare-and-set itself (a JetStream KV write is three round trips, retried under contention),
 * and the rest is slack for a loaded machine.
 */
export const TAKEOVER_BOUND_MS = 15_000;
/** Long enough for a JetStream leader election (a few seconds) to pass without losing a lease. */
export const LEASE_TTL_MS = 8_000;
/** A quarter of the TTL: three renewals may fail (or one hang through an election) before the lease lapses. */
export const RENEW_INTERVAL_MS = 2_000;
/** How often a node looks for free or expired leases (one listing of the lease records). */
export const SCAN_INTERVAL_MS = 2_000;
/** Room for the taking write within the bound. */
export const TAKE_ALLOWANCE_MS = 3_000;
if (LEASE_TTL_MS + SCAN_INTERVAL_MS + TAKE_ALLOWANCE_MS > TAKEOVER_BOUND_MS) throw new Error('lease timing breaks TAKEOVER_BOUND_MS');

/**
 * A holder that could not renew stops its work this long before the lease expires, so that it
 * has stopped before another node may take the lease (the term still fences what it writes late).
 */
export const LAPSE_MARGIN_MS = 1_000;

/** Metadata keys: one record per named lease, one presence record per live node (for fair shares). */
export const LEASE_PREFIX = 'lease/';
export const NODE_PREFIX = 'lease-node/';
export const leaseKey = (name: string) => LEASE_PREFIX + name;
export const nodeKey = (node: string) => NODE_PREFIX + node;

/** A named lease as kept in the metadata store. */
export interface LeaseRecord {
  /** The node that holds the lease; '' once released. */
  owner: string;
  /**
   * Incremented by every acquisition (so on every change of owner, and when a node takes back a
   * lease it had lost): the fencing token of the work's progress records.
   */
  term: number;
  /** Epoch ms, by the holder's clock, after which any node may take the lease. */
  expiresAt: number;
  /** Epoch ms at which this term began. */
  acquiredAt: number;
}

/** A node's presence: what the others divide the work by. */
export interface NodeRecord {
  node: string;
  expiresAt: number;
  /** Names this node has registered: a node with none wants no work and is not counted. */
  registered: number;
}

/** Unique per process: the host tells an operator where it runs, the random part survives pid reuse. */
export function newNodeId(): string {
  return `${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`;
}
