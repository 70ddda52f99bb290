import { pathToFileURL } from 'node:url';
import { MessageChannel, receiveMessageOnPort, type Worker } from 'node:worker_threads';
import type { IssuedCheckpoint } from './checkpointer.js';
import { type AuditClock, checkMicros, createSystemClock } from './clock.js';
import { AuditClosedError, AuditConfigError, AuditError, AuditHookError, AuditTransportError, AuditUnavailableError } from './errors.js';
import type { AuditHealth, AuditLogger, FlushResult, RecordLaterOptions, WrapOptions } from './logger.js';
import { wrapWith } from './logger.js';
import type { NoteSigner } from './note.js';
import { fnOption, intOption } from './options.js';
import { errorReporter } from './report.js';
import { registerShutdown, unregisterShutdown } from './shutdown.js';
import type { ErasureResult } from './subjects.js';
import type { AuditEntry, AuditRecordInput } from './types.js';
import { errorMessage } from './util.js';
import {
  checkpointAnswer,
  erasureAnswer,
  postBatch,
  postOrGather,
  RestartPolicy,
  type Settle,
  staleHealth,
  startSettle,
  startThread,
  unclonable,
  WATCHDOG_MS,
  type WorkerAuditLoggerOptions,
  WorkerReportedError,
  workerFile,
} from './worker-bridge.js';
import { lostCount, WorkerState } from './worker-state.js';

export type { WorkerAuditLoggerOptions } from './worker-bridge.js';

/**
 * Starts the worker and resolves once its logger exists (genesis or resumed chain sealed), or
 * rejects with the setup error. `setup`: a module path or URL (file: URL recommended).
 */
export async function startWorkerAuditLogger(setup: string | URL, options: WorkerAuditLoggerOptions = {}): Promise<AuditLogger> {
  if (typeof setup !== 'string' && !(setup instanceof URL))
    throw new AuditConfigError('setup must be a module path or URL', { path: 'setup' });
  const url = setup instanceof URL ? setup.href : /^[a-z]+:/i.test(setup) ? setup : pathToFileURL(setup).href;
  const bridge = new WorkerLogger(url, options);
  await bridge.ready;
  return bridge;
}

class WorkerLogger implements AuditLogger {
  readonly ready: Promise<void>;
  #worker!: Worker;
  readonly #setup: string;
  readonly #setupData: unknown;
  readonly #startTimeoutMs: number;
  readonly #signal = new Int32Array(new SharedArrayBuffer(4));
  /** Written by the worker: room, heartbeat, what it took, sealed and delivered (worker-state.ts). */
  readonly #state = new WorkerState();
  readonly #restarts: RestartPolicy;
  /** A replacement worker is starting: its 'ready' has not come yet. */
  #restarting = false;
  /** The uncaught error that is ending the worker, for the exit that follows. */
  #failure: string | undefined;
  #registered = false;
  /** The watchdog reported the worker unresponsive (once per episode). */
  #stalled = false;
  /** Inputs sent (or batched) to the worker, mod 2^32: those it has not taken yet will use room too. */
  #sent = 0;
  /** close() has sent (or is about to send) its close: no more entries are taken. */
  #closing = false;
  /** Room held by reserve() (fail-closed admission), counted against the worker's room. */
  #reserved = 0;
  /** Where the worker answers synchronous calls (one channel per worker). */
  #replies: MessageChannel['port1'] = new MessageChannel().port1;
  readonly #clock: AuditClock;
  readonly #report: (err: AuditError) => void;
  readonly #syncTimeoutMs: number;
  readonly #shutdownTimeoutMs: number;
  readonly #handleSignals: boolean;
  #chainId = '';
  #failClosed = false;
  #closed = false;
  #dead: string | undefined;
  #batch: unknown[] = [];
  #scheduled = false;
  #nextId = 1;
  readonly #waiting = new Map<number, (r: { result: FlushResult; health: AuditHealth }) => void>();
  #lastHealth: AuditHealth | undefined;
  readonly #participant = {
    shutdownFlush: () => this.flush({ timeoutMs: this.#shutdownTimeoutMs }).then(() => {}),
    shutdownClose: () => this.close({ timeoutMs: this.#shutdownTimeoutMs }).then(() => {}),
    pendingCount: () => (this.#dead || this.#closed ? 0 : this.#batch.length / 2 + this.#queued()),
    shutdownTimeoutMs: () => this.#shutdownTimeoutMs,
  };
  readonly #sendNow = () => this.#post();
  readonly #send = () => postOrGather(this.#batch.length / 2, this.#posted, this.#sendNow); // two slots per entry
  #posted = Number.NEGATIVE_INFINITY;

  constructor(setup: string, o: WorkerAuditLoggerOptions) {
    this.#report = errorReporter(fnOption(o.onError, 'onError'));
    this.#clock = o.clock ?? createSystemClock();
    this.#syncTimeoutMs = o.syncTimeoutMs ?? 5000;
    this.#shutdownTimeoutMs = o.shutdownTimeoutMs ?? 5000;
    this.#handleSignals = o.handleSignals !== false;
    this.#restarts = new RestartPolicy(o.restart);
    this.#setup = setup;
    this.#setupData = o.setupData;
    this.#startTimeoutMs = intOption(o.startTimeoutMs, 10_000, 1, 'startTimeoutMs');
    this.ready = this.#start(undefined);
  }

  /**
   * Starts a worker (the first, or a replacement with what to declare); resolves once its logger
   * exists. The worker is kept alive while it starts (a top-level await on it must not end the
   * process with exit 13 and no word), bounded by `startTimeoutMs`; then unref'd: like the
   * in-process logger, the audit log never keeps a process alive by itself.
   */
  #start(restart: Record<string, unknown> | undefined): Promise<void> {
    const { port1, port2 } = new MessageChannel();
    this.#replies.close();
    this.#replies = port1;
    const worker = startThread(workerFile(), {
      workerData: {
        setup: this.#setup,
        setupData: this.#setupData,
        replyPort: port2,
        signal: this.#signal,
        state: this.#state.buffer,
        takenBase: (this.#sent - this.#batch.length / 2) >>> 0,
        ...(restart ? { restart } : {}),
      },
      transferList: [port2],
    });
    this.#worker = worker;
    const thread = worker.threadId; // -1 once it has exited
    return new Promise<void>((resolve, reject) => {
      const ms = this.#startTimeoutMs;
      const settle = startSettle(worker, ms, resolve, reject, () => {
        this.#dead = `did not start within ${ms} ms`;
      });
      worker.on('message', (m: { t: string; [k: string]: unknown }) => this.#onMessage(m, settle));
      worker.on('error', (err) => this.#onWorkerError(err, settle));
      worker.on('exit', (code) => this.#onExit(code, settle, thread));
    });
  }

  #onMessage(m: { t: string; [k: string]: unknown }, settle: Settle): void {
    if (m.t === 'ready') {
      this.#chainId = m.chainId as string;
      this.#failClosed = m.failClosed === true;
      this.#restarting = false;
      if (this.#handleSignals && !this.#registered) registerShutdown(this.#participant);
      this.#registered = this.#handleSignals;
      settle.resolve();
    } else if (m.t === 'failed') {
      const e = m.error as { message: string };
      this.#dead = e.message;
      void this.#worker.terminate();
      const err = new AuditConfigError(`audit worker setup failed: ${e.message}`);
      if (this.#restarting) this.#report(err);
      settle.reject(err);
    } else if (m.t === 'error') {
      this.#report(new WorkerReportedError(m.error as never));
    } else if (m.t === 'done') {
      this.#lastHealth = m.health as AuditHealth;
      this.#waiting.get(m.id as number)?.(m as never);
      this.#waiting.delete(m.id as number);
    }
  }

  /** An uncaught error in the worker: it is ending ('exit' follows, and decides what happens next). */
  #onWorkerError(err: Error, settle: Settle): void {
    this.#failure = err.message;
    const e = new AuditTransportError('worker', `audit worker failed: ${err.message}`, { cause: err });
    this.#report(e);
    settle.reject(e);
  }

  #onExit(code: number, settle: Settle, thread: number): void {
    // Before 'ready': the setup never finished (a promise that never resolves leaves the worker's
    // loop empty, and it ends). A named error, not a start that never settles.
    settle.reject(
      new AuditUnavailableError(
        `audit worker exited (code ${code}) before its logger was ready: does the setup module's default export ever resolve?`,
      ),
    );
    for (const w of this.#waiting.values()) w({ result: { ok: false, pending: -1 }, health: this.#lastHealth as AuditHealth });
    this.#waiting.clear();
    const failure = this.#failure;
    this.#failure = undefined;
    if (!settle.ready) {
      // A worker that never became ready: the start failed (reported by whoever awaited it).
      this.#dead ??= `exited with code ${code} before it was ready`;
      this.#down();
      return;
    }
    if (this.#closed || this.#closing || this.#dead !== undefined) {
      this.#down();
      return;
    }
    const loss = this.#state.loss((this.#sent - this.#batch.length / 2) >>> 0, this.#chainId);
    const what = `audit worker exited (code ${code}${failure ? `: ${failure}` : ''}); ${lostCount(loss)} entries it had taken were not delivered`;
    const refused = this.#restarts.take();
    if (refused !== undefined) {
      this.#dead = `exited with code ${code}`;
      this.#report(new AuditTransportError('worker', `${what} (${refused}); later entries are refused and their loss is not in the log`));
      this.#down();
      return;
    }
    this.#report(new AuditTransportError('worker', `${what}; restarting it (the log declares the loss)`));
    this.#restarting = true;
    this.#state.reset();
    const restart = { loss, exitCode: code, thread, count: this.#restarts.count, ...(failure ? { error: failure } : {}) };
    this.#start(restart).catch((err: unknown) => {
      this.#restarting = false;
      this.#report(new AuditUnavailableError(`audit worker could not be restarted (${errorMessage(err)}): later entries are refused`));
      this.#down();
    });
    this.#post(); // what was waiting goes to the new worker, behind its declaration
  }

  /** Down for good: no shutdown hooks. */
  #down(): void {
    if (this.#registered) unregisterShutdown(this.#participant);
    this.#registered = false;
  }

  get chainId(): string {
    return this.#chainId;
  }

  #mustAccept(): void {
    if (this.#closed || this.#closing) throw new AuditClosedError();
    if (this.#dead !== undefined) {
      const err = new AuditUnavailableError(`audit worker unavailable (${this.#dead}): the entry was not recorded`);
      this.#report(err);
      throw err;
    }
    if (this.#failClosed && !this.accepting()) {
      const err = new AuditUnavailableError('audit queue full (fail-closed): the entry was not recorded');
      this.#report(err);
      throw err;
    }
  }

  /** The entry's time, read here when the app records, in microseconds: the worker formats it (less to do and to send here). */
  #now(): number {
    const us = this.#clock.nowMicros();
    const step = this.#clock.takeStep?.();
    if (step) {
      this.#post();
      this.#worker.postMessage({ t: 'clock', args: [step] });
    }
    checkMicros(us); // not a time: refused here, in the caller, as before
    return us;
  }

  #post(): void {
    this.#scheduled = false;
    if (this.#batch.length === 0 || this.#dead !== undefined) return;
    const items = this.#batch;
    this.#batch = [];
    this.#posted = performance.now();
    postBatch(this.#worker, items);
  }

  #call<T>(op: string, args: unknown[] = []): T {
    if (this.#dead !== undefined) throw new AuditUnavailableError(`audit worker unavailable (${this.#dead})`);
    this.#post(); // entries taken before this call are sealed before it
    Atomics.store(this.#signal, 0, 0);
    try {
      this.#worker.postMessage({ t: 'sync', op, args });
    } catch (err) {
      if (op !== 'record') throw err;
      this.#worker.postMessage({ t: 'sync', op: 'reject', args: unclonable(args[0], err) });
    }
    const r = Atomics.wait(this.#signal, 0, 0, this.#syncTimeoutMs);
    const msg = receiveMessageOnPort(this.#replies)?.message as
      | { ok?: T; error?: { name: string; message: string; code?: string } }
      | undefined;
    if (msg === undefined) throw new AuditUnavailableError(`audit worker did not answer ${op}() within ${this.#syncTimeoutMs} ms (${r})`);
    if (msg.error) throw new WorkerReportedError(msg.error);
    return msg.ok as T;
  }

  #queued(): number {
    if (this.#restarting || this.#unresponsive()) return 0; // a blocked worker delivers nothing: waiting on it would only hang the exit
    try {
      return this.#call<AuditHealth>('health').transports.reduce((n, t) => n + t.queued, 0);
    } catch {
      return 0;
    }
  }

  recordLater(input: AuditRecordInput, options?: RecordLaterOptions): void {
    if (!this.#failClosed) this.#unresponsive(); // fail-open: reported (fail-closed checks in accepting())
    if (options?.reserved === true && this.#reserved > 0) {
      this.#reserved--; // its room was held since reserve()
      if (this.#closed) throw new AuditClosedError();
    } else this.#mustAccept();
    this.#sent = (this.#sent + 1) >>> 0;
    this.#batch.push(input, this.#now());
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.#send);
    }
  }

  record(input: AuditRecordInput): AuditEntry {
    this.#mustAccept();
    this.#sent = (this.#sent + 1) >>> 0;
    return this.#call<AuditEntry>('record', [input, this.#now()]);
  }

  wrap<A extends unknown[], R>(fn: (...args: A) => R, opts: WrapOptions<A, R>): (...args: A) => R {
    return wrapWith(this, fn, opts);
  }

  async #roundTrip(
    t: 'flush' | 'close' | 'checkpoint' | 'rotate' | 'erase',
    options: { timeoutMs?: number },
    args: unknown[] = [options],
  ): Promise<FlushResult> {
    if (this.#dead !== undefined) return { ok: false, pending: -1 };
    this.#post();
    const id = this.#nextId++;
    this.#worker.ref(); // keep the process alive until the worker answers, or the wait's bound
    const bound = (options.timeoutMs ?? 30_000) + WATCHDOG_MS;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const done = new Promise<{ result: FlushResult }>((resolve) => this.#waiting.set(id, resolve as never));
      // A worker whose loop is blocked never answers: every wait is bounded.
      const late = new Promise<{ result: FlushResult }>((resolve) => {
        timer = setTimeout(() => {
          this.#waiting.delete(id);
          this.#report(new AuditUnavailableError(`audit worker did not answer ${t}() within ${bound} ms`));
          resolve({ result: { ok: false, pending: -1 } });
        }, bound);
      });
      this.#worker.postMessage({ t, id, args });
      return (await Promise.race([done, late])).result;
    } finally {
      clearTimeout(timer);
      this.#worker.unref();
    }
  }

  flush(options: { timeoutMs?: number } = {}): Promise<FlushResult> {
    return this.#roundTrip('flush', options);
  }

  async checkpoint(): Promise<IssuedCheckpoint | undefined> {
    return checkpointAnswer(await this.#roundTrip('checkpoint', {}, []));
  }

  /** In worker mode the new key crosses to the worker as a signer key string (a signer object cannot). */
  async rotateCheckpointKey(next: NoteSigner | string): Promise<IssuedCheckpoint | undefined> {
    if (typeof next !== 'string')
      throw new AuditConfigError('rotateCheckpointKey(): in worker mode, give the new key as a signer key string');
    return checkpointAnswer(await this.#roundTrip('rotate', {}, [next]));
  }

  async eraseSubject(subject: string): Promise<ErasureResult> {
    return erasureAnswer(await this.#roundTrip('erase', {}, [subject]));
  }

  async close(options: { timeoutMs?: number } = {}): Promise<FlushResult> {
    if (this.#closed || this.#closing) return { ok: true, pending: 0 };
    // As in process: entries recorded while it flushes are delivered; then AuditClosedError, and the
    // close goes behind the last batch (closing at once lost entries of requests ending meanwhile).
    await this.#roundTrip('flush', options);
    this.#closing = true;
    const result = await this.#roundTrip('close', options);
    this.#closed = true;
    this.#down();
    await this.#worker.terminate();
    return result;
  }

  health(): AuditHealth {
    if (this.#closed || this.#dead !== undefined) return staleHealth(this.#lastHealth, this.#chainId, 'closed', false);
    // No synchronous call into a blocked worker (or one still starting): the last health it gave, marked degraded.
    if (this.#restarting || this.#unresponsive()) return staleHealth(this.#lastHealth, this.#chainId, 'degraded', this.accepting());
    return this.#call<AuditHealth>('health');
  }

  /** The watchdog: a worker heartbeat (shared memory, every 100 ms) older than 1 s is a blocked loop; reported once per episode. */
  #unresponsive(): boolean {
    const last = this.#state.lastBeat();
    const stalled = last > 0 && Date.now() - last > WATCHDOG_MS;
    if (stalled && !this.#stalled)
      this.#report(new AuditUnavailableError(`audit worker unresponsive for ${Date.now() - last} ms: entries are waiting, not delivered`));
    this.#stalled = stalled;
    return stalled;
  }

  accepting(): boolean {
    if (this.#closed || this.#dead !== undefined) return false;
    if (this.#unresponsive() && this.#failClosed) return false;
    if (!this.#failClosed) return true;
    // The worker's last word on its room, less what was sent since and not taken, less reservations.
    const [taken, room] = this.#state.room();
    return room - ((this.#sent - taken) >>> 0) - this.#reserved > 0;
  }

  reserve(): boolean {
    if (!this.accepting()) return false;
    if (this.#failClosed) this.#reserved++;
    return true;
  }

  release(): void {
    if (this.#reserved > 0) this.#reserved--;
  }

  reportError(error: unknown): void {
    this.#report(
      error instanceof AuditError ? error : new AuditHookError(error instanceof Error ? error.message : String(error), { cause: error }),
    );
  }
}
