/**
 * The worker side of @auditready/core/worker: builds the logger from the app's setup module and
 * serves the bridge's messages, in the order they were posted (one port, so a batch posted before
 * a synchronous call is sealed before it).
 */
import { type MessagePort, parentPort, workerData } from 'node:worker_threads';
import type { ClockStep } from './clock.js';
import { AuditConfigError, AuditError } from './errors.js';
import { CLOCK_STEP, ROOM, SEAL_AT, SEAL_REJECTED } from './internal.js';
import { type AuditLogger, type AuditLoggerOptions, createAuditLogger } from './logger.js';
import type { AuditRecordInput } from './types.js';

interface Data {
  setup: string;
  /** startWorkerAuditLogger's setupData, for the setup module's default export. */
  setupData: unknown;
  replyPort: MessagePort;
  signal: Int32Array;
  /**
   * [0] fail-closed state for the app's thread: (inputs taken from it, mod 2^32) << 32 | room left
   * in the queues; [1] the worker's heartbeat (Date.now(), every 100 ms while its loop runs).
   */
  room: BigInt64Array;
}

type Sealing = AuditLogger & {
  [SEAL_AT](input: AuditRecordInput, ts: string): unknown;
  [CLOCK_STEP](step: ClockStep): void;
  [SEAL_REJECTED](input: unknown, message: string): unknown;
  [ROOM](): number;
};

export function serializeError(err: unknown): { name: string; message: string; code?: string; path?: string } {
  if (err instanceof AuditError)
    return { name: err.name, message: err.message, code: err.code, ...(err.path !== undefined ? { path: err.path } : {}) };
  if (err instanceof Error) return { name: err.name, message: err.message };
  return { name: 'Error', message: String(err) };
}

type Message = { t: string; id?: number; items?: unknown[]; op?: string; args?: unknown[] };

/** Imports the app's setup module and builds the logger from its default export (options, or a function of setupData). */
async function loadLogger(setup: string, setupData: unknown, port: MessagePort): Promise<Sealing> {
  const mod = (await import(setup)) as { default?: unknown };
  const made = typeof mod.default === 'function' ? await (mod.default as (data: unknown) => unknown)(setupData) : mod.default;
  if (made === null || typeof made !== 'object')
    throw new AuditConfigError(`${setup}: the default export must be the logger options (or a function returning them)`);
  return createAuditLogger({
    ...(made as AuditLoggerOptions),
    handleSignals: false, // the app's process handles signals and flushes through the bridge
    onError: (e) => port.postMessage({ t: 'error', error: serializeError(e) }),
  }) as Sealing;
}

/** Serves the bridge: seals what it posts, answers its synchronous calls, publishes the room left. */
class WorkerHost {
  readonly #logger: Sealing;
  readonly #port: MessagePort;
  readonly #data: Data;
  readonly #failClosed: boolean;
  /** Inputs taken from the app's thread, mod 2^32 (fail-closed bookkeeping). */
  #taken = 0;

  constructor(logger: Sealing, port: MessagePort, data: Data) {
    this.#logger = logger;
    this.#port = port;
    this.#data = data;
    this.#failClosed = logger.health().overflow === 'fail-closed';
    this.#publish();
    // The watchdog's heartbeat: a loop blocked (a transport that busy-loops) stops it.
    const beat = () => Atomics.store(data.room, 1, BigInt(Date.now()));
    beat();
    setInterval(beat, 100).unref();
    // Deliveries free room without a message from the app's thread: publish that too.
    if (this.#failClosed) setInterval(() => this.#publish(), 2).unref();
    port.postMessage({ t: 'ready', chainId: logger.chainId, failClosed: this.#failClosed });
    port.on('message', (m: Message) => this.#onMessage(m));
  }

  /**
   * Fail-closed: the app's thread decides accepting() from this word, without a round trip: the
   * room left, and how many of its inputs the room already accounts for (the rest are in flight).
   */
  #publish(): void {
    if (!this.#failClosed) return;
    const room = BigInt(Math.min(this.#logger[ROOM](), 0x7fffffff));
    Atomics.store(this.#data.room, 0, (BigInt(this.#taken) << 32n) | room);
  }

  #took(n: number): void {
    this.#taken = (this.#taken + n) >>> 0;
  }

  #reportError(err: unknown): void {
    this.#port.postMessage({ t: 'error', error: serializeError(err) });
  }

  /** Answers a synchronous call: the room first, then the reply, then wakes the waiting thread. */
  #reply(value: unknown): void {
    this.#publish();
    this.#data.replyPort.postMessage(value);
    Atomics.store(this.#data.signal, 0, 1);
    Atomics.notify(this.#data.signal, 0);
  }

  #onMessage(m: Message): void {
    if (m.t === 'batch') this.#batch(m.items as unknown[]);
    else if (m.t === 'unclonable') this.#unclonable(m.args ?? []);
    else if (m.t === 'clock') this.#logger[CLOCK_STEP](m.args?.[0] as ClockStep);
    else if (m.t === 'sync') this.#sync(m.op, m.args ?? []);
    else if (m.t === 'flush' || m.t === 'close') this.#settle(m.t, m.id as number, m.args?.[0] as { timeoutMs?: number } | undefined);
  }

  /** Input the app's thread could not send (not cloneable): a `rejected` entry. */
  #unclonable(args: unknown[]): void {
    try {
      this.#logger[SEAL_REJECTED](args[0], args[1] as string);
    } catch (err) {
      this.#reportError(err);
    }
    this.#took(1);
    this.#publish();
  }

  /** Inputs recordLater() took in the app's thread: input, ts, input, ts ... */
  #batch(items: unknown[]): void {
    for (let i = 0; i < items.length; i += 2) {
      try {
        this.#logger[SEAL_AT](items[i] as AuditRecordInput, items[i + 1] as string);
      } catch (err) {
        // Closed or failing closed: the bridge counted these as taken; say they were not.
        this.#reportError(err);
      }
    }
    this.#took(items.length / 2);
    this.#publish();
  }

  #sync(op: string | undefined, args: unknown[]): void {
    if (op === 'record' || op === 'reject') this.#took(1);
    try {
      if (op === 'record') this.#reply({ ok: this.#logger[SEAL_AT](args[0] as AuditRecordInput, args[1] as string) });
      else if (op === 'reject') this.#reply({ ok: this.#logger[SEAL_REJECTED](args[0], args[1] as string) });
      else if (op === 'health') this.#reply({ ok: this.#logger.health() });
      else this.#reply({ error: { name: 'AuditInputError', code: 'ERR_AUDIT_INPUT', message: `unknown call ${String(op)}` } });
    } catch (err) {
      this.#reply({ error: serializeError(err) });
    }
  }

  #settle(what: 'flush' | 'close', id: number, opts: { timeoutMs?: number } | undefined): void {
    const done = what === 'flush' ? this.#logger.flush(opts) : this.#logger.close(opts);
    void done.then((result) => {
      this.#publish();
      this.#port.postMessage({ t: 'done', id, result, health: this.#logger.health() });
    });
  }
}

async function main(): Promise<void> {
  const port = parentPort as MessagePort;
  const data = workerData as Data;
  let logger: Sealing;
  try {
    logger = await loadLogger(data.setup, data.setupData, port);
  } catch (err) {
    port.postMessage({ t: 'failed', error: serializeError(err) });
    return;
  }
  new WorkerHost(logger, port, data);
}

void main();
