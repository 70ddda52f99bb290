/**
 * The worker side of @auditready/core/worker: builds the logger from the app's setup module and
 * serves the bridge's messages, in the order they were posted (one port, so a batch posted before
 * a synchronous call is sealed before it).
 */
import { type MessagePort, parentPort, workerData } from 'node:worker_threads';
import { type ClockStep, formatMicros } from './clock.js';
import { AuditConfigError, AuditError } from './errors.js';
import { CLOCK_STEP, ROOM, SEAL_AT, SEAL_REJECTED, TREE } from './internal.js';
import { type AuditLogger, type AuditLoggerOptions, createAuditLogger } from './logger.js';
import type { Transport, TransportContext } from './transport.js';
import type { AuditRecordInput } from './types.js';
import { lostCount, type WorkerLoss, WorkerState } from './worker-state.js';

interface Data {
  setup: string;
  /** startWorkerAuditLogger's setupData, for the setup module's default export. */
  setupData: unknown;
  replyPort: MessagePort;
  signal: Int32Array;
  /** The WorkerState buffer (worker-state.ts): room, heartbeat, what was taken, sealed, delivered. */
  state: SharedArrayBuffer;
  /** Inputs the app's thread had posted before this worker (mod 2^32): this worker's count starts there. */
  takenBase: number;
  /** Set when this worker replaces one that died: what to declare, and where the chain goes on. */
  restart?: Restart;
}

interface Restart {
  loss: WorkerLoss;
  /** How the dead worker ended (exit code, and its uncaught error if any). */
  exitCode: number;
  error?: string;
  /** Its thread id: a file lock it held may be taken over. */
  thread: number;
  /** Restarts so far (this one included). */
  count: number;
}

type Sealing = AuditLogger & {
  [SEAL_AT](input: AuditRecordInput, ts: string): unknown;
  [CLOCK_STEP](step: ClockStep): void;
  [SEAL_REJECTED](input: unknown, message: string): unknown;
  [ROOM](): number;
  [TREE](): { size: number; hashes: readonly Uint8Array[] } | undefined;
};

export function serializeError(err: unknown): { name: string; message: string; code?: string; path?: string } {
  if (err instanceof AuditError)
    return { name: err.name, message: err.message, code: err.code, ...(err.path !== undefined ? { path: err.path } : {}) };
  if (err instanceof Error) return { name: err.name, message: err.message };
  return { name: 'Error', message: String(err) };
}

type Message = { t: string; id?: number; items?: unknown[]; op?: string; args?: unknown[] };

/**
 * Follows what each transport confirmed (write() resolved) and publishes the seq through which all
 * of them did, and captures the chain's record() hook: what a replacement needs after a death.
 */
class Progress {
  readonly #state: WorkerState;
  readonly #through: number[] = [];
  context: TransportContext | undefined;

  constructor(state: WorkerState) {
    this.#state = state;
  }

  /** `from`: the seq through which delivery was already known when this worker started. */
  start(from: number): void {
    this.#through.fill(from);
    this.#state.delivered(from);
  }

  track(t: Transport): Transport {
    const i = this.#through.push(-1) - 1;
    const w: Transport = {
      name: t.name,
      write: async (batch) => {
        await t.write(batch);
        const last = batch[batch.length - 1];
        if (last === undefined) return;
        this.#through[i] = last.entry.seq;
        this.#state.delivered(Math.min(...this.#through));
      },
      attach: (context) => {
        this.context ??= context;
        t.attach?.(context);
      },
    };
    for (const m of ['flush', 'close', 'idle', 'resume', 'health'] as const) {
      const f = t[m] as ((...a: unknown[]) => unknown) | undefined;
      if (typeof f === 'function') (w as unknown as Record<string, unknown>)[m] = (...a: unknown[]) => f.apply(t, a);
    }
    return w;
  }
}

/** Imports the app's setup module and builds the logger from its default export (options, or a function of setupData). */
async function loadLogger(data: Data, port: MessagePort, progress: Progress, state: WorkerState): Promise<Sealing> {
  const mod = (await import(data.setup)) as { default?: unknown };
  const made = typeof mod.default === 'function' ? await (mod.default as (d: unknown) => unknown)(data.setupData) : mod.default;
  if (made === null || typeof made !== 'object')
    throw new AuditConfigError(`${data.setup}: the default export must be the logger options (or a function returning them)`);
  const o = made as AuditLoggerOptions;
  const transports = Array.isArray(o.transports)
    ? o.transports.map((t) => (t && typeof t.write === 'function' ? progress.track(t) : t))
    : o.transports;
  const userSealed = o.onSealed;
  const head = data.restart?.loss.head;
  let sealing: Sealing | undefined; // set once created: the first record (genesis) keeps no tree here
  const logger = createAuditLogger({
    ...o,
    transports,
    // After a death the chain goes on from the last entry the dead worker sealed, so its lost seqs
    // are a hole that the gap record declares (not seqs reused with other content).
    // The tree too (checkpoints on): the dead worker kept it in shared memory through its last seal.
    ...(head ? { chain: { ...o.chain, resume: { ...head, ...noteOf(transports), tree: () => state.tree(head.seq) } } } : {}),
    onSealed: (r) => {
      const tree = sealing?.[TREE]();
      if (tree) state.setTree(tree.size, tree.hashes);
      state.sealed(r.entry.seq, r.entry.hash);
      userSealed?.(r);
    },
    handleSignals: false, // the app's process handles signals and flushes through the bridge
    onError: (e) => port.postMessage({ t: 'error', error: serializeError(e) }),
  }) as Sealing;
  sealing = logger;
  // Now, before any delivery can be confirmed. Known delivered: what the dead worker's transports
  // confirmed, or, for a first worker, everything before its first record (an earlier process's
  // entries; a crash there is for the file transport's `recovered` record to declare).
  const first = logger.health().chain.head?.seq ?? 0;
  progress.start(data.restart ? (state.deliveredThrough() ?? first - 1) : first - 1);
  if (data.restart) declareLoss(data.restart, progress.context);
  return logger;
}

/** An entry's time as the app thread read it: microseconds (formatted here), or already a timestamp. */
function timeOf(ts: unknown): string {
  return typeof ts === 'number' ? formatMicros(ts) : (ts as string);
}

/** What a transport repaired when it opened (a stale lock taken over, a torn line set aside), for the `recovered` record. */
function noteOf(transports: unknown): { note?: Record<string, unknown> } {
  if (!Array.isArray(transports)) return {};
  for (const t of transports as Transport[]) {
    const note = t?.resume?.()?.note;
    if (note) return { note };
  }
  return {};
}

/** The replacement's first words after its `recovered` record: what the dead worker lost. */
function declareLoss(r: Restart, ctx: TransportContext | undefined): void {
  const { loss } = r;
  const count = lostCount(loss);
  const how = `audit worker exited (code ${r.exitCode}${r.error ? `: ${r.error}` : ''})`;
  const details: Record<string, unknown> = { cause: 'audit-worker-exit', exitCode: r.exitCode, restarts: r.count };
  if (r.error) details.error = r.error;
  if (count === 0) {
    ctx?.record('notice', { reason: `${how}; restarted, nothing was lost`, details });
    return;
  }
  if (loss.to >= loss.from) Object.assign(details, { from: loss.from, to: loss.to });
  Object.assign(details, { count, unsealed: loss.unsealed });
  ctx?.record('gap', { reason: `${how}: ${count} entries it had taken were not delivered; restarted`, details });
}

/** Serves the bridge: seals what it posts, answers its synchronous calls, publishes the room left. */
class WorkerHost {
  readonly #logger: Sealing;
  readonly #port: MessagePort;
  readonly #data: Data;
  readonly #state: WorkerState;
  readonly #failClosed: boolean;
  /** Inputs taken from the app's thread, mod 2^32 (counted from the bridge's takenBase). */
  #taken: number;

  constructor(logger: Sealing, port: MessagePort, data: Data, state: WorkerState) {
    this.#logger = logger;
    this.#port = port;
    this.#data = data;
    this.#state = state;
    this.#taken = data.takenBase >>> 0;
    state.setTaken(this.#taken);
    this.#failClosed = logger.health().overflow === 'fail-closed';
    this.#publish();
    // The watchdog's heartbeat: a loop blocked (a transport that busy-loops) stops it.
    state.beat();
    setInterval(() => state.beat(), 100).unref();
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
    if (this.#failClosed) this.#state.setRoom(this.#taken, this.#logger[ROOM]());
  }

  #took(n: number): void {
    this.#taken = (this.#taken + n) >>> 0;
    this.#state.setTaken(this.#taken);
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
    else if (m.t === 'checkpoint' || m.t === 'rotate')
      this.#checkpoint(m.id as number, m.t === 'rotate' ? (m.args?.[0] as string) : undefined);
    else if (m.t === 'erase') this.#erase(m.id as number, m.args?.[0] as string);
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
        this.#logger[SEAL_AT](items[i] as AuditRecordInput, timeOf(items[i + 1]));
      } catch (err) {
        // Closed or failing closed: the bridge counted these as taken; say they were not.
        this.#reportError(err);
      }
      this.#took(1); // one by one: a death in the middle of a batch leaves the count exact
    }
    this.#publish();
  }

  #sync(op: string | undefined, args: unknown[]): void {
    if (op === 'record' || op === 'reject') this.#took(1); // before the reply, which publishes the room
    try {
      if (op === 'record') this.#reply({ ok: this.#logger[SEAL_AT](args[0] as AuditRecordInput, timeOf(args[1])) });
      else if (op === 'reject') this.#reply({ ok: this.#logger[SEAL_REJECTED](args[0], args[1] as string) });
      else if (op === 'health') this.#reply({ ok: this.#logger.health() });
      else this.#reply({ error: { name: 'AuditInputError', code: 'ERR_AUDIT_INPUT', message: `unknown call ${String(op)}` } });
    } catch (err) {
      this.#reply({ error: serializeError(err) });
    }
  }

  /** logger.checkpoint(), answered as a round trip: the checkpoint (a plain object), or the error. */
  #checkpoint(id: number, rotateTo: string | undefined): void {
    const answer = (result: unknown) => this.#port.postMessage({ t: 'done', id, result, health: this.#logger.health() });
    let p: ReturnType<AuditLogger['checkpoint']>;
    try {
      p = rotateTo === undefined ? this.#logger.checkpoint() : this.#logger.rotateCheckpointKey(rotateTo);
    } catch (err) {
      p = Promise.reject(err);
    }
    p.then(
      (c) =>
        answer({
          checkpoint: c && { origin: c.origin, size: c.size, note: c.note, record: { entry: c.record.entry, line: c.record.line } },
        }),
      (err) => answer({ error: serializeError(err) }),
    );
  }

  /** logger.eraseSubject(), answered as a round trip. */
  #erase(id: number, subject: string): void {
    const answer = (result: unknown) => this.#port.postMessage({ t: 'done', id, result, health: this.#logger.health() });
    Promise.resolve()
      .then(() => this.#logger.eraseSubject(subject))
      .then(
        (erased) => answer({ erased }),
        (err) => answer({ error: serializeError(err) }),
      );
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
  const state = new WorkerState(data.state);
  const progress = new Progress(state);
  if (data.restart) {
    // The file transport may take over a lock that the dead worker (a thread of this process) held.
    const key = Symbol.for('auditready.dead-threads');
    const g = globalThis as Record<symbol, unknown>;
    g[key] = [...((g[key] as number[] | undefined) ?? []), data.restart.thread];
  }
  let logger: Sealing;
  try {
    logger = await loadLogger(data, port, progress, state);
  } catch (err) {
    port.postMessage({ t: 'failed', error: serializeError(err) });
    return;
  }
  new WorkerHost(logger, port, data, state);
}

void main();
