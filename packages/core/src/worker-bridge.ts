/** Pieces of the worker bridge (@auditready/core/worker) that hold no state of their own. */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AuditError } from './errors.js';

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

export function workerFile(): string {
  // The worker script is the ESM build (dist/worker-thread.js) for both builds of this file: it
  // loads the app's setup module with import(), ESM or CommonJS. The CommonJS build has no
  // import.meta (esbuild leaves it empty) and uses __dirname.
  const url = (import.meta as { url?: string }).url;
  return join(url ? dirname(fileURLToPath(url)) : __dirname, 'worker-thread.js');
}

/** A worker heartbeat older than this: its loop is blocked (the watchdog reports it). */
export const WATCHDOG_MS = 1000;

/** How the start of the worker settles (once; later calls do nothing). */
export interface Settle {
  resolve(): void;
  reject(e: Error): void;
}
