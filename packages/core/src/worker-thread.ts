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
  replyPort: MessagePort;
  signal: Int32Array;
  /** Fail-closed state for the app's thread: (inputs taken from it, mod 2^32) << 32 | room left in the queues. */
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

async function main(): Promise<void> {
  const port = parentPort as MessagePort;
  const { setup, replyPort, signal, room } = workerData as Data;
  let beforeReply = () => {};
  const reply = (value: unknown) => {
    beforeReply(); // the room after this call, before the app's thread goes on
    replyPort.postMessage(value);
    Atomics.store(signal, 0, 1);
    Atomics.notify(signal, 0);
  };
  let logger: Sealing;
  try {
    const mod = (await import(setup)) as { default?: unknown };
    const made = typeof mod.default === 'function' ? await (mod.default as () => unknown)() : mod.default;
    if (made === null || typeof made !== 'object')
      throw new AuditConfigError(`${setup}: the default export must be the logger options (or a function returning them)`);
    logger = createAuditLogger({
      ...(made as AuditLoggerOptions),
      handleSignals: false, // the app's process handles signals and flushes through the bridge
      onError: (e) => port.postMessage({ t: 'error', error: serializeError(e) }),
    }) as Sealing;
  } catch (err) {
    port.postMessage({ t: 'failed', error: serializeError(err) });
    return;
  }
  const h = logger.health();
  const failClosed = h.overflow === 'fail-closed';
  // Fail-closed: the app's thread decides accepting() from this word, without a round trip: the
  // room left, and how many of its inputs the room already accounts for (the rest are in flight).
  let taken = 0;
  const publish = failClosed
    ? () => Atomics.store(room, 0, (BigInt(taken) << 32n) | BigInt(Math.min(logger[ROOM](), 0x7fffffff)))
    : () => {};
  publish();
  beforeReply = publish;
  // Deliveries free room without a message from the app's thread: publish that too.
  if (failClosed) setInterval(publish, 2).unref();
  port.postMessage({ t: 'ready', chainId: logger.chainId, failClosed });

  port.on('message', (m: { t: string; id?: number; items?: unknown[]; op?: string; args?: unknown[] }) => {
    switch (m.t) {
      case 'batch': {
        const items = m.items as unknown[];
        for (let i = 0; i < items.length; i += 2) {
          try {
            logger[SEAL_AT](items[i] as AuditRecordInput, items[i + 1] as string);
          } catch (err) {
            // Closed or failing closed: the bridge counted these as taken; say they were not.
            port.postMessage({ t: 'error', error: serializeError(err) });
          }
        }
        taken = (taken + items.length / 2) >>> 0;
        publish();
        return;
      }
      case 'unclonable':
        try {
          logger[SEAL_REJECTED](m.args?.[0], m.args?.[1] as string);
        } catch (err) {
          port.postMessage({ t: 'error', error: serializeError(err) });
        }
        taken = (taken + 1) >>> 0;
        publish();
        return;
      case 'clock':
        logger[CLOCK_STEP](m.args?.[0] as ClockStep);
        return;
      case 'sync': {
        if (m.op === 'record' || m.op === 'reject') taken = (taken + 1) >>> 0;
        try {
          if (m.op === 'record') reply({ ok: logger[SEAL_AT](m.args?.[0] as AuditRecordInput, m.args?.[1] as string) });
          else if (m.op === 'reject') reply({ ok: logger[SEAL_REJECTED](m.args?.[0], m.args?.[1] as string) });
          else if (m.op === 'health') reply({ ok: logger.health() });
          else reply({ error: { name: 'Error', message: `unknown call ${String(m.op)}` } });
        } catch (err) {
          reply({ error: serializeError(err) });
        }
        return;
      }
      case 'flush':
      case 'close': {
        const opts = m.args?.[0] as { timeoutMs?: number } | undefined;
        const done = m.t === 'flush' ? logger.flush(opts) : logger.close(opts);
        void done.then((result) => {
          publish();
          port.postMessage({ t: 'done', id: m.id, result, health: logger.health() });
        });
        return;
      }
    }
  });
}

void main();
