/**
 * Request and response bodies as an entry keeps them. Decided by content, not by the label: text
 * that is JSON, a form or multipart is parsed into fields whatever its content-type says, so the
 * logger's redaction sees key names (`password`, `client_secret`) rather than a string. Binary is
 * described. Over `maxBodyBytes`, a structure is cut by dropping fields and items past the budget
 * (keys kept for redaction to judge), never by cutting its JSON text, and text is cut at a token
 * boundary (core's truncateString), so no secret is kept in half.
 */
import { truncateString } from '@auditready/core';

/** A response body from its captured chunks. */
export function bodyOf(chunks: Buffer[], contentType: unknown): unknown {
  return parseText(Buffer.concat(chunks).toString('utf8'), contentType);
}

/** `a=1&b=2` (no spaces, every pair has `=`): linear, each repetition starts with `&`. */
const FORM = /^[^=&\s]+=[^&\s]*(?:&[^=&\s]+=[^&\s]*)*$/;

/** Text parsed by what it is: JSON, a multipart form, a urlencoded form, or left as text. */
export function parseText(text: string, contentType?: unknown): unknown {
  const start = text.search(/\S/);
  if (start === -1) return text;
  const c = text[start];
  if (c === '{' || c === '[') {
    try {
      return JSON.parse(text);
    } catch {
      return text; // cut or broken: the logger's key-value detector reads `"password":"…"` in text
    }
  }
  const boundary = multipartBoundary(text, contentType);
  if (boundary !== undefined) return parseMultipart(text, boundary);
  if (text.length <= 1 << 20 && FORM.test(text)) return parseForm(text);
  return text;
}

function parseForm(text: string): Record<string, unknown> {
  const out: Record<string, unknown> = Object.create(null);
  for (const [k, v] of new URLSearchParams(text)) {
    const prev = out[k];
    out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return { ...out };
}

function multipartBoundary(text: string, contentType: unknown): string | undefined {
  if (typeof contentType === 'string') {
    const m = /boundary=(?:"([^"]{1,70})"|([^\s;]{1,70}))/i.exec(contentType);
    if (m && /multipart\//i.test(contentType)) return m[1] ?? m[2];
  }
  // Sent with another label: a first line `--<boundary>` followed by part headers.
  const m = /^--([^\r\n]{1,70})\r?\n[Cc]ontent-/.exec(text);
  return m ? m[1] : undefined;
}

/** Fields of a multipart/form-data body; file parts are described, not kept. */
function parseMultipart(text: string, boundary: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const parts = text.split(`--${boundary}`);
  for (const part of parts.slice(1)) {
    if (part.startsWith('--')) break;
    const sep = part.search(/\r?\n\r?\n/);
    const head = sep === -1 ? part : part.slice(0, sep);
    const body =
      sep === -1
        ? ''
        : part
            .slice(sep)
            .replace(/^\r?\n\r?\n/, '')
            .replace(/\r?\n$/, '');
    const name = /(?:^|[;\s])name="([^"]*)"/i.exec(head)?.[1] ?? `part${Object.keys(out).length}`;
    const file = /filename="([^"]*)"/i.exec(head)?.[1];
    out[name] = file !== undefined ? `[file ${file}: ${Buffer.byteLength(body)} bytes]` : body;
  }
  return out;
}

const MAX_DEPTH = 32;

/**
 * The value with every string made well-formed (a lone UTF-16 surrogate becomes U+FFFD): a body is
 * the client's, and one bad character (JSON's "\ud800") must not make the whole access entry
 * unsealable; objects of any prototype become plain objects of their own fields. `fixed` counts
 * the strings changed.
 */
function wellFormed(value: unknown, counter: { fixed: number }, depth = 0): unknown {
  if (typeof value === 'string') {
    if (value.isWellFormed()) return value;
    counter.fixed++;
    return value.toWellFormed();
  }
  if (value === null || typeof value !== 'object' || depth >= MAX_DEPTH) return value;
  if (Array.isArray(value)) return value.map((v) => wellFormed(v, counter, depth + 1));
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (value instanceof Uint8Array) return `[binary: ${value.length} bytes]`;
  // A parser's own object type (a class instance, a Map-like): its own fields as plain data, so
  // one body parser's choice of prototype does not make the whole access entry `rejected`.
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const key = wellFormed(k, counter, depth + 1) as string;
    const val = wellFormed(v, counter, depth + 1);
    // `__proto__` from JSON.parse is data: never let it set the copy's prototype.
    if (key === '__proto__') Object.defineProperty(out, key, { value: val, enumerable: true, writable: true, configurable: true });
    else out[key] = val;
  }
  return out;
}

/** Marks where a cut structure lost fields (a key redaction leaves alone). */
const CUT_KEY = '…truncated';

/**
 * `value` within about `budget.left` bytes of JSON: strings cut at a token boundary, objects and
 * arrays lose their last fields and items (a marker says how many), keys are kept whole.
 */
function cutStructure(value: unknown, budget: { left: number }, depth = 0): unknown {
  if (typeof value === 'string') {
    const n = Buffer.byteLength(value) + 2;
    if (n <= budget.left) {
      budget.left -= n;
      return value;
    }
    const keep = Math.max(0, budget.left - 2);
    budget.left = 0;
    return truncateString(value, keep);
  }
  if (value === null || typeof value !== 'object' || depth >= MAX_DEPTH) {
    budget.left -= String(value).length + 1;
    return value;
  }
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (let i = 0; i < value.length; i++) {
      if (budget.left <= 0) {
        out.push(`…[truncated ${value.length - i} of ${value.length} items]`);
        break;
      }
      out.push(cutStructure(value[i], budget, depth + 1));
    }
    return out;
  }
  const out: Record<string, unknown> = {};
  const keys = Object.keys(value);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i] as string;
    if (budget.left <= 0) {
      out[CUT_KEY] = `${keys.length - i} of ${keys.length} fields`;
      break;
    }
    budget.left -= Buffer.byteLength(k) + 4;
    out[k] = cutStructure((value as Record<string, unknown>)[k], budget, depth + 1);
  }
  return out;
}

/**
 * A body as the entry keeps it: binary described, text parsed by its content, strings well-formed,
 * cut to about `max` bytes (see the module comment). `notes` receives what was repaired or cut.
 */
export function capBody(value: unknown, max: number, notes: string[] = [], what = 'body', contentType?: unknown): unknown {
  if (value === undefined) return undefined;
  // Raw bodies (uploads, express.raw) are described, never logged byte for byte.
  if (value instanceof Uint8Array) return `[binary body: ${value.length} bytes]`;
  const counter = { fixed: 0 };
  let clean: unknown;
  try {
    clean = wellFormed(typeof value === 'string' ? parseText(value, contentType) : value, counter);
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
  if (typeof clean === 'string') return truncateString(clean, max);
  return cutStructure(clean, { left: max });
}
