/**
 * createAuditLogger: the pipeline of docs/spec/delivery.md — record(): build (entry-body.ts) ->
 * redact (copy) -> validate (ajv) -> canonicalize + seal (hash-chain.ts) -> one DeliveryLane per
 * transport (delivery-lane.ts: bounded queue, batches, retries). A full queue drops the newest or
 * oldest entries for that transport (a `gap` record says which and why) or fails closed
 * (AuditUnavailableError). Checkpoints: checkpointer.ts; forward-secure epochs: forward-secure.ts.
 */

import { Checkpointer, type IssuedCheckpoint, resolveCheckpoints, resolveSigner, startRange, treeStart } from './checkpointer.js';
import { type AuditClock, type ClockStep, clockStepFields, formatMicros, stepTime } from './clock.js';
import { ContentSealer } from './content-sealer.js';
import { DeliveryLane, IdleSignal, type LaneSettings, sealGaps } from './delivery-lane.js';
import { type BodyContext, buildBody, rejectedFields } from './entry-body.js';
import {
  AuditClosedError,
  AuditConfigError,
  AuditError,
  AuditHookError,
  AuditInputError,
  AuditTransportError,
  AuditUnavailableError,
} from './errors.js';
import { EpochSealer, forwardSecureKey } from './forward-secure.js';
import { type EntryBody, HashChain, type SealedRecord } from './hash-chain.js';
import { loggerHealth } from './health.js';
import { DEFAULT_HEARTBEAT_MS, Heartbeat } from './heartbeat.js';
import { CLOCK_STEP, ROOM, SEAL_AT, SEAL_REJECTED, TREE } from './internal.js';
import { finishClosing } from './logger-close.js';
import {
  type AuditLoggerOptions,
  checkTransports,
  firstRecord,
  resolveChainStart,
  resolveClock,
  resolveLaneSettings,
  resolveService,
  transportContext,
} from './logger-options.js';
import type { AuditHealth, AuditLogger, FlushResult, RecordLaterOptions } from './logger-types.js';
import type { CompactRange } from './merkle.js';
import type { NoteSigner } from './note.js';
import { fnOption, intOption } from './options.js';
import { compileRedaction } from './redact.js';
import { errorReporter } from './report.js';
import { registerShutdown, unregisterShutdown } from './shutdown.js';
import type { ErasureResult } from './subjects.js';
import type { TransportContext } from './transport.js';
import type { AuditEntry, AuditRecordInput, EntryKind } from './types.js';
import { errorMessage, isPlainObject } from './util.js';
import { type WrapOptions, wrapWith } from './wrap.js';

export type { AuditLoggerOptions } from './logger-options.js';
export type {
  AuditHealth,
  AuditLogger,
  FlushResult,
  OverflowPolicy,
  RecordLaterOptions,
  TransportHealth,
  WrapOptions,
} from './logger-types.js';
export { classifyError, wrapWith } from './wrap.js';

export function createAuditLogger(options: AuditLoggerOptions): AuditLogger {
  if (!isPlainObject(options)) throw new AuditConfigError('createAuditLogger(options): options must be an object');
  return new Logger(options);
}

class Logger implements AuditLogger {
  readonly #chain: HashChain;
  readonly #lanes: DeliveryLane[];
  /** Checkpoint destinations: they get `checkpoint` records only. */
  readonly #destLanes: DeliveryLane[] = [];
  readonly #checkpointer: Checkpointer | undefined;
  /** A forward-secure chain's epochs (chain.forwardSecure). */
  readonly #epochs: EpochSealer | undefined;
  readonly #heartbeat: Heartbeat | undefined;
  /** Encryption at rest and erasure: seal app entries' content (or personal fields) before hashing. */
  readonly #sealer: ContentSealer | undefined;
  readonly #settings: LaneSettings;
  readonly #clock: AuditClock;
  readonly #body: BodyContext;
  /** Taken by recordLater(): input, ts, input, ts ... (flat: no object per entry). */
  #later: unknown[] = [];
  #laterScheduled = false;
  readonly #sealLaterBound = () => this.#sealLater();
  readonly #report: (err: AuditError) => void;
  readonly #strict: boolean;
  readonly #onSealed: ((r: SealedRecord) => void) | undefined;
  readonly #shutdownTimeoutMs: number;
  readonly #handleSignals: boolean;
  #closed = false;
  #recorded = 0;
  #rejected = 0;
  /** Room held by reserve() for entries still to come (fail-closed admission). */
  #reserved = 0;
  readonly #idle = new IdleSignal();
  readonly #participant = {
    shutdownFlush: async () => {
      await this.flush({ timeoutMs: this.#shutdownTimeoutMs });
    },
    shutdownClose: async () => {
      await this.close({ timeoutMs: this.#shutdownTimeoutMs });
    },
    pendingCount: () => this.#pending(),
    shutdownTimeoutMs: () => this.#shutdownTimeoutMs,
  };

  constructor(o: AuditLoggerOptions) {
    const service = resolveService(o.service);
    const transports = checkTransports(o.transports);
    this.#settings = resolveLaneSettings(o);
    this.#shutdownTimeoutMs = intOption(o.shutdownTimeoutMs, 5000, 0, 'shutdownTimeoutMs');
    this.#report = errorReporter(fnOption(o.onError, 'onError'));
    this.#strict = o.strict === true;
    this.#onSealed = fnOption(o.onSealed, 'onSealed');
    this.#clock = resolveClock(o.clock);
    this.#body = {
      service,
      redaction: compileRedaction(o.redact ?? {}),
      defaultActor: o.defaultActor ?? { type: 'system' },
      now: () => this.#now(),
      report: (e) => this.#report(e),
    };
    const chainStart = resolveChainStart(o, transports);
    const planned = o.checkpoints === undefined ? { start: chainStart, state: undefined } : treeStart(chainStart);
    const start = planned.start;
    const cp = resolveCheckpoints(o.checkpoints, start.id);
    const fss = forwardSecureKey(o.chain?.forwardSecure, this.#clock);
    const key = fss?.key ?? start.key;
    this.#chain = new HashChain({ id: start.id, ...(key ? { key } : {}), ...(start.resume ? { resume: start.resume } : {}) });
    this.#sealer = ContentSealer.of(o, start.id);
    const hooks = {
      report: (e: AuditError) => this.#report(e),
      gapsDue: () => this.#emitGaps(),
      idle: () => this.#idle.notify(),
      beforeWrite: () => this.#sealer?.pending(),
    };
    this.#lanes = transports.map((t) => new DeliveryLane(t, this.#settings, hooks));
    if (cp) {
      this.#destLanes = cp.destinations.map((t) => new DeliveryLane(t, this.#settings, hooks));
      this.#checkpointer = new Checkpointer(cp, startRange(planned.state), {
        seal: (details, reason) => (this.#closed ? undefined : this.#sealInternal('checkpoint', { reason, details })),
        report: (e) => this.#report(e),
      });
    }
    this.#handleSignals = o.handleSignals !== false;
    if (this.#handleSignals) registerShutdown(this.#participant);
    const hbMs = intOption(o.heartbeatMs, DEFAULT_HEARTBEAT_MS, 0, 'heartbeatMs');
    const first = firstRecord(start, o.processInfo !== false, fss?.info, hbMs);
    this.#sealInternal(first.kind, first.fields);
    // Epochs that ended while no logger ran are sealed now, each under its own key, in order.
    this.#epochs = fss && new EpochSealer(fss, (d, r) => this.#sealInternal('epoch', { reason: r, details: d }), this.#chain, this.#clock);
    this.#epochs?.advance();
    this.#heartbeat =
      hbMs > 0 ? new Heartbeat(hbMs, () => this.#sealInternal('heartbeat', { reason: 'alive, nothing to record' })) : undefined;
    for (const t of transports) t.attach?.(this.#transportContext());
  }

  /** What transports may do with the chain: seal their own records, report errors. */
  #transportContext(): TransportContext {
    return transportContext(this.#chain.id, {
      seal: (kind, fields) => (this.#closed ? undefined : this.#sealInternal(kind, fields).entry),
      report: (e) => this.#report(e),
      rotateDataKey: () => this.#sealer?.rotate(),
    });
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
    this.#sealInternal('clock', clockStepFields(step), stepTime(step));
  }

  /** Seals a library-written record (genesis, gap, clock, recovered, rejected). */
  #sealInternal(kind: EntryKind, fields: Partial<EntryBody>, ts?: string): SealedRecord {
    if (this.#later.length > 0) this.#sealLater();
    if (kind !== 'epoch') this.#epochs?.advance();
    const body = { kind, ts: ts ?? formatMicros(this.#clock.nowMicros()), service: this.#body.service, ...fields } as EntryBody;
    const sealed = this.#chain.seal(this.#sealer ? this.#sealer.seal(body, this.#chain.nextSeq, false) : body);
    this.#enqueue(sealed, true);
    return sealed;
  }

  /** Throws when no entry may be taken now: closed, or failing closed with a full queue. */
  #mustAccept(): void {
    if (this.#closed) throw new AuditClosedError();
    if (this.#settings.overflow === 'fail-closed' && !this.#accepting()) {
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

  recordLater(input: AuditRecordInput, options?: RecordLaterOptions): void {
    if (options?.reserved === true && this.#reserved > 0) {
      this.#reserved--; // its room was held since reserve(): only a closed logger refuses it now
      if (this.#closed) throw new AuditClosedError();
    } else this.#mustAccept();
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
    for (let i = 0; i < list.length; i += 2) this.#seal(list[i] as AuditRecordInput, list[i + 1] as string, true);
  }

  /** `deferred`: sealing what recordLater() took, where nobody could catch a throw (strict mode reports instead). */
  #seal(input: AuditRecordInput, ts: string | undefined, deferred = false): AuditEntry {
    this.#epochs?.advance();
    let built: ReturnType<typeof buildBody>;
    try {
      built = buildBody(input, ts, this.#body);
    } catch (err) {
      const e = err instanceof AuditError ? err : new AuditInputError(`record(): ${errorMessage(err)}`, { cause: err });
      if (this.#strict && !deferred) throw e;
      return this.#sealRejected(input, e);
    }
    const body = this.#sealer ? this.#sealer.seal(built.body, this.#chain.nextSeq, built.sorted) : built.body;
    const sealed = built.sorted ? this.#chain.sealSorted(body) : this.#chain.seal(body);
    this.#recorded++;
    this.#enqueue(sealed, false);
    return sealed.entry;
  }

  #sealRejected(input: unknown, e: AuditError): AuditEntry {
    this.#report(e);
    this.#rejected++;
    return this.#sealInternal('rejected', rejectedFields(input, e, this.#body.redaction)).entry;
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
    return this.#sealRejected(input, new AuditInputError(message));
  }

  /** For the worker: the chain's tree (checkpoints on), kept where a replacement finds it. */
  [TREE](): CompactRange | undefined {
    return this.#checkpointer?.range;
  }

  /** For the worker bridge: a wall-clock step seen by the caller's clock. */
  [CLOCK_STEP](step: ClockStep): void {
    this.#recordClockStep(step);
  }

  /** Entries every open queue can still take (fail-closed's accepting()), counting those recordLater() took; 0 when closed. */
  [ROOM](): number {
    if (this.#closed) return 0;
    const later = this.#later.length / 2 + this.#reserved;
    let room = this.#settings.maxEntries;
    for (const l of this.#lanes) if (!l.closed) room = Math.min(room, l.room - later);
    return Math.max(0, room);
  }

  // ---- delivery ----------------------------------------------------------------------------

  #accepting(): boolean {
    return this[ROOM]() > 0;
  }

  #enqueue(sealed: SealedRecord, internal: boolean): void {
    this.#heartbeat?.touch();
    this.#checkpointer?.append(sealed);
    if (this.#onSealed) {
      try {
        this.#onSealed(sealed);
      } catch (err) {
        this.#report(new AuditHookError(`onSealed threw: ${errorMessage(err)}`, { cause: err }));
      }
    }
    for (const lane of this.#lanes) lane.offer(sealed, internal);
    if (this.#checkpointer === undefined) return;
    if (sealed.entry.kind === 'checkpoint') for (const lane of this.#destLanes) lane.offer(sealed, true);
    this.#checkpointer.delivered(sealed);
  }

  /** Seals `gap` records for transports that dropped entries, so the chain says what is missing. */
  #emitGaps(): void {
    sealGaps(this.#lanes, this.#settings.overflow, (fields) => this.#sealInternal('gap', fields));
  }

  #pending(): number {
    return [...this.#lanes, ...this.#destLanes].reduce((n, l) => n + l.pending, 0);
  }

  async flush(options: { timeoutMs?: number } = {}): Promise<FlushResult> {
    if (this.#later.length > 0) this.#sealLater();
    const timeoutMs = options.timeoutMs ?? 30000;
    this.#emitGaps();
    const deadline = performance.now() + timeoutMs;
    // Retrying lanes sleep in backoff: wake them so a flush tries now rather than in 30 s.
    const lanes = this.#destLanes.length === 0 ? this.#lanes : [...this.#lanes, ...this.#destLanes];
    for (const lane of lanes) lane.kick();
    while (this.#pending() > 0 || lanes.some((l) => l.running)) {
      const left = deadline - performance.now();
      if (left <= 0) break;
      await this.#idle.wait(Math.min(left, 50));
    }
    const pending = this.#pending();
    if (pending === 0) await Promise.allSettled(lanes.map((l) => l.flushTransport()));
    return { ok: pending === 0, pending };
  }

  async close(options: { timeoutMs?: number } = {}): Promise<FlushResult> {
    if (this.#closed) return { ok: this.#pending() === 0, pending: this.#pending() };
    const cp = this.#checkpointer;
    // The last checkpoint covers everything sealed: a tail cut after close is then visible.
    const result = await finishClosing(cp, () => this.flush(options), options.timeoutMs ?? 30000, this.#lanes);
    this.#closed = true;
    this.#epochs?.stop();
    this.#heartbeat?.stop();
    if (this.#handleSignals) unregisterShutdown(this.#participant);
    const lanes = [...this.#lanes, ...this.#destLanes];
    for (const lane of lanes) lane.stop();
    await Promise.allSettled(lanes.map((l) => l.closeTransport()));
    if (!result.ok) this.#report(new AuditTransportError('logger', `closed with ${result.pending} entries not delivered`));
    return result;
  }

  async eraseSubject(subject: string): Promise<ErasureResult> {
    const r = await (this.#sealer ?? ContentSealer.none).erase(subject);
    this.#sealInternal('erasure', { reason: 'subject erased: its keys destroyed', details: { subject: r.sid, keys: r.keys } });
    return r;
  }

  async checkpoint(): Promise<IssuedCheckpoint | undefined> {
    return this.#checkpoints('checkpoint()').issue();
  }

  async rotateCheckpointKey(next: NoteSigner | string): Promise<IssuedCheckpoint | undefined> {
    return this.#checkpoints('rotateCheckpointKey()').rotate(resolveSigner(next, 'rotateCheckpointKey(next)'));
  }

  /** The checkpointer, once entries recordLater() took are sealed; throws without the option or when closed. */
  #checkpoints(what: string): Checkpointer {
    if (this.#checkpointer === undefined) throw new AuditConfigError(`${what}: the logger has no \`checkpoints\` option`);
    if (this.#closed) throw new AuditClosedError();
    if (this.#later.length > 0) this.#sealLater();
    return this.#checkpointer;
  }

  accepting(): boolean {
    return this.#settings.overflow === 'fail-closed' ? this.#accepting() : !this.#closed;
  }

  reserve(): boolean {
    if (this.#closed) return false;
    if (this.#settings.overflow !== 'fail-closed') return true;
    if (!this.#accepting()) return false;
    this.#reserved++;
    return true;
  }

  release(): void {
    if (this.#reserved > 0) this.#reserved--;
  }

  reportError(error: unknown): void {
    this.#report(error instanceof AuditError ? error : new AuditHookError(errorMessage(error), { cause: error }));
  }

  health(): AuditHealth {
    const [c, lanes] = [this.#chain, { lanes: this.#lanes, destLanes: this.#destLanes, checkpointer: this.#checkpointer }];
    const chain = { id: c.id, ...(c.head ? { head: c.head } : {}), ...(c.keyId ? { keyId: c.keyId } : {}) };
    const counts = { recorded: this.#recorded, rejected: this.#rejected };
    return loggerHealth({
      ...lanes,
      ...counts,
      chain,
      closed: this.#closed,
      accepting: this.accepting(),
      overflow: this.#settings.overflow,
    });
  }
}
