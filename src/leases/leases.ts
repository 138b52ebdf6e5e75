import type { Logger } from 'pino';
import type { MetadataStore, Versioned } from '../store/store.js';
import {
  LAPSE_MARGIN_MS,
  LEASE_PREFIX,
  LEASE_TTL_MS,
  NODE_PREFIX,
  RENEW_INTERVAL_MS,
  SCAN_INTERVAL_MS,
  leaseKey,
  newNodeId,
  nodeKey,
  type LeaseRecord,
  type NodeRecord,
} from './lease-record.js';
import { FencedProgress, LeaseLostError } from './progress.js';

/** What a piece of work gets while its lease is held. */
export interface Lease {
  readonly name: string;
  /** The fencing token: grows with every acquisition of this lease, on whichever node. */
  readonly term: number;
  readonly node: string;
  /** Aborted the moment the lease is lost or handed over: the work stops at once. */
  readonly signal: AbortSignal;
  /** Reads a progress record kept under `key` (LeaseLostError if a later term wrote it). */
  progress<T>(key: string): Promise<T | undefined>;
  /** Writes progress under `key` if this term still holds the lease; LeaseLostError if it moved on. */
  checkpoint<T>(key: string, value: T): Promise<void>;
  /** LeaseLostError unless the store still names this term the holder: check before writing elsewhere. */
  verify(): Promise<void>;
}

/** Runs until `lease.signal` aborts. Resolving or failing on its own hands the lease back (it is tried again later). */
export type LeasedWork = (lease: Lease) => Promise<void>;

/** A lease this node holds, as the health page shows it. */
export interface HeldLease {
  name: string;
  term: number;
  acquiredAt: number;
  expiresAt: number;
}

export interface LeasesOptions {
  /** Defaults to a new id (host, pid, random). */
  node?: string;
  /**
   * Only this process uses the store (the embedded stores): every lease is taken at the first
   * pass, whoever held it before (a previous run of this process), and no presence is published.
   */
  exclusive?: boolean;
  log?: Logger;
  /** The clock leases are timed by (epoch ms); tests drive it. */
  now?: () => number;
  ttlMs?: number;
  renewIntervalMs?: number;
  scanIntervalMs?: number;
  lapseMarginMs?: number;
}

/** How often the scheduler looks at what is due (no store I/O unless something is). */
const TICK_MS = 250;
/** After handing a lease over to balance the load, a node waits this many scans before doing it again. */
const BALANCE_COOLDOWN_SCANS = 5;
/** A work that ignores its abort signal holds a shutdown up no longer than this; its term fences it after. */
const WORK_STOP_GRACE_MS = 5_000;
/** A failed renewal (store unreachable) is tried again this soon, until the lease lapses. */
const RENEW_RETRY_MS = 500;

interface Holding {
  term: number;
  revision: number;
  record: LeaseRecord;
  /** By our clock: the start of the last successful write + TTL. Others may take the lease then. */
  validUntil: number;
  renewDueAt: number;
  controller: AbortController;
}

interface Registration {
  name: string;
  run: LeasedWork;
  holding?: Holding;
  /** The work's promise until it has settled: not started again before. */
  running?: Promise<void>;
  /** Not taken again before this time (the work ended on its own). */
  retryAt?: number;
}

/** Who may take what in one scan: nodes with room go first (see `scan`). */
interface Census {
  /** Leases held by the least loaded other live node that has registered more work than it holds. */
  leastOther: number;
}

/**
 * Named work leases (DESIGN.md "leases"): each registered piece of work runs on exactly one node
 * at a time. A lease is a record `lease/<name>` in the metadata store, taken by compare-and-set
 * when free, released or expired, renewed by compare-and-set while held; a renewal that finds
 * another revision means the lease was taken, and the work is aborted at once. Every acquisition
 * increments the record's `term`, which fences the work's progress records (`Lease.checkpoint`).
 *
 * Fair shares: every node publishes a presence record `lease-node/<id>` (how many names it has
 * registered) with each renewal pass. A node takes a free lease at once while it holds no more
 * than the least loaded other live node with room; otherwise it leaves the lease one scan to
 * such a node and takes it only if it is still free then. A node that holds two or more than the
 * least loaded node with room hands one lease over (at most once per BALANCE_COOLDOWN_SCANS
 * scans), so that a node that joins later gets its share. A node whose lease has lapsed is dead
 * or cut off and is not counted, so its leases are taken at once.
 */
export class Leases {
  readonly node: string;
  private readonly works = new Map<string, Registration>();
  private readonly exclusive: boolean;
  private readonly log?: Logger;
  private readonly now: () => number;
  private readonly ttlMs: number;
  private readonly renewIntervalMs: number;
  private readonly scanIntervalMs: number;
  private readonly lapseMarginMs: number;
  /** Store writes of the scheduler happen one pass at a time. */
  private serial: Promise<unknown> = Promise.resolve();
  private timer?: NodeJS.Timeout;
  private watchdog?: NodeJS.Timeout;
  private stopping?: Promise<void>;
  private nextScanAt = 0;
  private nextPresenceAt = 0;
  private presenceRevision = 0;
  private lastBalanceAt = -Infinity;
  /** Revision of each other-held record when first seen, by our clock (holders whose clock runs slow). */
  private readonly seen = new Map<string, { revision: number; since: number }>();
  /** When this node first saw a lease free that it left to a node with room. */
  private readonly freeSince = new Map<string, number>();

  constructor(
    private readonly meta: MetadataStore,
    options: LeasesOptions = {},
  ) {
    this.node = options.node ?? newNodeId();
    this.exclusive = options.exclusive ?? false;
    this.log = options.log;
    this.now = options.now ?? Date.now;
    this.ttlMs = options.ttlMs ?? LEASE_TTL_MS;
    this.renewIntervalMs = options.renewIntervalMs ?? RENEW_INTERVAL_MS;
    this.scanIntervalMs = options.scanIntervalMs ?? SCAN_INTERVAL_MS;
    this.lapseMarginMs = options.lapseMarginMs ?? LAPSE_MARGIN_MS;
  }

  /** Adds work under a unique name; it starts once this node takes the lease. */
  register(name: string, run: LeasedWork): void {
    if (this.stopping) throw new Error(`cannot register ${name}: the node is stopping`);
    if (this.works.has(name)) throw new Error(`work ${name} is registered already`);
    this.works.set(name, { name, run });
    this.nextScanAt = 0;
  }

  /** Stops the work if it runs here and hands its lease over. */
  unregister(name: string): Promise<void> {
    return this.exclusively(async () => {
      const work = this.works.get(name);
      if (!work) return;
      this.works.delete(name);
      this.freeSince.delete(name);
      await this.handOver(work, 'unregistered');
    });
  }

  /**
   * Makes the registered names under `prefix` exactly `names`, e.g. one lease per Firehose
   * delivery stream from a listing of the store, repeated as streams come and go on any node:
   * a new name gets `work(name)`, a name no longer listed is unregistered (its work stopped).
   */
  async reconcile(prefix: string, names: Iterable<string>, work: (name: string) => LeasedWork): Promise<void> {
    const wanted = new Set([...names].filter((name) => name.startsWith(prefix)));
    for (const name of wanted) if (!this.works.has(name) && !this.stopping) this.register(name, work(name));
    const gone = [...this.works.keys()].filter((name) => name.startsWith(prefix) && !wanted.has(name));
    await Promise.all(gone.map((name) => this.unregister(name)));
  }

  registered(): string[] {
    return [...this.works.keys()].sort();
  }

  held(): HeldLease[] {
    return [...this.works.values()]
      .filter((work) => work.holding)
      .map(({ name, holding }) => ({ name, term: holding!.term, acquiredAt: holding!.record.acquiredAt, expiresAt: holding!.record.expiresAt }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Runs the passes on timers: the first at once. */
  start(): void {
    if (this.timer || this.stopping) return;
    const loop = async () => {
      await this.tick().catch((err) => this.log?.warn({ err }, 'lease pass failed'));
      if (!this.stopping) this.timer = setTimeout(loop, TICK_MS).unref();
    };
    this.timer = setTimeout(loop, 0).unref();
    // Apart from the passes, which may wait on an unreachable store: a lapse is noticed in time.
    this.watchdog = setInterval(() => this.checkLapses(this.now()), TICK_MS).unref();
  }

  /** One pass: lapses, due renewals and presence, and a scan when due. Tests call it with their clock. */
  tick(): Promise<void> {
    return this.exclusively(async () => {
      if (this.stopping) return;
      this.checkLapses(this.now());
      const due = [...this.works.values()].filter((work) => work.holding && this.now() >= work.holding.renewDueAt);
      await Promise.all(due.map((work) => this.renew(work, work.holding!)));
      if (!this.exclusive && this.now() >= this.nextPresenceAt) await this.publishPresence();
      if (this.now() >= this.nextScanAt) await this.scan();
    });
  }

  /** Stops every work and hands its lease over at once (before the store closes). */
  stop(): Promise<void> {
    if (this.stopping) return this.stopping;
    clearTimeout(this.timer);
    clearInterval(this.watchdog);
    this.stopping = this.exclusively(async () => {
      // Presence first: the others then see no node with room left to wait for, and take the
      // released leases at their next scan.
      if (this.presenceRevision) await this.meta.delete(nodeKey(this.node), this.presenceRevision).catch(() => false);
      await Promise.all([...this.works.values()].map((work) => this.handOver(work, 'the node is stopping')));
    });
    return this.stopping;
  }

  private exclusively<T>(pass: () => Promise<T>): Promise<T> {
    const result = this.serial.then(pass);
    this.serial = result.catch(() => {});
    return result;
  }

  private checkLapses(now: number): void {
    for (const work of this.works.values()) {
      if (work.holding && now >= work.holding.validUntil - this.lapseMarginMs) this.lose(work, 'not renewed in time');
    }
  }

  private lose(work: Registration, reason: string): void {
    const holding = work.holding;
    if (!holding) return;
    work.holding = undefined;
    this.log?.warn({ lease: work.name, term: holding.term, node: this.node }, `lease lost: ${reason}`);
    holding.controller.abort(new LeaseLostError(work.name, reason));
  }

  private async renew(work: Registration, holding: Holding): Promise<void> {
    const started = this.now();
    const record: LeaseRecord = { ...holding.record, expiresAt: started + this.ttlMs };
    let revision: number | undefined;
    try {
      revision = await this.meta.put(leaseKey(work.name), record, holding.revision);
    } catch (err) {
      this.log?.warn({ err, lease: work.name }, 'lease renewal failed; retrying until it lapses');
      holding.renewDueAt = this.now() + RENEW_RETRY_MS;
      return;
    }
    if (work.holding !== holding) {
      // It lapsed while the write was on its way: give back what the write just extended.
      if (revision !== undefined) await this.release(work.name, record, revision);
      return;
    }
    if (revision === undefined) return this.lose(work, 'another node took it');
    Object.assign(holding, { revision, record, validUntil: started + this.ttlMs, renewDueAt: started + this.renewIntervalMs });
  }

  private async publishPresence(): Promise<void> {
    const now = this.now();
    this.nextPresenceAt = now + this.renewIntervalMs;
    const record: NodeRecord = { node: this.node, expiresAt: now + this.ttlMs, registered: this.works.size };
    try {
      let revision = await this.meta.put(nodeKey(this.node), record, this.presenceRevision);
      if (revision === undefined) {
        // Removed by another node that thought us gone (or written by a pass that lost its answer).
        const current = await this.meta.get<NodeRecord>(nodeKey(this.node));
        revision = await this.meta.put(nodeKey(this.node), record, current?.revision ?? 0);
      }
      this.presenceRevision = revision ?? 0;
    } catch (err) {
      this.log?.debug({ err }, 'lease presence not published');
    }
  }

  private async scan(): Promise<void> {
    this.nextScanAt = this.now() + this.scanIntervalMs;
    const records = new Map<string, Versioned<LeaseRecord>>();
    for (const entry of await this.meta.list<LeaseRecord>(LEASE_PREFIX)) records.set(entry.key.slice(LEASE_PREFIX.length), entry);
    const census = this.exclusive ? undefined : await this.census(records);
    let mine = this.held().length;
    for (const work of this.works.values()) {
      const now = this.now();
      if (work.holding || work.running || (work.retryAt ?? 0) > now || this.stopping) continue;
      const entry = records.get(work.name);
      if (!this.isFree(work.name, entry, now)) {
        this.freeSince.delete(work.name);
        continue;
      }
      if (census && mine > census.leastOther) {
        // A node with room gets the first chance; if it has not taken it by the next scan, we do.
        const since = this.freeSince.get(work.name);
        if (since === undefined) this.freeSince.set(work.name, now);
        if (since === undefined || now - since < this.scanIntervalMs) continue;
      }
      this.freeSince.delete(work.name);
      if (await this.take(work, entry)) mine++;
    }
    if (census && mine >= census.leastOther + 2 && this.now() - this.lastBalanceAt >= BALANCE_COOLDOWN_SCANS * this.scanIntervalMs) {
      const newest = [...this.works.values()].filter((w) => w.holding).sort((a, b) => b.holding!.record.acquiredAt - a.holding!.record.acquiredAt)[0];
      this.lastBalanceAt = this.now();
      this.log?.info({ lease: newest.name, node: this.node }, 'handing a lease over to a node with less work');
      await this.handOver(newest, 'handed over to balance the load');
    }
    for (const name of this.seen.keys()) if (!records.has(name)) this.seen.delete(name);
  }

  /** Live nodes (fresh presence, no lapsed lease) and how many leases each holds. */
  private async census(records: Map<string, Versioned<LeaseRecord>>): Promise<Census> {
    const now = this.now();
    const load = new Map<string, { held: number; registered: number }>();
    for (const entry of await this.meta.list<NodeRecord>(NODE_PREFIX)) {
      const presence = entry.value;
      if (now < presence.expiresAt) load.set(presence.node, { held: 0, registered: presence.registered });
      // Gone for a whole TTL more: nobody will renew it, so clear it away.
      else if (now >= presence.expiresAt + this.ttlMs) await this.meta.delete(entry.key, entry.revision).catch(() => false);
    }
    const lapsed = new Set<string>();
    for (const { value } of records.values()) {
      if (value.owner === '') continue;
      if (now >= value.expiresAt) lapsed.add(value.owner);
      else if (load.has(value.owner)) load.get(value.owner)!.held++;
    }
    let leastOther = Infinity;
    for (const [node, { held, registered }] of load) {
      if (node === this.node || lapsed.has(node) || registered <= held) continue;
      leastOther = Math.min(leastOther, held);
    }
    return { leastOther };
  }

  private isFree(name: string, entry: Versioned<LeaseRecord> | undefined, now: number): boolean {
    if (!entry) return true;
    const record = entry.value;
    // Our own record while the work does not run here: an answer lost on the way, or a lapse.
    if (this.exclusive || record.owner === '' || record.owner === this.node || now >= record.expiresAt) return true;
    // A holder whose clock runs slow writes expiresAt too far ahead: a record that nobody has
    // renewed for a whole TTL of our clock is abandoned all the same.
    const seen = this.seen.get(name);
    if (!seen || seen.revision !== entry.revision) {
      this.seen.set(name, { revision: entry.revision, since: now });
      return false;
    }
    return now - seen.since >= this.ttlMs;
  }

  private async take(work: Registration, entry: Versioned<LeaseRecord> | undefined): Promise<boolean> {
    const now = this.now();
    const term = (entry?.value.term ?? 0) + 1;
    const record: LeaseRecord = { owner: this.node, term, acquiredAt: now, expiresAt: now + this.ttlMs };
    let revision: number | undefined;
    try {
      revision = await this.meta.put(leaseKey(work.name), record, entry?.revision ?? 0);
    } catch (err) {
      this.log?.warn({ err, lease: work.name }, 'taking a lease failed');
      return false;
    }
    if (revision === undefined) return false; // another node was quicker
    const holding: Holding = {
      term,
      revision,
      record,
      validUntil: now + this.ttlMs,
      renewDueAt: now + this.renewIntervalMs,
      controller: new AbortController(),
    };
    // A lease changing hands is news only where there are several nodes to take it.
    this.log?.[this.exclusive ? 'debug' : 'info']({ lease: work.name, term, node: this.node }, 'lease taken');
    this.begin(work, holding);
    return true;
  }

  private begin(work: Registration, holding: Holding): void {
    work.holding = holding;
    const { signal } = holding.controller;
    const progress = new FencedProgress(this.meta, work.name, leaseKey(work.name), this.node, holding.term, signal);
    const lease: Lease = {
      name: work.name,
      term: holding.term,
      node: this.node,
      signal,
      progress: (key) => progress.read(key),
      checkpoint: (key, value) => progress.write(key, value),
      verify: () => progress.verify(),
    };
    const running: Promise<void> = Promise.resolve()
      .then(() => work.run(lease))
      .then(
        () => this.ended(work, holding, undefined),
        (err) => this.ended(work, holding, err),
      )
      .finally(() => {
        if (work.running === running) work.running = undefined;
      });
    work.running = running;
  }

  /** The work's promise settled: after an abort that is the plan; otherwise the lease goes back. */
  private ended(work: Registration, holding: Holding, err: unknown): void {
    if (holding.controller.signal.aborted) return;
    if (err) this.log?.warn({ err, lease: work.name }, 'leased work failed; handing its lease back');
    else this.log?.info({ lease: work.name }, 'leased work ended; handing its lease back');
    work.retryAt = this.now() + this.scanIntervalMs;
    if (work.holding === holding) {
      work.holding = undefined;
      holding.controller.abort(new LeaseLostError(work.name, 'the work ended'));
      void this.exclusively(() => this.release(work.name, holding.record, holding.revision));
    }
  }

  /** Aborts the work, waits for it to stop, and releases its lease. */
  private async handOver(work: Registration, reason: string): Promise<void> {
    const holding = work.holding;
    if (holding) {
      work.holding = undefined;
      holding.controller.abort(new LeaseLostError(work.name, reason));
    }
    if (work.running) {
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), WORK_STOP_GRACE_MS)));
      if ((await Promise.race([work.running, grace])) === 'late') this.log?.warn({ lease: work.name }, 'leased work did not stop in time');
      clearTimeout(timer);
    }
    if (holding) await this.release(work.name, holding.record, holding.revision);
  }

  /** Marks the lease free (keeping its term, which the next holder increments). */
  private async release(name: string, record: LeaseRecord, revision: number): Promise<void> {
    try {
      await this.meta.put<LeaseRecord>(leaseKey(name), { ...record, owner: '', expiresAt: 0 }, revision);
    } catch (err) {
      this.log?.warn({ err, lease: name }, 'releasing a lease failed; it expires instead');
    }
  }
}
