/**
 * One transport's delivery lane (docs/spec/delivery.md): its bounded queue, the overflow policy,
 * the gap it owes the chain after dropping entries, batching, retries with backoff, and its health
 * snapshot. The logger seals entries and offers each to every lane; a lane never sees the chain.
 * The shape of OpenTelemetry's BatchSpanProcessorBase: the tracer never sees the batcher.
 */
import { type AuditError, AuditTransportError, AuditUnavailableError } from './errors.js';
import type { SealedRecord } from './hash-chain.js';
import type { Transport } from './transport.js';
import { errorMessage } from './util.js';

export type OverflowPolicy = 'drop-newest' | 'drop-oldest' | 'fail-closed';

export interface TransportHealth {
  name: string;
  status: 'ok' | 'retrying' | 'closed';
  queued: number;
  delivered: number;
  dropped: number;
  failures: number;
  lastError?: string;
  lastErrorAt?: string;
  lastSuccessAt?: string;
}

/** Seqs a lane dropped since its last `gap` record. */
export interface PendingGap {
  from: number;
  to: number;
  count: number;
}

export interface LaneSettings {
  /** Entries held before the overflow policy applies. */
  maxEntries: number;
  /** Entries per write. */
  batchSize: number;
  /** Wait this long for more entries before writing a partial batch (0: next turn). */
  flushIntervalMs: number;
  overflow: OverflowPolicy;
  retryInitialMs: number;
  retryMaxMs: number;
}

export interface LaneHooks {
  report(error: AuditError): void;
  /** A lane that dropped entries has room again: seal the gap records now. */
  gapsDue(): void;
  /** A drain ended (the logger's flush() waits for this). */
  idle(): void;
  /** Must settle before any batch is written (encryption: the data keys of its entries stored); a rejection fails the write. */
  beforeWrite?(): Promise<void> | undefined;
}

export class DeliveryLane {
  readonly transport: Transport;
  readonly #s: LaneSettings;
  readonly #hooks: LaneHooks;
  readonly #queue: SealedRecord[] = [];
  /** Entries at the head of the queue being written now (drop-oldest must not evict them). */
  #inflight = 0;
  #running = false;
  #scheduled = false;
  #delivered = 0;
  #dropped = 0;
  #failures = 0;
  #consecutiveFailures = 0;
  #pendingGap: PendingGap | undefined;
  #lastError: string | undefined;
  #lastErrorAt: string | undefined;
  /** Date.now() of the last delivered batch, formatted when health() asks (a Date per batch cost ~1.3 µs). */
  #lastSuccessMs: number | undefined;
  /** Ends a backoff or gathering sleep early (flush, close). */
  #wake: (() => void) | undefined;
  /** When the last batch started (performance.now()), for Transport.gatherMs. */
  #lastWriteAt = Number.NEGATIVE_INFINITY;
  /** Set by kick() (a flush, close): what waits is written without gathering until the lane is idle. */
  #urgent = false;
  #closed = false;

  constructor(transport: Transport, settings: LaneSettings, hooks: LaneHooks) {
    this.transport = transport;
    this.#s = settings;
    this.#hooks = hooks;
  }

  get closed(): boolean {
    return this.#closed;
  }

  get running(): boolean {
    return this.#running;
  }

  /** Entries waiting (including the batch being written); 0 once closed. */
  get pending(): number {
    return this.#closed ? 0 : this.#queue.length;
  }

  /** How many more entries the queue takes before the overflow policy applies. */
  get room(): number {
    return this.#s.maxEntries - this.#queue.length;
  }

  /**
   * Takes a sealed record. Library records (`internal`) always get in; others obey the overflow
   * policy when the queue is full: dropped (newest, or the oldest not being written) and owed as a gap.
   */
  offer(sealed: SealedRecord, internal: boolean): void {
    if (this.#closed) return;
    const q = this.#queue;
    if (!internal && q.length >= this.#s.maxEntries) {
      if (this.#s.overflow === 'drop-oldest' && q.length > this.#inflight) {
        const [evicted] = q.splice(this.#inflight, 1);
        if (evicted) this.#noteDrop(evicted.entry.seq);
        q.push(sealed);
      } else {
        this.#noteDrop(sealed.entry.seq);
      }
    } else {
      q.push(sealed);
    }
    this.#schedule();
  }

  /** The gap this lane owes the chain, handed over once (the logger seals it). */
  takeGap(): PendingGap | undefined {
    const g = this.#pendingGap;
    this.#pendingGap = undefined;
    return g;
  }

  #noteDrop(seq: number): void {
    this.#dropped++;
    const g = this.#pendingGap;
    if (g) {
      g.from = Math.min(g.from, seq);
      g.to = Math.max(g.to, seq);
      g.count++;
      return;
    }
    this.#pendingGap = { from: seq, to: seq, count: 1 };
    this.#hooks.report(
      new AuditUnavailableError(
        `transport ${this.transport.name}: queue full (${this.#s.maxEntries}); dropping entries (${this.#s.overflow}) and recording a gap`,
      ),
    );
  }

  /** Tries now: ends a backoff or gathering sleep, and starts a drain if entries wait. */
  kick(): void {
    this.#urgent = true;
    this.#wake?.();
    if (this.#queue.length > 0) this.#schedule();
  }

  #schedule(): void {
    if (this.#running || this.#scheduled) return;
    this.#scheduled = true;
    const run = () => {
      this.#scheduled = false;
      void this.#drain();
    };
    if (this.#s.flushIntervalMs > 0 && this.#queue.length < this.#s.batchSize) setTimeout(run, this.#s.flushIntervalMs);
    else setImmediate(run);
  }

  async #drain(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    try {
      while (this.#queue.length > 0 && !this.#closed) {
        await this.#gather();
        if (this.#closed) break;
        await this.#writeBatch();
      }
    } finally {
      this.#running = false;
      this.#inflight = 0;
      this.#urgent = false;
      this.#hooks.idle();
      if (this.#queue.length > 0 && !this.#closed) this.#schedule();
    }
  }

  /**
   * Transport.gatherMs: when the previous batch started less than that long ago and this one is not
   * full, waits out the rest, so that one batch (one fdatasync) covers what arrives meanwhile.
   */
  async #gather(): Promise<void> {
    const g = this.transport.gatherMs;
    if (g === undefined || !(g > 0) || this.#urgent || this.#queue.length >= this.#s.batchSize) return;
    const wait = this.#lastWriteAt + g - performance.now();
    if (wait > 0) await this.#sleep(wait, false);
  }

  /** Writes the head of the queue once; on failure, reports and sleeps the backoff. */
  async #writeBatch(): Promise<void> {
    this.#lastWriteAt = performance.now();
    const batch = this.#queue.slice(0, this.#s.batchSize);
    this.#inflight = batch.length;
    try {
      const gate = this.#hooks.beforeWrite?.();
      if (gate !== undefined) await gate;
      await Promise.resolve().then(() => this.transport.write(batch));
    } catch (err) {
      this.#inflight = 0;
      this.#failures++;
      this.#consecutiveFailures++;
      this.#lastError = errorMessage(err);
      this.#lastErrorAt = new Date().toISOString();
      const n = this.#consecutiveFailures;
      if (n === 1 || n % 100 === 0) {
        const name = this.transport.name;
        this.#hooks.report(new AuditTransportError(name, `transport ${name}: write failed (${n}x): ${this.#lastError}`, { cause: err }));
      }
      await this.#backoff();
      return;
    }
    this.#queue.splice(0, batch.length);
    this.#inflight = 0;
    this.#delivered += batch.length;
    this.#consecutiveFailures = 0;
    this.#lastSuccessMs = Date.now();
    if (this.#pendingGap && this.#queue.length < this.#s.maxEntries) this.#hooks.gapsDue();
  }

  #backoff(): Promise<void> {
    const { retryInitialMs, retryMaxMs } = this.#s;
    const exp = Math.min(retryMaxMs, retryInitialMs * 2 ** Math.min(this.#consecutiveFailures - 1, 30));
    const delay = exp / 2 + Math.random() * (exp / 2); // "equal jitter": never 0, never above the cap
    return this.#sleep(delay, true);
  }

  /** Sleeps `ms`, or until kick() or stop(); `unref`: the timer alone does not keep the process alive. */
  #sleep(ms: number, unref: boolean): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#wake = undefined;
        resolve();
      }, ms);
      // A destination that is down must not keep the process alive; entries gathering must reach it.
      if (unref) (timer as { unref?: () => void }).unref?.();
      this.#wake = () => {
        clearTimeout(timer);
        this.#wake = undefined;
        resolve();
      };
    });
  }

  /** Stops delivering (what is queued stays undelivered) and ends a backoff sleep. */
  stop(): void {
    this.#closed = true;
    this.#wake?.();
  }

  /** Flushes the transport itself once the lane is empty. */
  async flushTransport(): Promise<void> {
    if (!this.#closed) await this.transport.flush?.();
  }

  /** Closes the transport; a failure is reported, never thrown. */
  async closeTransport(): Promise<void> {
    try {
      await this.transport.close?.();
    } catch (err) {
      const name = this.transport.name;
      this.#hooks.report(new AuditTransportError(name, `transport ${name}: close failed: ${errorMessage(err)}`, { cause: err }));
    }
  }

  health(): TransportHealth {
    let own: ReturnType<NonNullable<Transport['health']>> | undefined;
    try {
      own = this.transport.health?.();
    } catch {
      own = undefined;
    }
    const retrying = this.#consecutiveFailures > 0 || own?.status === 'retrying';
    const lastError = this.#consecutiveFailures > 0 ? this.#lastError : (own?.lastError ?? this.#lastError);
    return {
      name: this.transport.name,
      status: this.#closed ? 'closed' : retrying ? 'retrying' : 'ok',
      queued: this.#queue.length + (own?.pending ?? 0),
      delivered: this.#delivered,
      dropped: this.#dropped,
      failures: this.#failures,
      ...(lastError !== undefined ? { lastError } : {}),
      ...(this.#lastErrorAt !== undefined ? { lastErrorAt: this.#lastErrorAt } : {}),
      ...(this.#lastSuccessMs !== undefined ? { lastSuccessAt: new Date(this.#lastSuccessMs).toISOString() } : {}),
    };
  }
}

/** Wakes whoever waits for a lane to go idle (the logger's flush()), or lets them poll. */
export class IdleSignal {
  #waiters: (() => void)[] = [];

  notify(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }

  /** Resolves when a lane goes idle, or after `ms` (polling while a transport retries). */
  wait(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const waiter = () => {
        clearTimeout(t);
        resolve();
      };
      const t = setTimeout(() => {
        // Drop this waiter so they do not pile up.
        const i = this.#waiters.indexOf(waiter);
        if (i >= 0) this.#waiters.splice(i, 1);
        resolve();
      }, ms);
      this.#waiters.push(waiter);
    });
  }
}

/** Seals a `gap` record for each lane that dropped entries (and has room again), so the chain says what is missing. */
export function sealGaps(
  lanes: readonly DeliveryLane[],
  policy: OverflowPolicy,
  seal: (fields: { reason: string; details: Record<string, unknown> }) => void,
): void {
  for (const lane of lanes) {
    const g = lane.takeGap();
    if (!g) continue;
    const name = lane.transport.name;
    seal({
      reason: `transport ${name} dropped ${g.count} entries: queue full (${policy})`,
      details: { transport: name, from: g.from, to: g.to, count: g.count, policy },
    });
  }
}
