/** What the Verifier takes in: its options checked, items unwrapped, schema failures described. */
import { AuditCanonicalError, AuditConfigError } from '../errors.js';
import { canonicalForms } from '../hash-chain.js';
import { checkEntry } from '../schema.js';
import type { AuditEntry, ChainHead } from '../types.js';
import { errorMessage } from '../util.js';
import type { Bridge, Position, VerifyItem, VerifyOptions } from './types.js';

export function checkOptions(options: VerifyOptions): void {
  if (options === null || typeof options !== 'object') throw new AuditConfigError('verify options must be an object');
  if (options.keys !== undefined && !Array.isArray(options.keys))
    throw new AuditConfigError('keys must be an array of { id, secret }', { path: 'keys' });
  const isHead = (a: ChainHead) =>
    a !== null && typeof a === 'object' && typeof a.chain === 'string' && Number.isSafeInteger(a.seq) && typeof a.hash === 'string';
  if (options.anchors !== undefined && (!Array.isArray(options.anchors) || !options.anchors.every(isHead)))
    throw new AuditConfigError('anchors must be an array of { chain, seq, hash }', { path: 'anchors' });
  const isBridge = (b: Bridge) =>
    b !== null &&
    typeof b === 'object' &&
    typeof b.chain === 'string' &&
    Number.isSafeInteger(b.from) &&
    Number.isSafeInteger(b.to) &&
    b.from <= b.to &&
    typeof b.prev === 'string' &&
    typeof b.hash === 'string' &&
    typeof b.source === 'string';
  if (options.bridges !== undefined && (!Array.isArray(options.bridges) || !options.bridges.every(isBridge)))
    throw new AuditConfigError('bridges must be an array of { chain, from, to, prev, hash, source } with from <= to', { path: 'bridges' });
  if (options.window !== undefined && (!Number.isInteger(options.window) || options.window < 1))
    throw new AuditConfigError('window must be a positive integer', { path: 'window' });
}

/** An item as the verifier reads it: a line to parse, or an entry already parsed. */
export function unwrap(item: VerifyItem): { line?: string; parsed?: unknown; file?: string; lineNo?: number } {
  if (typeof item === 'string') return { line: item };
  if (item !== null && typeof item === 'object' && ('line' in item || 'entry' in item) && !('chain' in item)) {
    const w = item as { line?: string; entry?: unknown; file?: string; lineNo?: number };
    return { ...(w.line !== undefined ? { line: w.line } : {}), parsed: w.entry, file: w.file, lineNo: w.lineNo };
  }
  return { parsed: item };
}

/** A break for a line that parsed but is not a valid entry, naming its chain and seq if it has them. */
export function schemaBreak(parsed: unknown, errors: { path: string; message: string }[], where: Position) {
  const o = parsed !== null && typeof parsed === 'object' ? (parsed as { chain?: unknown; seq?: unknown }) : {};
  const detail = errors
    .slice(0, 3)
    .map((e) => `${e.path === '' ? '(root)' : e.path}: ${e.message}`)
    .join('; ');
  return {
    kind: 'unparseable' as const,
    ...(typeof o.chain === 'string' ? { chain: o.chain } : {}),
    ...(Number.isSafeInteger(o.seq) ? { seq: o.seq as number } : {}),
    ...where,
    message: `not a valid entry: ${detail}`,
  };
}

type Problems = { path: string; message: string }[];

/**
 * A parsed line checked as an entry: by the schema, then for a canonical form (a value with none,
 * such as an escaped lone surrogate or nesting past the limit, is not a valid entry either: never
 * an exception out of the verifier).
 */
export function checkParsed(parsed: unknown): { forms: { unhashed: string; line: string } } | { forms?: undefined; errors: Problems } {
  const schema = checkEntry(parsed);
  if (!schema.valid) return { errors: schema.errors };
  try {
    return { forms: canonicalForms(parsed as AuditEntry) };
  } catch (err) {
    return {
      errors: [
        { path: err instanceof AuditCanonicalError ? (err.path ?? '') : '', message: `has no canonical form: ${errorMessage(err)}` },
      ],
    };
  }
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** `buf[start, end)` as text when it is valid UTF-8 (a BOM kept, as U+FEFF), else undefined. */
export function strictUtf8(buf: Uint8Array, start: number, end: number): string | undefined {
  try {
    return STRICT_UTF8.decode(buf.subarray(start, end));
  } catch {
    return undefined;
  }
}
