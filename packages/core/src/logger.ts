/**
 * createAuditLogger: the pipeline of docs/spec/delivery.md.
 *
 *   record(): build -> redact (copy) -> validate (ajv) -> canonicalize + seal (chain) -> enqueue
 *
 * record() is synchronous and returns the sealed entry. Each transport has its own bounded queue
 * drained in batches; failed writes are retried with exponential backoff and jitter. When a queue
 * is full the overflow policy decides: drop the newest or oldest entries for that transport (and
 * a `gap` record in the chain says which seqs and why), or fail closed (record() throws
 * AuditUnavailableError so the caller can refuse to serve unaudited).
 */
import { type AuditClock, type ClockStep, createSystemClock, formatMicros } from './clock.js';
import {
  AuditClosedError,
  AuditConfigError,
  AuditError,
  AuditHookError,
  AuditInputError,
  AuditSchemaError,
  AuditTransportError,
  AuditUnavailableError,
} from './errors.js';
import { type AuditKey, resolveKey } from './hash.js';
import { CHAIN_ID_PATTERN, type EntryBody, HashChain, type SealedRecord } from './hash-chain.js';
import { CLOCK_STEP, ROOM, SEAL_AT, SEAL_REJECTED } from './internal.js';
import { nodeProcess, randomId } from './platform.js';
import { type CompiledRedaction, compileRedaction, type RedactionOptions, redactBody } from './redact.js';
import { checkBody, getEntryValidator } from './schema.js';
import { registerShutdown, unregisterShutdown } from './shutdown.js';
import type { ResumePoint, Transport, TransportContext } from './transport.js';
import type { Actor, AuditEntry, AuditRecordInput, ChainHead, EntryKind, Outcome, ServiceInfo } from './types.js';

export type OverflowPolicy = 'drop-newest' | 'drop-oldest' | 'fail-closed';

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
    /** Head of the previous chain (e.g. the last process's), linked from this chain's genesis. */
    previous?: ChainHead;
    /** Continue this chain after the given entry instead of starting a new one. */
    resume?: ChainHead;
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
}

export interface FlushResult {
  /** True when every transport holds every entry recorded before the call. */
  ok: boolean;
  /** Entries still queued (not yet durable) when the call returned. */
  pending: number;
}

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

export interface AuditHealth {
  /** ok: all transports delivering; degraded: retrying or entries dropped/rejected; closed. */
  status: 'ok' | 'degraded' | 'closed';
  /** False when record() would throw AuditUnavailableError (fail-closed and a queue is full) or after close. */
  accepting: boolean;
  overflow: OverflowPolicy;
  chain: { id: string; head?: ChainHead; keyId?: string };
  recorded: number;
  rejected: number;
  transports: TransportHealth[];
}

export interface WrapOptions<A extends unknown[], R> {
  action: string;
  kind?: 'event' | 'access';
  actor?: Actor | ((...args: A) => Actor | undefined);
  resource?: AuditRecordInput['resource'] | ((...args: A) => AuditRecordInput['resource']);
  /** Extra details from the arguments and (on success) the result. */
  details?: (args: A, result: R | undefined, error: unknown) => Record<string, unknown> | undefined;
  /** Decide the outcome of a thrown error. Default: denied for 401/403-like errors, else failure. */
  classify?: (error: unknown) => Outcome;
}

export interface AuditLogger {
  /** Builds, redacts, validates, seals and enqueues an entry; returns it sealed. */
  record(input: AuditRecordInput): AuditEntry;
  /**
   * Like record(), for callers on a hot path that do not need the sealed entry back (framework
   * middleware): the timestamp is taken now and the entry's place in the chain is fixed now (any
   * later record() seals it first), but building, redaction, validation and sealing happen in one
   * batch before the next delivery — cheaper, as the same code runs for many entries in a row. The
   * input is read then: do not change its objects afterwards. Throws like record() when closed or
   * failing closed; bad input becomes a `rejected` entry and onError, as with record().
   */
  recordLater(input: AuditRecordInput): void;
  /** Wraps a sync or async function: records success / failure / denied with duration, rethrows. */
  wrap<A extends unknown[], R>(fn: (...args: A) => R, options: WrapOptions<A, R>): (...args: A) => R;
  /** Resolves when every transport holds everything recorded so far, or at the timeout. Never rejects. */
  flush(options?: { timeoutMs?: number }): Promise<FlushResult>;
  /** Flush, then close transports. Later record() calls throw AuditClosedError. Never rejects. */
  close(options?: { timeoutMs?: number }): Promise<FlushResult>;
  health(): AuditHealth;
  /** Cheap form of health().accepting, for a per-request fail-closed check. */
  accepting(): boolean;
  /** Reports an error through onError (for adapters: a resolver that threw, ...). Never throws. */
  reportError(error: unknown): void;
  readonly chainId: string;
}

interface Lane {
  transport: Transport;
  queue: SealedRecord[];
  inflight: number;
  running: boolean;
  scheduled: boolean;
  delivered: number;
  dropped: number;
  failures: number;
  consecutiveFailures: number;
  pendingGap: { from: number; to: number; count: number } | undefined;
  lastError?: string;
  lastErrorAt?: string;
  lastSuccessAt?: string;
  wake: (() => void) | undefined;
  closed: boolean;
}

const OUTCOMES: readonly Outcome[] = ['success', 'failure', 'denied', 'error', 'aborted'];
const LIB = 'auditready/0.1.0';

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const p = Object.getPrototypeOf(v);
  return p === Object.prototype || p === null;
}

function int(v: unknown, fallback: number, min: number, where: string): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min)
    throw new AuditConfigError(`${where} must be an integer >= ${min}`, { path: where });
  return v;
}

function validateService(s: unknown): ServiceInfo {
  if (!isPlainObject(s) || typeof s.name !== 'string' || s.name === '')
    throw new AuditConfigError('service.name is required', { path: 'service.name' });
  for (const k of Object.keys(s)) {
    if (!['name', 'version', 'env', 'host', 'instance'].includes(k))
      throw new AuditConfigError(`service.${k} is not a known field (name, version, env, host, instance)`, { path: `service.${k}` });
    const max = { name: 256, version: 128, env: 64, host: 256, instance: 256 }[k] ?? 0;
    const v = s[k];
    if (typeof v !== 'string' || v.length > max || !v.isWellFormed())
      throw new AuditConfigError(`service.${k} must be a string of at most ${max} characters`, { path: `service.${k}` });
  }
  // Sorted copy: entries carry it as is, and the fast sealing path needs canonical key order.
  const sorted: Record<string, unknown> = {};
  for (const k of Object.keys(s).sort()) sorted[k] = s[k];
  return sorted as unknown as ServiceInfo;
}

function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  try {
    return String(err);
  } catch {
    return 'unprintable error';
  }
}

/** Default outcome of a thrown error: denied for 401/403-like errors, else failure. */
export function classifyError(err: unknown): Outcome {
  if (err !== null && typeof err === 'object') {
    const e = err as { status?: unknown; statusCode?: unknown; name?: unknown; code?: unknown };
    const status = typeof e.status === 'number' ? e.status : typeof e.statusCode === 'number' ? e.statusCode : undefined;
    if (status === 401 || status === 403) return 'denied';
    if (typeof e.name === 'string' && /forbidden|unauthori[sz]ed|accessdenied|permissiondenied|notallowed/i.test(e.name)) return 'denied';
    if (e.code === 'EACCES' || e.code === 'EPERM') return 'denied';
  }
  return 'failure';
}

/** Logger.wrap for any AuditLogger (the worker bridge uses it too). */
export function wrapWith<A extends unknown[], R>(logger: AuditLogger, fn: (...args: A) => R, opts: WrapOptions<A, R>): (...args: A) => R {
  if (typeof fn !== 'function') throw new AuditConfigError('wrap(fn, options): fn must be a function', { path: 'fn' });
  if (!isPlainObject(opts) || typeof opts.action !== 'string' || opts.action === '')
    throw new AuditConfigError('wrap(fn, options): options.action is required', { path: 'action' });
  const classify = opts.classify ?? classifyError;
  const finish = (args: A, started: number, outcome: Outcome, result: R | undefined, error: unknown) => {
    try {
      const durationMs = Math.round((performance.now() - started) * 1000) / 1000;
      let actor: Actor | undefined;
      let resource: AuditRecordInput['resource'];
      let extra: Record<string, unknown> | undefined;
      const hookErrors: string[] = [];
      try {
        actor = typeof opts.actor === 'function' ? opts.actor(...args) : opts.actor;
      } catch (e) {
        hookErrors.push(`actor resolver threw: ${errorMessage(e)}`);
        logger.reportError(new AuditHookError(`wrap(${opts.action}): actor resolver threw: ${errorMessage(e)}`, { cause: e }));
      }
      try {
        resource = typeof opts.resource === 'function' ? opts.resource(...args) : opts.resource;
      } catch (e) {
        hookErrors.push(`resource resolver threw: ${errorMessage(e)}`);
        logger.reportError(new AuditHookError(`wrap(${opts.action}): resource resolver threw: ${errorMessage(e)}`, { cause: e }));
      }
      try {
        extra = opts.details?.(args, result, error);
      } catch (e) {
        hookErrors.push(`details resolver threw: ${errorMessage(e)}`);
        logger.reportError(new AuditHookError(`wrap(${opts.action}): details resolver threw: ${errorMessage(e)}`, { cause: e }));
      }
      const details: Record<string, unknown> = { ...extra, durationMs };
      if (error !== undefined) {
        const e = error as { name?: unknown; code?: unknown };
        details.error = {
          ...(typeof e?.name === 'string' ? { name: e.name } : {}),
          ...(typeof e?.code === 'string' || typeof e?.code === 'number' ? { code: e.code } : {}),
        };
      }
      if (hookErrors.length > 0) details.auditErrors = hookErrors;
      logger.record({
        kind: opts.kind ?? 'event',
        action: opts.action,
        outcome,
        ...(actor ? { actor } : {}),
        ...(resource ? { resource } : {}),
        ...(error !== undefined ? { reason: errorMessage(error).slice(0, 2000) } : {}),
        details,
      });
    } catch (err) {
      // Never let auditing change the wrapped function's result.
      logger.reportError(
        err instanceof AuditError ? err : new AuditHookError(`wrap(${opts.action}): ${errorMessage(err)}`, { cause: err }),
      );
    }
  };
  const safeClassify = (err: unknown): Outcome => {
    try {
      const o = classify(err);
      return OUTCOMES.includes(o) ? o : 'failure';
    } catch {
      return 'failure';
    }
  };
  return function wrapped(this: unknown, ...args: A): R {
    const started = performance.now();
    let result: R;
    try {
      result = fn.apply(this, args);
    } catch (err) {
      finish(args, started, safeClassify(err), undefined, err);
      throw err;
    }
    if (result !== null && typeof result === 'object' && typeof (result as { then?: unknown }).then === 'function') {
      return (result as unknown as Promise<unknown>).then(
        (value) => {
          finish(args, started, 'success', value as R, undefined);
          return value;
        },
        (err: unknown) => {
          finish(args, started, safeClassify(err), undefined, err);
          throw err;
        },
      ) as unknown as R;
    }
    finish(args, started, 'success', result, undefined);
    return result;
  };
}

export function createAuditLogger(options: AuditLoggerOptions): AuditLogger {
  if (!isPlainObject(options)) throw new AuditConfigError('createAuditLogger(options): options must be an object');
  return new Logger(options);
}

class Logger implements AuditLogger {
  readonly #chain: HashChain;
  readonly #lanes: Lane[];
  readonly #service: ServiceInfo;
  readonly #redaction: CompiledRedaction;
  readonly #clock: AuditClock;
  readonly #maxEntries: number;
  readonly #batchSize: number;
  /** Taken by recordLater(): input, ts, input, ts ... (flat: no object per entry). */
  #later: unknown[] = [];
  #laterScheduled = false;
  readonly #sealLaterBound = () => this.#sealLater();
  readonly #flushIntervalMs: number;
  readonly #overflow: OverflowPolicy;
  readonly #retryInitial: number;
  readonly #retryMax: number;
  readonly #defaultActor: Actor;
  readonly #onError: ((e: AuditError) => void) | undefined;
  readonly #strict: boolean;
  readonly #onSealed: ((r: SealedRecord) => void) | undefined;
  readonly #shutdownTimeoutMs: number;
  readonly #handleSignals: boolean;
  #closed = false;
  /** Set by #build: the body's objects are in canonical key order (HashChain.sealSorted applies). */
  #sortedBody = false;
  #recorded = 0;
  #rejected = 0;
  #idleWaiters: (() => void)[] = [];
  readonly #warned = new Set<string>();
  readonly #participant = {
    shutdownFlush: async () => {
      await this.flush({ timeoutMs: this.#shutdownTimeoutMs });
    },
    pendingCount: () => this.#pending(),
  };

  constructor(o: AuditLoggerOptions) {
    this.#service = validateService(o.service);
    if (!Array.isArray(o.transports) || o.transports.length === 0)
      throw new AuditConfigError('transports must list at least one transport', { path: 'transports' });
    o.transports.forEach((t, i) => {
      if (t === null || typeof t !== 'object' || typeof t.write !== 'function')
        throw new AuditConfigError(`transports[${i}] must have a write(batch) method`, { path: `transports[${i}]` });
    });
    const q = o.queue ?? {};
    this.#maxEntries = int(q.maxEntries, 10000, 1, 'queue.maxEntries');
    this.#batchSize = int(q.batchSize, 256, 1, 'queue.batchSize');
    this.#flushIntervalMs = int(q.flushIntervalMs, 0, 0, 'queue.flushIntervalMs');
    this.#overflow = q.overflow ?? 'drop-newest';
    if (!['drop-newest', 'drop-oldest', 'fail-closed'].includes(this.#overflow))
      throw new AuditConfigError('queue.overflow must be drop-newest, drop-oldest or fail-closed', { path: 'queue.overflow' });
    this.#retryInitial = int(o.retry?.initialDelayMs, 100, 1, 'retry.initialDelayMs');
    this.#retryMax = int(o.retry?.maxDelayMs, 30000, 1, 'retry.maxDelayMs');
    this.#shutdownTimeoutMs = int(o.shutdownTimeoutMs, 5000, 0, 'shutdownTimeoutMs');
    if (o.onError !== undefined && typeof o.onError !== 'function')
      throw new AuditConfigError('onError must be a function', { path: 'onError' });
    this.#onError = o.onError;
    this.#strict = o.strict === true;
    if (o.onSealed !== undefined && typeof o.onSealed !== 'function')
      throw new AuditConfigError('onSealed must be a function', { path: 'onSealed' });
    this.#onSealed = o.onSealed;
    if (o.clock !== undefined && typeof o.clock?.nowMicros !== 'function')
      throw new AuditConfigError('clock must have nowMicros()', { path: 'clock' });
    this.#clock = o.clock ?? createSystemClock();
    this.#redaction = compileRedaction(o.redact ?? {});
    this.#defaultActor = o.defaultActor ?? { type: 'system' };
    getEntryValidator(); // compile the schema now: configuration and schema errors surface at creation

    const c = o.chain ?? {};
    const key = c.hmacKey === undefined ? undefined : resolveKey(c.hmacKey, 'chain.hmacKey');
    // Where to continue: an explicit chain.resume, else the first transport that can prove a head.
    // A transport head from another chain than an explicitly configured chain.id is not resumed:
    // the new chain's genesis links it instead (docs/spec/hash-chain.md §Chain).
    let resume: ResumePoint | undefined = c.resume;
    let previous: ChainHead | undefined = c.previous;
    if (resume === undefined && c.resumeFromTransports !== false) {
      for (const t of o.transports) {
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
    this.#chain = new HashChain({ id, ...(key ? { key } : {}), ...(resume ? { resume } : {}) });
    this.#lanes = o.transports.map((transport) => ({
      transport,
      queue: [],
      inflight: 0,
      running: false,
      scheduled: false,
      delivered: 0,
      dropped: 0,
      failures: 0,
      consecutiveFailures: 0,
      pendingGap: undefined,
      wake: undefined,
      closed: false,
    }));
    this.#handleSignals = o.handleSignals !== false;
    if (this.#handleSignals) registerShutdown(this.#participant);

    if (resume === undefined) {
      const prev = previous;
      if (
        prev !== undefined &&
        (!isPlainObject(prev) ||
          typeof prev.chain !== 'string' ||
          !Number.isSafeInteger(prev.seq) ||
          typeof prev.hash !== 'string' ||
          !/^[0-9a-f]{64}$/.test(prev.hash))
      ) {
        throw new AuditConfigError('chain.previous must be { chain, seq, hash }', { path: 'chain.previous' });
      }
      this.#sealInternal('genesis', {
        details: {
          library: LIB,
          hash: key ? 'hmac-sha256' : 'sha256',
          ...(prev ? { previous: { chain: prev.chain, seq: prev.seq, hash: prev.hash } } : {}),
          ...(o.processInfo !== false && nodeProcess?.pid !== undefined ? { pid: nodeProcess.pid } : {}),
        },
      });
    } else {
      this.#sealInternal('recovered', {
        details: { ...resume.note, library: LIB, resumedAfter: { seq: resume.seq, hash: resume.hash } },
        reason: resume.note ? 'chain resumed by a new logger after repairing its log' : 'chain resumed by a new logger',
      });
    }
    const context: TransportContext = {
      chainId: this.#chain.id,
      record: (kind, fields) => {
        if (this.#closed) return undefined;
        try {
          return this.#sealInternal(kind, { reason: fields.reason, ...(fields.details ? { details: fields.details } : {}) }).entry;
        } catch (err) {
          this.#report(new AuditHookError(`a transport's ${kind} record could not be sealed: ${errorMessage(err)}`, { cause: err }));
          return undefined;
        }
      },
      reportError: (err) =>
        this.#report(err instanceof AuditError ? err : new AuditTransportError('transport', errorMessage(err), { cause: err })),
    };
    for (const t of o.transports) t.attach?.(context);
  }

  get chainId(): string {
    return this.#chain.id;
  }

  // ---- recording ---------------------------------------------------------------------------

  #now(): string {
    const us = this.#clock.nowMicros();
    const step = this.#clock.takeStep?.();
    if (step) this.#recordClockStep(step);
    return formatMicros(us);
  }

  #recordClockStep(step: ClockStep): void {
    this.#sealInternal(
      'clock',
      {
        reason: step.rebased
          ? 'wall clock stepped forward; timestamps re-based'
          : 'wall clock stepped backward; timestamps keep running forward',
        details: { driftMs: Math.round(step.driftMs), before: step.before, after: step.after, wall: step.wall },
      },
      step.after,
    );
  }

  /** Seals a library-written record (genesis, gap, clock, recovered, rejected). */
  #sealInternal(kind: EntryKind, fields: Partial<EntryBody>, ts?: string): SealedRecord {
    if (this.#later.length > 0) this.#sealLater();
    const body = { kind, ts: ts ?? formatMicros(this.#clock.nowMicros()), service: this.#service, ...fields } as EntryBody;
    const sealed = this.#chain.seal(body);
    this.#enqueue(sealed, true);
    return sealed;
  }

  /** Throws when no entry may be taken now: closed, or failing closed with a full queue. */
  #mustAccept(): void {
    if (this.#closed) throw new AuditClosedError();
    if (this.#overflow === 'fail-closed' && !this.#accepting()) {
      const err = new AuditUnavailableError('audit queue full (fail-closed): the entry was not recorded');
      this.#report(err);
      throw err;
    }
  }

  record(input: AuditRecordInput): AuditEntry {
    return this.#recordNow(input, undefined);
  }

  /** record() with the timestamp given (the worker bridge's) or taken now; entries recordLater() took are sealed first. */
  #recordNow(input: AuditRecordInput, ts: string | undefined): AuditEntry {
    this.#mustAccept();
    if (this.#later.length > 0) this.#sealLater();
    return this.#seal(input, ts);
  }

  recordLater(input: AuditRecordInput): void {
    this.#mustAccept();
    const ts = this.#now(); // may seal a clock record, after the entries already waiting
    this.#later.push(input, ts);
    if (!this.#laterScheduled) {
      this.#laterScheduled = true;
      setImmediate(this.#sealLaterBound);
    }
  }

  /** Seals the entries recordLater() took, in order. */
  #sealLater(): void {
    this.#laterScheduled = false;
    const list = this.#later;
    if (list.length === 0) return;
    this.#later = [];
    for (let i = 0; i < list.length; i += 2) this.#seal(list[i] as AuditRecordInput, list[i + 1] as string);
  }

  #seal(input: AuditRecordInput, ts: string | undefined): AuditEntry {
    let body: EntryBody;
    try {
      body = this.#build(input, ts);
    } catch (err) {
      const e = err instanceof AuditError ? err : new AuditInputError(`record(): ${errorMessage(err)}`, { cause: err });
      if (this.#strict) throw e;
      this.#report(e);
      this.#rejected++;
      return this.#sealInternal('rejected', this.#rejectedFields(input, e)).entry;
    }
    const sealed = this.#sortedBody ? this.#chain.sealSorted(body) : this.#chain.seal(body);
    this.#recorded++;
    this.#enqueue(sealed, false);
    return sealed.entry;
  }

  #build(input: AuditRecordInput, ts: string | undefined): EntryBody {
    if (!isPlainObject(input)) throw new AuditInputError('record() takes an object with at least { action }');
    if (typeof input.action !== 'string' || input.action === '')
      throw new AuditInputError('record(): action must be a non-empty string', { path: 'action' });
    const kind = input.kind ?? 'event';
    if (kind !== 'event' && kind !== 'access')
      throw new AuditInputError(`record(): kind must be "event" or "access" (got ${String(kind)})`, { path: 'kind' });
    const outcome = input.outcome ?? 'success';
    if (!OUTCOMES.includes(outcome))
      throw new AuditInputError(`record(): outcome must be one of ${OUTCOMES.join(', ')}`, { path: 'outcome' });
    const raw: Record<string, unknown> = { actor: input.actor ?? this.#defaultActor, action: input.action };
    if (input.resource !== undefined) raw.resource = input.resource;
    if (input.http !== undefined) raw.http = input.http;
    if (input.trace !== undefined) raw.trace = input.trace;
    if (input.reason !== undefined) raw.reason = input.reason;
    if (input.details !== undefined) raw.details = input.details;
    for (const k of Object.keys(input)) {
      if (!['kind', 'action', 'outcome', 'actor', 'resource', 'http', 'trace', 'reason', 'details'].includes(k)) {
        throw new AuditInputError(`record(): unknown field "${k}" (put free-form data in details)`, { path: k });
      }
    }
    const red = redactBody(raw, this.#redaction);
    for (const e of red.censorErrors) this.#report(new AuditHookError(`redaction censor threw: ${errorMessage(e)}`, { cause: e }));
    const body = { kind, ts: ts ?? this.#now(), service: this.#service, outcome, ...red.value } as EntryBody;
    if (red.notes.length > 0) body.redacted = red.notes;
    this.#sortedBody = red.sorted;
    const check = checkBody(body);
    if (!check.valid) {
      const summary = check.errors.map((e) => `${e.path === '' ? '(root)' : e.path}: ${e.message}`).join('; ');
      throw new AuditSchemaError(`entry does not match the v1 schema: ${summary}`, check.errors, check.errors[0]?.path);
    }
    return body;
  }

  /** What a `rejected` entry keeps of bad input: enough to investigate, nothing unsafe. */
  #rejectedFields(input: unknown, err: AuditError): Partial<EntryBody> {
    const safeStr = (v: unknown, max: number) =>
      typeof v === 'string' && v.length > 0 && v.length <= max && v.isWellFormed() ? v : undefined;
    const rec = isPlainObject(input) ? input : {};
    const action = safeStr(rec.action, 256);
    const actorId = isPlainObject(rec.actor) ? safeStr(rec.actor.id, 256) : undefined;
    const fields: Partial<EntryBody> = {
      outcome: 'error',
      reason: `${err.code}: ${err.message}`.slice(0, 2000).replace(/[\uD800-\uDBFF]$/, ''),
      details: { error: { code: err.code, ...(err.path !== undefined ? { path: err.path.slice(0, 512) } : {}) } },
    };
    if (action !== undefined) fields.action = action;
    if (actorId !== undefined) fields.actor = { type: 'user', id: actorId };
    // The reason text may quote input; run it through the same redaction as everything else.
    try {
      const red = redactBody({ reason: fields.reason, details: fields.details }, this.#redaction);
      fields.reason = red.value.reason as string;
      if (red.notes.length > 0) fields.redacted = red.notes;
    } catch {
      fields.reason = err.code;
    }
    return fields;
  }

  wrap<A extends unknown[], R>(fn: (...args: A) => R, opts: WrapOptions<A, R>): (...args: A) => R {
    return wrapWith(this, fn, opts);
  }

  /** For the worker bridge (@auditready/core/worker): records with a timestamp taken by the caller. */
  [SEAL_AT](input: AuditRecordInput, ts: string): AuditEntry {
    return this.#recordNow(input, ts);
  }

  /** For the worker bridge: input that could not reach the worker becomes a `rejected` entry. */
  [SEAL_REJECTED](input: unknown, message: string): AuditEntry {
    this.#mustAccept();
    const e = new AuditInputError(message);
    this.#report(e);
    this.#rejected++;
    return this.#sealInternal('rejected', this.#rejectedFields(input, e)).entry;
  }

  /** For the worker bridge: a wall-clock step seen by the caller's clock. */
  [CLOCK_STEP](step: ClockStep): void {
    this.#recordClockStep(step);
  }

  /**
   * How many more entries every open queue can take now (what fail-closed accepting() checks); 0
   * when closed. Entries recordLater() took count too: they reach every queue before the next delivery.
   */
  [ROOM](): number {
    if (this.#closed) return 0;
    const later = this.#later.length / 2;
    let room = this.#maxEntries;
    for (const l of this.#lanes) if (!l.closed) room = Math.min(room, this.#maxEntries - l.queue.length - later);
    return Math.max(0, room);
  }

  // ---- delivery ----------------------------------------------------------------------------

  #accepting(): boolean {
    return this[ROOM]() > 0;
  }

  #enqueue(sealed: SealedRecord, internal: boolean): void {
    if (this.#onSealed) {
      try {
        this.#onSealed(sealed);
      } catch (err) {
        this.#report(new AuditHookError(`onSealed threw: ${errorMessage(err)}`, { cause: err }));
      }
    }
    for (const lane of this.#lanes) {
      if (lane.closed) continue;
      if (!internal && lane.queue.length >= this.#maxEntries) {
        if (this.#overflow === 'drop-oldest' && lane.queue.length > lane.inflight) {
          const [evicted] = lane.queue.splice(lane.inflight, 1);
          if (evicted) this.#noteDrop(lane, evicted.entry.seq);
          lane.queue.push(sealed);
        } else {
          this.#noteDrop(lane, sealed.entry.seq);
        }
      } else {
        lane.queue.push(sealed);
      }
      this.#schedule(lane);
    }
  }

  #noteDrop(lane: Lane, seq: number): void {
    lane.dropped++;
    const g = lane.pendingGap;
    if (g) {
      g.from = Math.min(g.from, seq);
      g.to = Math.max(g.to, seq);
      g.count++;
    } else {
      lane.pendingGap = { from: seq, to: seq, count: 1 };
      this.#report(
        new AuditUnavailableError(
          `transport ${lane.transport.name}: queue full (${this.#maxEntries}); dropping entries (${this.#overflow}) and recording a gap`,
        ),
      );
    }
  }

  /** Seals `gap` records for transports that dropped entries, so the chain says what is missing. */
  #emitGaps(): void {
    for (const lane of this.#lanes) {
      const g = lane.pendingGap;
      if (!g) continue;
      lane.pendingGap = undefined;
      this.#sealInternal('gap', {
        reason: `transport ${lane.transport.name} dropped ${g.count} entries: queue full (${this.#overflow})`,
        details: { transport: lane.transport.name, from: g.from, to: g.to, count: g.count, policy: this.#overflow },
      });
    }
  }

  #schedule(lane: Lane): void {
    if (lane.running || lane.scheduled) return;
    lane.scheduled = true;
    const run = () => {
      lane.scheduled = false;
      void this.#drain(lane);
    };
    if (this.#flushIntervalMs > 0 && lane.queue.length < this.#batchSize) setTimeout(run, this.#flushIntervalMs);
    else setImmediate(run);
  }

  async #drain(lane: Lane): Promise<void> {
    if (lane.running) return;
    lane.running = true;
    try {
      while (lane.queue.length > 0 && !lane.closed) {
        const batch = lane.queue.slice(0, this.#batchSize);
        lane.inflight = batch.length;
        try {
          await Promise.resolve().then(() => lane.transport.write(batch));
          lane.queue.splice(0, batch.length);
          lane.inflight = 0;
          lane.delivered += batch.length;
          lane.consecutiveFailures = 0;
          lane.lastSuccessAt = new Date().toISOString();
          if (lane.pendingGap && lane.queue.length < this.#maxEntries) this.#emitGaps();
        } catch (err) {
          lane.inflight = 0;
          lane.failures++;
          lane.consecutiveFailures++;
          lane.lastError = errorMessage(err);
          lane.lastErrorAt = new Date().toISOString();
          if (lane.consecutiveFailures === 1 || lane.consecutiveFailures % 100 === 0) {
            this.#report(
              new AuditTransportError(
                lane.transport.name,
                `transport ${lane.transport.name}: write failed (${lane.consecutiveFailures}x): ${lane.lastError}`,
                { cause: err },
              ),
            );
          }
          await this.#backoff(lane);
        }
      }
    } finally {
      lane.running = false;
      lane.inflight = 0;
      this.#notifyIdle();
      if (lane.queue.length > 0 && !lane.closed) this.#schedule(lane);
    }
  }

  #backoff(lane: Lane): Promise<void> {
    const exp = Math.min(this.#retryMax, this.#retryInitial * 2 ** Math.min(lane.consecutiveFailures - 1, 30));
    const delay = exp / 2 + Math.random() * (exp / 2); // "equal jitter": never 0, never above the cap
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        lane.wake = undefined;
        resolve();
      }, delay);
      (timer as { unref?: () => void }).unref?.(); // a destination that is down must not keep the process alive
      lane.wake = () => {
        clearTimeout(timer);
        lane.wake = undefined;
        resolve();
      };
    });
  }

  #pending(): number {
    return this.#lanes.reduce((n, l) => n + (l.closed ? 0 : l.queue.length), 0);
  }

  #notifyIdle(): void {
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const w of waiters) w();
  }

  async flush(options: { timeoutMs?: number } = {}): Promise<FlushResult> {
    if (this.#later.length > 0) this.#sealLater();
    const timeoutMs = options.timeoutMs ?? 30000;
    this.#emitGaps();
    const deadline = performance.now() + timeoutMs;
    // Retrying lanes sleep in backoff: wake them so a flush tries now rather than in 30 s.
    for (const lane of this.#lanes) {
      lane.wake?.();
      if (lane.queue.length > 0) this.#schedule(lane);
    }
    while (this.#pending() > 0 || this.#lanes.some((l) => l.running)) {
      const left = deadline - performance.now();
      if (left <= 0) break;
      await new Promise<void>((resolve) => {
        const waiter = () => {
          clearTimeout(t);
          resolve();
        };
        const t = setTimeout(
          () => {
            // Polling while a transport retries: drop this waiter so they do not pile up.
            const i = this.#idleWaiters.indexOf(waiter);
            if (i >= 0) this.#idleWaiters.splice(i, 1);
            resolve();
          },
          Math.min(left, 50),
        );
        this.#idleWaiters.push(waiter);
      });
    }
    const pending = this.#pending();
    if (pending === 0) {
      await Promise.allSettled(this.#lanes.map((l) => (l.closed ? undefined : l.transport.flush?.())));
    }
    return { ok: pending === 0, pending };
  }

  async close(options: { timeoutMs?: number } = {}): Promise<FlushResult> {
    if (this.#closed) return { ok: this.#pending() === 0, pending: this.#pending() };
    const result = await this.flush(options);
    this.#closed = true;
    if (this.#handleSignals) unregisterShutdown(this.#participant);
    for (const lane of this.#lanes) {
      lane.closed = true;
      lane.wake?.();
    }
    await Promise.allSettled(
      this.#lanes.map(async (l) => {
        try {
          await l.transport.close?.();
        } catch (err) {
          this.#report(
            new AuditTransportError(l.transport.name, `transport ${l.transport.name}: close failed: ${errorMessage(err)}`, { cause: err }),
          );
        }
      }),
    );
    if (!result.ok) this.#report(new AuditTransportError('logger', `closed with ${result.pending} entries not delivered`));
    return result;
  }

  accepting(): boolean {
    return this.#overflow === 'fail-closed' ? this.#accepting() : !this.#closed;
  }

  reportError(error: unknown): void {
    this.#report(error instanceof AuditError ? error : new AuditHookError(errorMessage(error), { cause: error }));
  }

  health(): AuditHealth {
    const transports: TransportHealth[] = this.#lanes.map((l) => {
      let own: ReturnType<NonNullable<Transport['health']>> | undefined;
      try {
        own = l.transport.health?.();
      } catch {
        own = undefined;
      }
      const retrying = l.consecutiveFailures > 0 || own?.status === 'retrying';
      const lastError = l.consecutiveFailures > 0 ? l.lastError : (own?.lastError ?? l.lastError);
      return {
        name: l.transport.name,
        status: l.closed ? 'closed' : retrying ? 'retrying' : 'ok',
        queued: l.queue.length + (own?.pending ?? 0),
        delivered: l.delivered,
        dropped: l.dropped,
        failures: l.failures,
        ...(lastError !== undefined ? { lastError } : {}),
        ...(l.lastErrorAt !== undefined ? { lastErrorAt: l.lastErrorAt } : {}),
        ...(l.lastSuccessAt !== undefined ? { lastSuccessAt: l.lastSuccessAt } : {}),
      };
    });
    const degraded = transports.some((t) => t.status === 'retrying' || t.dropped > 0) || this.#rejected > 0;
    const head = this.#chain.head;
    const keyId = this.#chain.keyId;
    return {
      status: this.#closed ? 'closed' : degraded ? 'degraded' : 'ok',
      accepting: this.#overflow === 'fail-closed' ? this.#accepting() : !this.#closed,
      overflow: this.#overflow,
      chain: { id: this.#chain.id, ...(head ? { head } : {}), ...(keyId ? { keyId } : {}) },
      recorded: this.#recorded,
      rejected: this.#rejected,
      transports,
    };
  }

  #report(err: AuditError): void {
    if (this.#onError) {
      try {
        this.#onError(err);
      } catch {
        // onError must not throw; if it does, there is nowhere left to report to.
      }
      return;
    }
    // No handler: warn once per error code so problems are visible without flooding the console.
    if (this.#warned.has(err.code)) return;
    this.#warned.add(err.code);
    const proc = nodeProcess as { emitWarning?: (w: Error) => void } | undefined;
    if (proc?.emitWarning) proc.emitWarning(err);
  }
}
