/** Reading what the app and its clients hand over, which may be broken or hostile, without throwing. */

/** `obj[key]`, or undefined when reading it throws (a getter, a Proxy trap). */
export function safeGet(obj: unknown, key: string): unknown {
  if (obj === null || (typeof obj !== 'object' && typeof obj !== 'function')) return undefined;
  try {
    return (obj as Record<string, unknown>)[key];
  } catch {
    return undefined;
  }
}

/** A thrown value's message as text: an Error's message if it is a string, else String(value), else a placeholder. */
export function safeMessage(err: unknown): string {
  const m = err instanceof Error ? safeGet(err, 'message') : undefined;
  if (typeof m === 'string') return m;
  try {
    return String(err);
  } catch {
    return 'unprintable error';
  }
}

/**
 * A copy of an actor object the app set, reading each property once and safely: a getter that
 * throws loses that property (named in `problems`), not the entry.
 */
export function copyObject<T extends object>(obj: T, what: string, problems: string[]): T {
  const out: Record<string, unknown> = {};
  let keys: string[];
  try {
    keys = Object.keys(obj);
  } catch (err) {
    problems.push(`${what} could not be read: ${safeMessage(err)}`);
    return out as T;
  }
  for (const k of keys) {
    try {
      out[k] = (obj as Record<string, unknown>)[k];
    } catch (err) {
      problems.push(`${what}.${k} getter threw: ${safeMessage(err)}`);
    }
  }
  return out as T;
}
