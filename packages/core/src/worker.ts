import { pathToFileURL } from 'node:url';
import { MessageChannel, receiveMessageOnPort, Worker } from 'node:worker_threads';
import { type AuditClock, createSystemClock, formatMicros } from './clock.js';
import { AuditClosedError, AuditConfigError, AuditError, AuditHookError, AuditTransportError, AuditUnavailableError } from './errors.js';
import type { AuditHealth, AuditLogger, FlushResult, RecordLaterOptions, WrapOptions } from './logger.js';
import { wrapWith } from './logger.js';
import { fnOption, intOption } from './options.js';
import { registerShutdown, unregisterShutdown } from './shutdown.js';
import type { AuditEntry, AuditRecordInput } from './types.js';
import { type Settle, unclonable, WATCHDOG_MS, WorkerReportedError, workerFile } from './worker-bridge.js';

export interface WorkerAuditLoggerOptions {
  /** Called (in the app's thread) with every error the logger handles, the worker's included. */
  onError?: (error: AuditError) => void;
  /** Flush through the worker on SIGTERM / SIGINT / beforeExit. Default true. */
  handleSignals?: boolean;
  /** Bound on flushes run by shutdown hooks. Default 5000 ms. */
  shutdownTimeoutMs?: number;
  /** Longest wait for the worker to build its logger (the setup module) before startWorkerAuditLogger rejects. Default 10000 ms. */
  startTimeoutMs?: number;
  /** Longest wait for a synchronous call (record, health) before it fails. Default 5000 ms. */
  syncTimeoutMs?: number;
  /** Time source for entry timestamps (taken in the app's thread). Default the system clock. */
  clock?: AuditClock;
  /**
   * Handed to the setup module's default export when it is a function (`export default (data) =>
   * options`): where to write, which keys, per process. Must be structured-cloneable.
   */
  setupData?: unknown;
}

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
  readonly #worker: Worker;
  readonly #signal = new Int32Array(new SharedArrayBuffer(4));
  /** Written by the worker (fail-closed): (inputs it has taken, mod 2^32) << 32 | room left in its queues. */
  readonly #room = new BigInt64Array(new SharedArrayBuffer(16));
  /** The watchdog reported the worker unresponsive (once per episode). */
  #stalled = false;
  /** Inputs sent (or batched) to the worker, mod 2^32: those it has not taken yet will use room too. */
  #sent = 0;
  /** close() has sent (or is about to send) its close: no more entries are taken. */
  #closing = false;
  /** Room held by reserve() (fail-closed admission), counted against the worker's room. */
  #reserved = 0;
  readonly #replies: MessageChannel['port1'];
  readonly #clock: AuditClock;
  readonly #onError: ((e: AuditError) => void) | undefined;
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
    shutdownFlush: async () => {
      await this.flush({ timeoutMs: this.#shutdownTimeoutMs });
    },
    shutdownClose: async () => {
      await this.close({ timeoutMs: this.#shutdownTimeoutMs });
    },
    pendingCount: () => (this.#dead || this.#closed ? 0 : this.#batch.length / 2 + this.#queued()),
    shutdownTimeoutMs: () => this.#shutdownTimeoutMs,
  };
  readonly #send = () => this.#post();

  constructor(setup: string, o: WorkerAuditLoggerOptions) {
    this.#onError = fnOption(o.onError, 'onError');
    this.#clock = o.clock ?? createSystemClock();
    this.#syncTimeoutMs = o.syncTimeoutMs ?? 5000;
    this.#shutdownTimeoutMs = o.shutdownTimeoutMs ?? 5000;
    this.#handleSignals = o.handleSignals !== false;
    const { port1, port2 } = new MessageChannel();
    this.#replies = port1;
    this.#worker = new Worker(workerFile(), {
      // Not the app's --input-type (given with -e/--eval): it would stop the worker's own script.
      execArgv: process.execArgv.filter((a) => !a.startsWith('--input-type')),
      workerData: { setup, setupData: o.setupData, replyPort: port2, signal: this.#signal, room: this.#room },
      transferList: [port2],
    });
    this.ready = this.#start(intOption(o.startTimeoutMs, 10_000, 1, 'startTimeoutMs'));
  }

  /**
   * Resolves once the worker's logger exists. The worker is kept alive while it starts (a
   * top-level await on it must not end the process with exit 13 and no word), bounded by
   * `startTimeoutMs`; then unref'd: like the in-process logger, the audit log never keeps a
   * process alive by itself.
   */
  #start(startTimeoutMs: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#dead = `did not start within ${startTimeoutMs} ms`;
        void this.#worker.terminate();
        reject(
          new AuditUnavailableError(
            `audit worker did not start within ${startTimeoutMs} ms (does the setup module's default export ever resolve?)`,
          ),
        );
      }, startTimeoutMs);
      const started = () => {
        clearTimeout(timer);
        this.#worker.unref();
      };
      const settle: Settle = {
        resolve: () => {
          started();
          resolve();
        },
        reject: (e) => {
          started();
          reject(e);
        },
      };
      this.#worker.on('message', (m: { t: string; [k: string]: unknown }) => this.#onMessage(m, settle));
      this.#worker.on('error', (err) => this.#onWorkerError(err, settle));
      this.#worker.on('exit', (code) => this.#onExit(code, settle));
    });
  }

  #onMessage(m: { t: string; [k: string]: unknown }, settle: Settle): void {
    if (m.t === 'ready') {
      this.#chainId = m.chainId as string;
      this.#failClosed = m.failClosed === true;
      if (this.#handleSignals) registerShutdown(this.#participant);
      settle.resolve();
    } else if (m.t === 'failed') {
      const e = m.error as { message: string };
      this.#dead = e.message;
      void this.#worker.terminate();
      settle.reject(new AuditConfigError(`audit worker setup failed: ${e.message}`));
    } else if (m.t === 'error') {
      this.#report(new WorkerReportedError(m.error as never));
    } else if (m.t === 'done') {
      this.#lastHealth = m.health as AuditHealth;
      this.#waiting.get(m.id as number)?.(m as never);
      this.#waiting.delete(m.id as number);
    }
  }

  #onWorkerError(err: Error, settle: Settle): void {
    this.#dead = err.message;
    const e = new AuditTransportError('worker', `audit worker failed: ${err.message}; entries not yet delivered may be lost`, {
      cause: err,
    });
    this.#report(e);
    settle.reject(e);
  }

  #onExit(code: number, settle: Settle): void {
    // Before 'ready': the setup never finished (a promise that never resolves leaves the worker's
    // loop empty, and it ends). A named error, not a start that never settles.
    settle.reject(
      new AuditUnavailableError(
        `audit worker exited (code ${code}) before its logger was ready: does the setup module's default export ever resolve?`,
      ),
    );
    if (!this.#closed && this.#dead === undefined) {
      this.#dead = `exited with code ${code}`;
      this.#report(new AuditTransportError('worker', `audit worker exited (code ${code}); entries not yet delivered may be lost`));
    }
    for (const w of this.#waiting.values()) w({ result: { ok: false, pending: -1 }, health: this.#lastHealth as AuditHealth });
    this.#waiting.clear();
    if (this.#handleSignals) unregisterShutdown(this.#participant);
  }

  get chainId(): string {
    return this.#chainId;
  }

  #report(err: AuditError): void {
    try {
      this.#onError?.(err);
    } catch {
      // onError must not throw
    }
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

  #now(): string {
    const us = this.#clock.nowMicros();
    const step = this.#clock.takeStep?.();
    if (step) {
      this.#post();
      this.#worker.postMessage({ t: 'clock', args: [step] });
    }
    return formatMicros(us);
  }

  #post(): void {
    this.#scheduled = false;
    if (this.#batch.length === 0 || this.#dead !== undefined) return;
    const items = this.#batch;
    this.#batch = [];
    try {
      this.#worker.postMessage({ t: 'batch', items });
    } catch {
      // Some input cannot cross threads (a function, a symbol, a class with private state ...):
      // send the rest one by one, and each such input as a `rejected` entry, in order.
      for (let i = 0; i < items.length; i += 2) {
        try {
          this.#worker.postMessage({ t: 'batch', items: [items[i], items[i + 1]] });
        } catch (err) {
          this.#worker.postMessage({ t: 'unclonable', args: unclonable(items[i], err) });
        }
      }
    }
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
    if (msg === undefined) {
      throw new AuditUnavailableError(`audit worker did not answer ${op}() within ${this.#syncTimeoutMs} ms (${r})`);
    }
    if (msg.error) throw new WorkerReportedError(msg.error);
    return msg.ok as T;
  }

  #queued(): number {
    if (this.#unresponsive()) return 0; // a blocked worker delivers nothing: waiting on it would only hang the exit
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

  async #roundTrip(t: 'flush' | 'close', options: { timeoutMs?: number }): Promise<FlushResult> {
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
      this.#worker.postMessage({ t, id, args: [options] });
      return (await Promise.race([done, late])).result;
    } finally {
      clearTimeout(timer);
      this.#worker.unref();
    }
  }

  flush(options: { timeoutMs?: number } = {}): Promise<FlushResult> {
    return this.#roundTrip('flush', options);
  }

  async close(options: { timeoutMs?: number } = {}): Promise<FlushResult> {
    if (this.#closed || this.#closing) return { ok: true, pending: 0 };
    // As the in-process logger does: entries recorded while it flushes are taken and delivered;
    // only then does it stop taking them (AuditClosedError, reported), and the close goes out
    // behind the last batch. (Closing at once lost the entries of requests that completed during
    // the shutdown flush: posted after the close, sealed by a closed logger.)
    await this.#roundTrip('flush', options);
    this.#closing = true;
    const result = await this.#roundTrip('close', options);
    this.#closed = true;
    if (this.#handleSignals) unregisterShutdown(this.#participant);
    await this.#worker.terminate();
    return result;
  }

  health(): AuditHealth {
    if (this.#closed || this.#dead !== undefined) {
      const last = this.#lastHealth;
      return {
        ...(last ?? { overflow: 'drop-newest', chain: { id: this.#chainId }, recorded: 0, rejected: 0, transports: [] }),
        status: 'closed',
        accepting: false,
      } as AuditHealth;
    }
    if (this.#unresponsive()) {
      // No synchronous call into a blocked worker: the last health it gave, marked degraded.
      const last = this.#lastHealth;
      return {
        ...(last ?? { overflow: 'drop-newest', chain: { id: this.#chainId }, recorded: 0, rejected: 0, transports: [] }),
        status: 'degraded',
        accepting: this.accepting(),
      } as AuditHealth;
    }
    return this.#call<AuditHealth>('health');
  }

  /**
   * The watchdog: the worker's heartbeat (shared memory, every 100 ms) older than a second means its
   * loop is blocked. Reported once per episode through onError; fail-closed refuses meanwhile.
   */
  #unresponsive(): boolean {
    const last = Number(Atomics.load(this.#room, 1));
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
    // The worker's last word on its room, less what was sent since that it has not taken yet, less
    // the room reservations hold for entries still to come.
    const word = Atomics.load(this.#room, 0);
    const taken = Number(BigInt.asUintN(32, word >> 32n));
    const room = Number(BigInt.asUintN(32, word));
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
