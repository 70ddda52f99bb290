/** Request and response bodies as an entry keeps them: parsed when JSON, described when binary, capped. */

export function bodyOf(chunks: Buffer[], contentType: unknown): unknown {
  const text = Buffer.concat(chunks).toString('utf8');
  if (typeof contentType === 'string' && contentType.includes('json')) {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return text;
}

const MAX_DEPTH = 32;

/**
 * The value with every string made well-formed (a lone UTF-16 surrogate becomes U+FFFD): a body is
 * the client's, and one bad character (JSON's "\ud800") must not make the whole access entry
 * unsealable. `fixed` counts the strings changed.
 */
function wellFormed(value: unknown, counter: { fixed: number }, depth = 0): unknown {
  if (typeof value === 'string') {
    if (value.isWellFormed()) return value;
    counter.fixed++;
    return value.toWellFormed();
  }
  if (value === null || typeof value !== 'object' || depth >= MAX_DEPTH) return value;
  if (Array.isArray(value)) return value.map((v) => wellFormed(v, counter, depth + 1));
  if (Object.getPrototypeOf(value) !== Object.prototype && Object.getPrototypeOf(value) !== null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[wellFormed(k, counter, depth + 1) as string] = wellFormed(v, counter, depth + 1);
  return out;
}

/** `text` cut to at most `max` UTF-16 units without splitting a surrogate pair. */
function cutAt(text: string, max: number): string {
  const code = text.charCodeAt(max - 1);
  return text.slice(0, code >= 0xd800 && code <= 0xdbff ? max - 1 : max);
}

/**
 * A body as the entry keeps it: binary described, strings well-formed, cut at `max` bytes with a
 * marker. `notes` receives what was repaired.
 */
export function capBody(value: unknown, max: number, notes: string[] = [], what = 'body'): unknown {
  if (value === undefined) return undefined;
  // Raw bodies (uploads, express.raw) are described, never logged byte for byte.
  if (value instanceof Uint8Array) return `[binary body: ${value.length} bytes]`;
  const counter = { fixed: 0 };
  let clean: unknown;
  try {
    clean = wellFormed(value, counter);
  } catch {
    return '[unreadable body]';
  }
  if (counter.fixed > 0) notes.push(`${what}: ${counter.fixed} string(s) with lone UTF-16 surrogates, replaced by U+FFFD`);
  let size: number;
  try {
    size = typeof clean === 'string' ? Buffer.byteLength(clean) : Buffer.byteLength(JSON.stringify(clean) ?? '');
  } catch {
    return '[unserializable body]';
  }
  if (size <= max) return clean;
  const text = typeof clean === 'string' ? clean : JSON.stringify(clean);
  return `${cutAt(text, max)}…[truncated ${size - max} of ${size} bytes]`;
}
