/** Small helpers shared inside core (not public API). */

/** A plain object literal (or a null-prototype one): what options and inputs must be. */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const p = Object.getPrototypeOf(v);
  return p === Object.prototype || p === null;
}

/**
 * Reads `obj[key]` from input the app handed over, which may be hostile or broken (a getter that
 * throws, a Proxy): undefined instead of an exception.
 */
export function safeGet(obj: unknown, key: string): unknown {
  if (obj === null || (typeof obj !== 'object' && typeof obj !== 'function')) return undefined;
  try {
    return (obj as Record<string, unknown>)[key];
  } catch {
    return undefined;
  }
}

/** isPlainObject for values that may be Proxies whose traps throw. */
export function safeIsPlainObject(v: unknown): v is Record<string, unknown> {
  try {
    return isPlainObject(v);
  } catch {
    return false;
  }
}

/** A message for anything thrown, even an Error whose message getter throws or a value whose String() throws. */
export function errorMessage(err: unknown): string {
  const m = err instanceof Error ? safeGet(err, 'message') : undefined;
  if (typeof m === 'string') return m;
  try {
    return String(err);
  } catch {
    return 'unprintable error';
  }
}
