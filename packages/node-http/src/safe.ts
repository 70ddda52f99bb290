/** Reading what the app and its clients hand over, which may be broken or hostile, without throwing. */
import { errorMessage } from '@auditready/core';

export { safeGet } from '@auditready/core';

/** A thrown value's message as text, whatever was thrown (core's errorMessage: never throws itself). */
export const safeMessage: (err: unknown) => string = errorMessage;

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
