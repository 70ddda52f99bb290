/**
 * createAuditLogger's options, checked and resolved in named steps at creation (pino does the
 * same): settings, the service block, and where the chain starts (new, resumed, or linked).
 */

import type { CheckpointOptions } from './checkpointer.js';
import type { AuditClock } from './clock.js';
import { createSystemClock } from './clock.js';
import type { LaneSettings, OverflowPolicy } from './delivery-lane.js';
import type { EncryptionOptions } from './encryption.js';
import { AuditConfigError, AuditError, AuditHookError, AuditTransportError } from './errors.js';
import type { ForwardSecureOptions } from './forward-secure.js';
import { type AuditKey, type ResolvedKey, resolveKey } from './hash.js';
import type { EntryBody } from './hash-chain.js';
import { CHAIN_ID_PATTERN, type SealedRecord } from './hash-chain.js';
import { enumOption, intOption } from './options.js';
import { nodeProcess, randomId } from './platform.js';
import type { RedactionOptions } from './redact.js';
import type { ErasureOptions } from './subjects.js';
import type { ResumePoint, Transport, TransportContext } from './transport.js';
import type { Actor, AuditEntry, ChainHead, EntryKind, ServiceInfo } from './types.js';
import { errorMessage, isPlainObject } from './util.js';
import { CORE_VERSION } from './version.js';

export interface AuditLoggerOptions {
  /** Names the service in every entry. `name` is required. */
  service: ServiceInfo;
  /** Where sealed entries go. At least one. */
  transports: Transport[];
  chain?: {
    /** Chain id; default a random UUID per logger (one chain per process lifetime). */
    id?: string;
    /** HMAC-SHA256 key: entries then carry `kid` and only key holders can recompute hashes. */
    hmacKey?: AuditKey;
    /**
     * A forward-secure keyed chain instead (docs/spec/hash-chain.md): the key evolves every epoch
     * and the old one is erased; a key stolen at epoch e cannot forge an earlier entry.
     */
    forwardSecure?: ForwardSecureOptions;
    /** Head of the previous chain (e.g. the last process's), linked from this chain's genesis. */
    previous?: ChainHead;
    /**
     * Continue this chain after the given entry instead of starting a new one. With checkpoints,
     * give the tree too (`tree()`, see resumeTree()), or a new linked chain starts.
     */
    resume?: ResumePoint;
    /** Continue the chain a transport can prove it holds (Transport.resume). Default true. */
    resumeFromTransports?: boolean;
  };
  redact?: RedactionOptions;
  queue?: {
    /** Entries held per transport before the overflow policy applies. Default 10000. */
    maxEntries?: number;
    /** Entries per write. Default 256. */
    batchSize?: number;
    /** Wait this long for more entries before writing a partial batch. Default 0 (next tick). */
    flushIntervalMs?: number;
    /** Default 'drop-newest'. */
    overflow?: OverflowPolicy;
  };
  retry?: {
    /** First backoff. Default 100 ms. */
    initialDelayMs?: number;
    /** Backoff cap. Default 30000 ms. */
    maxDelayMs?: number;
  };
  /** Time source; default wall time at start + monotonic offset (see clock.ts). */
  clock?: AuditClock;
  /** Actor used when record() gets none. Default { type: 'system' }. */
  defaultActor?: Actor;
  /** Called with every error the logger handles (AuditError subclasses). Must not throw. */
  onError?: (error: AuditError) => void;
  /** Throw from record() on bad input instead of writing a `rejected` entry. For tests. Default false. */
  strict?: boolean;
  /** Called synchronously with every sealed record, in chain order (test capture, metrics). Must not throw. */
  onSealed?: (record: SealedRecord) => void;
  /** Write the process id into the genesis record. Default true (the test kit turns it off for determinism). */
  processInfo?: boolean;
  /** Flush on SIGTERM / SIGINT / beforeExit. Default true. */
  handleSignals?: boolean;
  /** Bound on flushes run by shutdown hooks. Default 5000 ms. */
  shutdownTimeoutMs?: number;
  /** A Merkle tree over the chain and signed checkpoints (docs/spec/checkpoints.md). Off by default. */
  checkpoints?: CheckpointOptions;
  /**
   * After this long without a record, a `heartbeat` record is sealed, so that silence can be told
   * from loss (verifiers report longer silences). Default 300000 ms (5 minutes); 0 = off.
   */
  heartbeatMs?: number;
  /**
   * Encrypt the content of app entries at rest (docs/encryption.md): sealed before hashing, so the
   * chain, checkpoints and proofs verify without the key. Off by default.
   */
  encryption?: EncryptionOptions;
  /**
   * Erasure without breaking the proof (docs/encryption.md §Erasure): each app entry's personal
   * fields sealed under a key of its subject (the actor), destroyed by eraseSubject(). Off by default.
   */
  erasure?: ErasureOptions;
}

const SERVICE_LIMITS: Record<string, number> = { name: 256, version: 128, env: 64, host: 256, instance: 256 };

/** The service block, checked, in canonical key order (the fast sealing path needs it). */
export function resolveService(s: unknown): ServiceInfo {
  if (!isPlainObject(s) || typeof s.name !== 'string' || s.name === '')
    throw new AuditConfigError('service.name is required', { path: 'service.name' });
  for (const k of Object.keys(s)) {
    const max = SERVICE_LIMITS[k];
    if (max === undefined)
      throw new AuditConfigError(`service.${k} is not a known field (name, version, env, host, instance)`, { path: `service.${k}` });
    const v = s[k];
    if (typeof v !== 'string' || v.length > max || !v.isWellFormed())
      throw new AuditConfigError(`service.${k} must be a string of at most ${max} characters`, { path: `service.${k}` });
  }
  const sorted: Record<string, unknown> = {};
  for (const k of Object.keys(s).sort()) sorted[k] = s[k];
  return Object.freeze(sorted) as unknown as ServiceInfo;
}

export function checkTransports(transports: unknown): Transport[] {
  if (!Array.isArray(transports) || transports.length === 0)
    throw new AuditConfigError('transports must list at least one transport', { path: 'transports' });
  transports.forEach((t, i) => {
    if (t === null || typeof t !== 'object' || typeof t.write !== 'function')
      throw new AuditConfigError(`transports[${i}] must have a write(batch) method`, { path: `transports[${i}]` });
  });
  return transports as Transport[];
}

const POLICIES: readonly OverflowPolicy[] = ['drop-newest', 'drop-oldest', 'fail-closed'];

/** Queue and retry settings of every delivery lane. */
export function resolveLaneSettings(o: AuditLoggerOptions): LaneSettings {
  const q = o.queue ?? {};
  const overflow = enumOption(q.overflow, POLICIES, 'drop-newest', 'queue.overflow');
  return {
    maxEntries: intOption(q.maxEntries, 10000, 1, 'queue.maxEntries'),
    batchSize: intOption(q.batchSize, 256, 1, 'queue.batchSize'),
    flushIntervalMs: intOption(q.flushIntervalMs, 0, 0, 'queue.flushIntervalMs'),
    overflow,
    retryInitialMs: intOption(o.retry?.initialDelayMs, 100, 1, 'retry.initialDelayMs'),
    retryMaxMs: intOption(o.retry?.maxDelayMs, 30000, 1, 'retry.maxDelayMs'),
  };
}

export function resolveClock(clock: unknown): AuditClock {
  if (clock === undefined) return createSystemClock();
  if (typeof (clock as AuditClock | null)?.nowMicros !== 'function')
    throw new AuditConfigError('clock must have nowMicros()', { path: 'clock' });
  return clock as AuditClock;
}

/** Where the chain starts: a new chain (maybe linking a previous head), or a resumed one. */
export interface ChainStart {
  id: string;
  key: ResolvedKey | undefined;
  resume: ResumePoint | undefined;
  previous: ChainHead | undefined;
}

function checkPrevious(prev: unknown): ChainHead | undefined {
  if (prev === undefined) return undefined;
  const p = prev as Partial<ChainHead>;
  if (
    !isPlainObject(prev) ||
    typeof p.chain !== 'string' ||
    !Number.isSafeInteger(p.seq) ||
    typeof p.hash !== 'string' ||
    !/^[0-9a-f]{64}$/.test(p.hash)
  )
    throw new AuditConfigError('chain.previous must be { chain, seq, hash }', { path: 'chain.previous' });
  return { chain: p.chain, seq: p.seq as number, hash: p.hash };
}

/**
 * An explicit chain.resume, else the first transport that can prove a head. A transport head from
 * another chain than an explicitly configured chain.id is not resumed: the new chain's genesis
 * links it instead (docs/spec/hash-chain.md §Chain).
 */
export function resolveChainStart(o: AuditLoggerOptions, transports: Transport[]): ChainStart {
  const c = o.chain ?? {};
  if (c.hmacKey !== undefined && c.forwardSecure !== undefined)
    throw new AuditConfigError('chain.hmacKey and chain.forwardSecure are two ways to key a chain: choose one', {
      path: 'chain.forwardSecure',
    });
  const key = c.hmacKey === undefined ? undefined : resolveKey(c.hmacKey, 'chain.hmacKey');
  let resume: ResumePoint | undefined = c.resume;
  let previous: ChainHead | undefined = c.previous;
  if (resume === undefined && c.resumeFromTransports !== false) {
    for (const t of transports) {
      const head = t.resume?.();
      if (head === undefined) continue;
      if (c.id !== undefined && c.id !== head.chain) previous ??= { chain: head.chain, seq: head.seq, hash: head.hash };
      else resume = head;
      break;
    }
  }
  const id = resume?.chain ?? c.id ?? randomId();
  if (typeof id !== 'string' || !CHAIN_ID_PATTERN.test(id))
    throw new AuditConfigError('chain.id must be 1-128 characters of A-Z a-z 0-9 . _ : -', { path: 'chain.id' });
  if (c.id !== undefined && c.resume !== undefined && c.id !== c.resume.chain)
    throw new AuditConfigError(`chain.id ${c.id} differs from the chain to resume (${c.resume.chain})`, { path: 'chain.id' });
  return { id, key, resume, previous: resume === undefined ? checkPrevious(previous) : previous };
}

/** Names the library in genesis and recovered records. */
const LIB = `auditready/${CORE_VERSION}`;

/** The chain's first record of a logger: genesis of a new chain, or `recovered` for a resumed one. */
export function firstRecord(
  start: ChainStart,
  processInfo: boolean,
  forwardSecure?: { id: string; start: string; epochMs: number },
  heartbeatMs = 0,
): { kind: 'genesis' | 'recovered'; fields: Partial<EntryBody> } {
  const hb = heartbeatMs > 0 ? { heartbeatMs } : {};
  const { resume, previous: prev, key } = start;
  if (resume === undefined) {
    return {
      kind: 'genesis',
      fields: {
        details: {
          library: LIB,
          hash: key || forwardSecure ? 'hmac-sha256' : 'sha256',
          ...(forwardSecure ? { forwardSecure } : {}),
          ...hb,
          ...(prev ? { previous: { chain: prev.chain, seq: prev.seq, hash: prev.hash } } : {}),
          ...(processInfo && nodeProcess?.pid !== undefined ? { pid: nodeProcess.pid } : {}),
        },
      },
    };
  }
  return {
    kind: 'recovered',
    fields: {
      details: { ...resume.note, library: LIB, resumedAfter: { seq: resume.seq, hash: resume.hash }, ...hb },
      reason: resume.note ? 'chain resumed by a new logger after repairing its log' : 'chain resumed by a new logger',
    },
  };
}

/** The TransportContext a logger lends its transports: `seal` seals a library record (undefined once closed). */
export function transportContext(
  chainId: string,
  hooks: { seal(kind: EntryKind, fields: Partial<EntryBody>): AuditEntry | undefined; report(e: AuditError): void; rotateDataKey(): void },
): TransportContext {
  return {
    chainId,
    rotateDataKey: () => hooks.rotateDataKey(),
    record: (kind, fields) => {
      try {
        return hooks.seal(kind, { reason: fields.reason, ...(fields.details ? { details: fields.details } : {}) });
      } catch (err) {
        hooks.report(new AuditHookError(`a transport's ${kind} record could not be sealed: ${errorMessage(err)}`, { cause: err }));
        return undefined;
      }
    },
    reportError: (err) =>
      hooks.report(err instanceof AuditError ? err : new AuditTransportError('transport', errorMessage(err), { cause: err })),
  };
}
