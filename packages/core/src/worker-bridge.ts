/** Pieces of the worker bridge (@auditready/core/worker) that hold no state of their own. */

import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';
import type { IssuedCheckpoint } from './checkpointer.js';
import type { AuditClock } from './clock.js';
import { AuditConfigError, AuditError, AuditUnavailableError } from './errors.js';
import type { AuditHealth } from './logger-types.js';
import { intOption } from './options.js';
import type { ErasureResult } from './subjects.js';
import { errorMessage } from './util.js';

/** An error from the worker, rebuilt in the app's thread with its name, code and message. */
export class WorkerReportedError extends AuditError {
  constructor(e: { name: string; message: string; code?: string; path?: string }) {
    super((e.code ?? 'ERR_AUDIT_TRANSPORT') as never, e.message, e.path !== undefined ? { path: e.path } : undefined);
    this.name = e.name;
  }
}

/** What a `rejected` entry keeps of input that could not be sent to the worker, and why. */
export function unclonable(input: unknown, err: unknown): [unknown, string] {
  const rec = (input !== null && typeof input === 'object' ? input : {}) as { action?: unknown; actor?: { id?: unknown } };
  const lite: Record<string, unknown> = {};
  if (typeof rec.action === 'string') lite.action = rec.action;
  if (rec.actor !== null && typeof rec.actor === 'object' && typeof rec.actor.id === 'string') lite.actor = { id: rec.actor.id };
  const why = err instanceof Error ? err.message : String(err);
  return [lite, `record(): the input cannot be sent to the audit worker (${why})`];
}

/**
 * How one worker's start settles: bounded by `startTimeoutMs` (then `onTimeout`, the worker
 * terminated and a named error), the worker unref'd once it settles either way.
 */
export function startSettle(
  worker: Worker,
  startTimeoutMs: number,
  resolve: () => void,
  reject: (e: Error) => void,
  onTimeout: () => void,
): Settle {
  const timer = setTimeout(() => {
    onTimeout();
    void worker.terminate();
    reject(
      new AuditUnavailableError(
        `audit worker did not start within ${startTimeoutMs} ms (does the setup module's default export ever resolve?)`,
      ),
    );
  }, startTimeoutMs);
  const started = () => {
    clearTimeout(timer);
    worker.unref();
  };
  const settle: Settle = {
    ready: false,
    resolve: () => {
      settle.ready = true;
      started();
      resolve();
    },
    reject: (e) => {
      started();
      reject(e);
    },
  };
  return settle;
}

export function workerFile(): string {
  // The worker script is the ESM build (dist/worker-thread.js) for both builds of this file: it
  // loads the app's setup module with import(), ESM or CommonJS. The CommonJS build has no
  // import.meta (esbuild leaves it empty) and uses __dirname.
  const url = (import.meta as { url?: string }).url;
  return join(url ? dirname(fileURLToPath(url)) : __dirname, 'worker-thread.js');
}

/**
 * The app's thread posts its waiting entries at the end of the event-loop turn, unless fewer than
 * GATHER_ENTRIES wait less than GATHER_MS after the previous post: then GATHER_MS later, with
 * whatever came in meanwhile (a post costs that thread ~3.6 µs however small the batch).
 */
const GATHER_ENTRIES = 16;
const GATHER_MS = 1;

/** Posts now (`post`), or GATHER_MS later when `waiting` entries are few and the last post (`postedAt`, performance.now()) was recent. */
export function postOrGather(waiting: number, postedAt: number, post: () => void): void {
  if (waiting < GATHER_ENTRIES && performance.now() - postedAt < GATHER_MS) setTimeout(post, GATHER_MS);
  else post();
}

/** A worker heartbeat older than this: its loop is blocked (the watchdog reports it). */
export const WATCHDOG_MS = 1000;

/** How the start of the worker settles (once; later calls do nothing). */
export interface Settle {
  /** resolve() was called: the worker's logger exists. */
  ready: boolean;
  resolve(): void;
  reject(e: Error): void;
}

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
  /**
   * When the worker dies (a transport's uncaught error, process.exit in it, out of memory): start a
   * new one that continues the chain and declares, in a `gap` record, the entries the dead one had
   * taken but not delivered (a `notice` when nothing was lost). Default `{ max: 5, withinMs: 60000 }`:
   * after `max` restarts within `withinMs` (a crash loop) it stays down. `false`: it stays down at
   * once; the loss is then reported through onError only (nothing is left to write it to the log).
   * While it is down, record() and recordLater() throw AuditUnavailableError.
   */
  restart?: false | { max?: number; withinMs?: number };
}

/** The `restart` option: how many restarts, within which window, before the worker stays down. */
export class RestartPolicy {
  readonly #max: number;
  readonly #withinMs: number;
  /** When the worker was restarted (within the window). */
  #times: number[] = [];
  #count = 0;

  constructor(v: WorkerAuditLoggerOptions['restart']) {
    if (v !== undefined && v !== false && (v === null || typeof v !== 'object'))
      throw new AuditConfigError('restart must be false or { max, withinMs }', { path: 'restart' });
    const o = v === undefined ? {} : v;
    this.#max = o === false ? 0 : intOption(o.max, 5, 0, 'restart.max');
    this.#withinMs = o === false ? 1 : intOption(o.withinMs, 60_000, 1, 'restart.withinMs');
  }

  /** Restarts so far. */
  get count(): number {
    return this.#count;
  }

  /** Notes a restart now and returns undefined, or says why there is none. */
  take(): string | undefined {
    if (this.#max === 0) return 'restart is off';
    const now = Date.now();
    this.#times = this.#times.filter((t) => now - t < this.#withinMs);
    if (this.#times.length >= this.#max) return `restarted ${this.#max} times within ${this.#withinMs} ms: not again`;
    this.#times.push(now);
    this.#count++;
    return undefined;
  }
}

/** health() without asking the worker: the last health it gave, with the status now. */
export function staleHealth(
  last: AuditHealth | undefined,
  chainId: string,
  status: 'closed' | 'degraded',
  accepting: boolean,
): AuditHealth {
  const base = last ?? { overflow: 'drop-newest', chain: { id: chainId }, recorded: 0, rejected: 0, transports: [] };
  return { ...base, status, accepting } as AuditHealth;
}

/**
 * Posts a batch of recordLater() inputs. Some input cannot cross threads (a function, a symbol, a
 * class with private state ...): then the rest go one by one, and each such input as a `rejected`
 * entry, in order.
 */
export function postBatch(worker: { postMessage(m: unknown): void }, items: unknown[]): void {
  try {
    worker.postMessage({ t: 'batch', items });
  } catch {
    for (let i = 0; i < items.length; i += 2) {
      try {
        worker.postMessage({ t: 'batch', items: [items[i], items[i + 1]] });
      } catch (err) {
        worker.postMessage({ t: 'unclonable', args: unclonable(items[i], err) });
      }
    }
  }
}

/** checkpoint() / rotateCheckpointKey() as the worker answered them: the checkpoint, or its error thrown here. */
export function checkpointAnswer(answer: unknown): IssuedCheckpoint | undefined {
  const r = answer as { checkpoint?: IssuedCheckpoint; error?: ConstructorParameters<typeof WorkerReportedError>[0]; ok?: false };
  if (r.error) throw new WorkerReportedError(r.error);
  if (r.ok === false) throw new AuditUnavailableError('checkpoint(): the audit worker did not answer');
  return r.checkpoint;
}

/** The answer to eraseSubject() from the worker: what was erased, or the worker's error. */
export function erasureAnswer(answer: unknown): ErasureResult {
  const r = answer as { erased?: ErasureResult; error?: ConstructorParameters<typeof WorkerReportedError>[0]; ok?: false };
  if (r.error) throw new WorkerReportedError(r.error);
  if (r.ok === false || r.erased === undefined) throw new AuditUnavailableError('eraseSubject(): the audit worker did not answer');
  return r.erased;
}

/**
 * Starts the audit thread with the app's Node options. They are inherited as they are (Node then
 * leaves out those that are the process's: --max-old-space-size, --expose-gc, --stack-size ...),
 * except --input-type (given with -e/--eval: it would stop the worker's own script): without it
 * the options must be listed, and Node refuses a list holding a process option
 * (ERR_WORKER_INVALID_EXEC_ARGV), so those it names are left out and the thread started again.
 */
export function startThread(file: string | URL, options: WorkerOptions): Worker {
  const argv = process.execArgv;
  let execArgv = argv.filter((a) => !a.startsWith('--input-type'));
  if (execArgv.length === argv.length) return new Worker(file, options);
  for (;;) {
    try {
      return new Worker(file, { ...options, execArgv });
    } catch (err) {
      const named = (err as { code?: unknown }).code === 'ERR_WORKER_INVALID_EXEC_ARGV' ? /flags: (.*)$/.exec(errorMessage(err)) : null;
      const refused = new Set(named?.[1]?.split(', ') ?? []);
      const kept = execArgv.filter((a) => !refused.has(a));
      if (kept.length === execArgv.length) throw err;
      execArgv = kept;
    }
  }
}
