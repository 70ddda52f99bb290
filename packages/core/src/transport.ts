/**
 * The Transport contract (docs/spec/delivery.md).
 *
 * - `write(batch)` resolves when the batch is durable by that transport's definition (in memory,
 *   fsync'd, acknowledged by the collector or broker) and rejects when it is not. The logger keeps
 *   the batch and retries with backoff; a transport must accept the same batch again.
 * - A transport never reorders, edits or drops entries, and never throws into the app: errors are
 *   rejections of `write`, which the logger reports through `onError` and `health()`.
 * - Each record carries the canonical `line` (no trailing newline): write it unchanged, so any copy
 *   anywhere verifies on its own.
 */
import { AuditConfigError, AuditTransportError } from './errors.js';
import type { SealedRecord } from './hash-chain.js';
import type { TreeState } from './tree-state.js';
import type { AuditEntry, ChainHead } from './types.js';

/** Where a transport can prove the chain stands, with what it had to repair to get there. */
export interface ResumePoint extends ChainHead {
  /** Goes into the `recovered` record's details (e.g. a torn last line that was set aside). */
  note?: Record<string, unknown>;
  /**
   * The chain's Merkle tree through this entry (a logger with checkpoints asks; see resumeTree()):
   * undefined when the transport cannot tell, and the logger then starts a new chain linked to this one.
   */
  tree?(): TreeState | undefined;
}

/** What the logger lends a transport (Transport.attach). */
export interface TransportContext {
  readonly chainId: string;
  /**
   * Seals a library record into the chain (it reaches every transport, this one included):
   * `retention` when the transport deletes old data, `gap` when entries it had accepted were lost
   * (e.g. its file was deleted under it), `notice` for other events an auditor should see.
   */
  record(kind: 'retention' | 'gap' | 'notice', fields: { reason: string; details?: Record<string, unknown> }): AuditEntry | undefined;
  /** Reports an error through the logger's onError (and health()). */
  reportError(error: Error): void;
  /** With encryption at rest: entries sealed from now on use a new data key (a file transport asks at each new segment). */
  rotateDataKey?(): void;
}

export interface Transport {
  /** Shown in health() and errors. */
  readonly name: string;
  write(batch: readonly SealedRecord[]): Promise<void>;
  /** Resolves when everything written so far is durable. */
  flush?(): Promise<void>;
  /** Releases resources; called once by the logger's close(). */
  close?(): Promise<void>;
  /**
   * Resolves true once nothing the transport does in the background is pending (a spool
   * delivered, compression and retention finished), false when `timeoutMs` (default 30 s) passes
   * first. Never rejects. The same contract for every transport (tests and tools wait on it).
   */
  idle?(timeoutMs?: number): Promise<boolean>;
  /**
   * Called by the logger's close() while it still takes records, before its last flush: finish
   * background work that records in the chain (the file transport's index notices), so those
   * records are sealed and committed like the rest. Bounded by `timeoutMs`; never rejects.
   */
  beforeClose?(timeoutMs: number): Promise<void>;
  /**
   * The last entry this transport can prove it holds, read synchronously when the logger is
   * created; the logger then continues that chain instead of starting a new one.
   */
  resume?(): ResumePoint | undefined;
  /** Called once when the logger is created, after the chain's first record. */
  attach?(context: TransportContext): void;
  /**
   * For transports whose cost is per batch (an fdatasync): under sustained load, the logger starts
   * a batch at most every this many ms, gathering what arrives meanwhile into it. A batch after a
   * quiet spell is written at once; a flush or close never waits. Unset or 0: no gathering.
   */
  readonly gatherMs?: number;
  /**
   * For transports that deliver in the background after `write()` (e.g. from a spool): their own
   * view, merged into the logger's health(). `pending`: entries held but not yet delivered.
   */
  health?(): { status: 'ok' | 'retrying'; lastError?: string; pending?: number };
}

export interface MemoryTransport extends Transport {
  /** Everything delivered, in order. */
  readonly records: readonly SealedRecord[];
  entries(): AuditEntry[];
  lines(): string[];
  clear(): void;
  /** Fails the next `n` writes (rejects with `error`), then works again. */
  failNext(n: number, error?: Error): void;
  /** While down, every write rejects. */
  setDown(down: boolean, error?: Error): void;
  /** Delay each write by `ms` (simulates a slow destination). */
  setDelay(ms: number): void;
  /** How many writes were attempted and how many failed. */
  readonly stats: { writes: number; failures: number };
}

export interface MemoryTransportOptions {
  name?: string;
}

/** An in-memory transport: for tests, and as a reference implementation of the contract. */
export function createMemoryTransport(options: MemoryTransportOptions = {}): MemoryTransport {
  if (options === null || typeof options !== 'object') throw new AuditConfigError('createMemoryTransport: options must be an object');
  if (options.name !== undefined && (typeof options.name !== 'string' || options.name === ''))
    throw new AuditConfigError('createMemoryTransport: name must be a non-empty string', { path: 'name' });
  const records: SealedRecord[] = [];
  let failures = 0;
  let failError: Error | undefined;
  let down: Error | undefined;
  let delay = 0;
  const stats = { writes: 0, failures: 0 };
  const name = options.name ?? 'memory';
  return {
    name,
    records,
    stats,
    async write(batch) {
      stats.writes++;
      if (delay > 0) await new Promise((r) => setTimeout(r, delay));
      if (down) {
        stats.failures++;
        throw down;
      }
      if (failures > 0) {
        failures--;
        stats.failures++;
        throw failError ?? new AuditTransportError(name, `${name}: injected failure`);
      }
      for (const r of batch) records.push(r);
    },
    async flush() {},
    async close() {},
    // Writes complete before they resolve: nothing ever runs in the background.
    async idle() {
      return true;
    },
    entries: () => records.map((r) => r.entry),
    lines: () => records.map((r) => r.line),
    clear: () => {
      records.length = 0;
    },
    failNext(n, error) {
      failures = n;
      failError = error;
    },
    setDown(d, error) {
      down = d ? (error ?? new AuditTransportError(name, `${name}: down`)) : undefined;
    },
    setDelay(ms) {
      delay = ms;
    },
  };
}
