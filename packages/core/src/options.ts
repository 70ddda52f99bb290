/**
 * The option checkers every factory uses (core, transports, adapters), so a bad option reads the
 * same everywhere: an AuditConfigError naming the option's path, thrown at construction.
 */
import { AuditConfigError } from './errors.js';

/** `options` must be an object: `who(options): options must be an object`. */
export function checkOptionsObject(options: unknown, who: string): asserts options is Record<string, unknown> {
  if (options === null || typeof options !== 'object' || Array.isArray(options))
    throw new AuditConfigError(`${who}(options): options must be an object`);
}

/** An integer option of at least `min`, or `fallback` when absent. */
export function intOption(value: unknown, fallback: number, min: number, where: string): number;
export function intOption(value: unknown, fallback: undefined, min: number, where: string): number | undefined;
export function intOption(value: unknown, fallback: number | undefined, min: number, where: string): number | undefined {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min)
    throw new AuditConfigError(`${where} must be ${min === 1 ? 'a positive integer' : `an integer >= ${min}`}`, { path: where });
  return value;
}

/** A finite number above zero (durations that may be fractional), or `fallback` when absent. */
export function positiveOption(value: unknown, fallback: number, where: string): number;
export function positiveOption(value: unknown, fallback: undefined, where: string): number | undefined;
export function positiveOption(value: unknown, fallback: number | undefined, where: string): number | undefined {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)
    throw new AuditConfigError(`${where} must be a positive number`, { path: where });
  return value;
}

/** A callback option, if given. `where` names it in the message (e.g. `auditMiddleware: actor`), `path` is its path. */
export function fnOption<F>(value: F | undefined, where: string, path = where): F | undefined {
  if (value !== undefined && typeof value !== 'function') throw new AuditConfigError(`${where} must be a function`, { path });
  return value;
}

/** One of a fixed set of strings, or `fallback` when absent. */
export function enumOption<T extends string>(value: unknown, allowed: readonly T[], fallback: T, where: string): T {
  if (value === undefined) return fallback;
  if (!allowed.includes(value as T)) throw new AuditConfigError(`${where} must be one of ${allowed.join(', ')}`, { path: where });
  return value as T;
}
