/**
 * logger.wrap(fn, options): records each call of a sync or async function as an entry (success,
 * failure or denied, with its duration), and never changes what the function returns or throws.
 */
import { AuditConfigError, AuditError, AuditHookError } from './errors.js';
import type { AuditLogger } from './logger-types.js';
import type { Actor, AuditRecordInput, Outcome } from './types.js';
import { errorMessage, isPlainObject, safeGet } from './util.js';

export interface WrapOptions<A extends unknown[], R> {
  action: string;
  kind?: 'event' | 'access';
  actor?: Actor | ((...args: A) => Actor | undefined);
  resource?: AuditRecordInput['resource'] | ((...args: A) => AuditRecordInput['resource']);
  /** Extra details from the arguments and (on success) the result, awaited when the function returns a Promise. */
  details?: (args: A, result: Awaited<R> | undefined, error: unknown) => Record<string, unknown> | undefined;
  /** Decide the outcome of a thrown error. Default: denied for 401/403-like errors, else failure. */
  classify?: (error: unknown) => Outcome;
}

export const OUTCOMES: readonly Outcome[] = ['success', 'failure', 'denied', 'error', 'aborted'];

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

/** An error's message as text, whatever was thrown (a message getter that throws, a non-string). */
export function safeMessage(error: unknown): string {
  const m = safeGet(error, 'message');
  if (typeof m === 'string') return m;
  if (error instanceof Error) {
    const name = safeGet(error, 'name');
    return typeof name === 'string' ? name : 'Error';
  }
  return errorMessage(error);
}

/** Calls one of wrap's resolvers; if it throws, notes and reports it and returns undefined. */
function resolve<T>(logger: AuditLogger, action: string, what: string, hookErrors: string[], fn: () => T): T | undefined {
  try {
    return fn();
  } catch (e) {
    hookErrors.push(`${what} threw: ${errorMessage(e)}`);
    logger.reportError(new AuditHookError(`wrap(${action}): ${what} threw: ${errorMessage(e)}`, { cause: e }));
    return undefined;
  }
}

/** The entry of one finished call. */
function callInput<A extends unknown[], R>(
  logger: AuditLogger,
  opts: WrapOptions<A, R>,
  args: A,
  durationMs: number,
  outcome: Outcome,
  result: Awaited<R> | undefined,
  error: unknown,
): AuditRecordInput {
  const hookErrors: string[] = [];
  const a = opts.action;
  const actor = resolve(logger, a, 'actor resolver', hookErrors, () =>
    typeof opts.actor === 'function' ? opts.actor(...args) : opts.actor,
  );
  const resource = resolve(logger, a, 'resource resolver', hookErrors, () =>
    typeof opts.resource === 'function' ? opts.resource(...args) : opts.resource,
  );
  const extra = resolve(logger, a, 'details resolver', hookErrors, () => opts.details?.(args, result, error));
  const details: Record<string, unknown> = { ...extra, durationMs };
  if (error !== undefined) {
    // The app's error may be anything (a getter that throws, a null-prototype object): read safely.
    const name = safeGet(error, 'name');
    const code = safeGet(error, 'code');
    details.error = {
      ...(typeof name === 'string' ? { name } : {}),
      ...(typeof code === 'string' || typeof code === 'number' ? { code } : {}),
    };
  }
  if (hookErrors.length > 0) details.auditErrors = hookErrors;
  return {
    kind: opts.kind ?? 'event',
    action: opts.action,
    outcome,
    ...(actor ? { actor } : {}),
    ...(resource ? { resource } : {}),
    ...(error !== undefined ? { reason: safeMessage(error).slice(0, 2000) } : {}),
    details,
  };
}

/** Logger.wrap for any AuditLogger (the worker bridge uses it too). */
export function wrapWith<A extends unknown[], R>(logger: AuditLogger, fn: (...args: A) => R, opts: WrapOptions<A, R>): (...args: A) => R {
  if (typeof fn !== 'function') throw new AuditConfigError('wrap(fn, options): fn must be a function', { path: 'fn' });
  if (!isPlainObject(opts) || typeof opts.action !== 'string' || opts.action === '')
    throw new AuditConfigError('wrap(fn, options): options.action is required', { path: 'action' });
  const classify = opts.classify ?? classifyError;
  const finish = (args: A, started: number, outcome: Outcome, result: Awaited<R> | undefined, error: unknown) => {
    try {
      const durationMs = Math.round((performance.now() - started) * 1000) / 1000;
      logger.record(callInput(logger, opts, args, durationMs, outcome, result, error));
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
    if (result instanceof Promise) {
      // A native Promise: observed, and the chained Promise settles exactly like it.
      return (result as unknown as Promise<unknown>).then(
        (value) => {
          finish(args, started, 'success', value as Awaited<R>, undefined);
          return value;
        },
        (err: unknown) => {
          finish(args, started, safeClassify(err), undefined, err);
          throw err;
        },
      ) as unknown as R;
    }
    // Anything else, thenables included (a query builder runs when then() is called: calling it
    // here would run it twice), is returned untouched and recorded as returned.
    finish(args, started, 'success', result as Awaited<R>, undefined);
    return result;
  };
}
