/**
 * Redaction options, checked and compiled once at logger creation (docs/spec/entry-format.md
 * §Redaction): rules by path, modes, detectors, the keyed-hash key, size limits. And the two
 * helpers every redacting step shares: keyed-hash markers and marked truncation.
 */
import { canonicalize, MAX_CANONICAL_DEPTH } from './canonical.js';
import { DETECTORS, type Detector, type DetectorName } from './detectors.js';
import { AuditConfigError, AuditInputError } from './errors.js';
import { type AuditKey, hashCanonical, REDACTION_DOMAIN_TAG, type ResolvedKey, resolveKey } from './hash.js';
import { intOption } from './options.js';
export type RedactionMode = 'remove' | 'mask' | 'hash';
/** A custom censor: returns the replacement value. If it throws, the value is masked instead. */
export type RedactionCensor = (value: unknown, path: string) => unknown;

export interface RedactionRule {
  /**
   * Path from the entry root, dot-separated, case-insensitive: `details.body.password`,
   * `http.headers.x-session`, `details.items[*].card` (`[*]` or `*`: any one key or index),
   * `details.**.ssn` (`**`: any depth, including none), `[3]`: index 3.
   */
  path: string;
  mode?: RedactionMode | RedactionCensor;
  /** Shown in `redacted[].rule`; defaults to `path:<path>`. */
  name?: string;
}

export interface RedactionOptions {
  /** Built-in credential keys and value detectors. Default true. */
  defaults?: boolean;
  /** Mode for built-in credential keys. Default 'remove'. */
  defaultMode?: RedactionMode;
  /** Extra rules, matched by path. */
  paths?: (string | RedactionRule)[];
  /** Extra key names redacted wherever they appear (case-insensitive), with `defaultMode`. */
  keys?: string[];
  /** Which value detectors run (default: all when `defaults`), or false for none. */
  detectors?: boolean | DetectorName[];
  /** Replacement inside strings for detected secrets: 'mask' (default) or 'hash'. */
  detectorMode?: 'mask' | 'hash';
  /** Key for mode 'hash': values become `hmac-sha256:<keyId>:<hex>`. Required if any rule hashes. */
  hashKey?: AuditKey;
  /** Longest string kept, in UTF-16 code units. Default 4096. */
  maxStringLength?: number;
  /** Most array items kept. Default 200. */
  maxArrayLength?: number;
  /** Deepest nesting kept below the entry root. Default 16. */
  maxDepth?: number;
  /** Budget in characters for each of details, http.headers/query/requestBody/responseBody. Default 16384. */
  maxFieldChars?: number;
}

export const MASK = '[REDACTED]';
export const MAX_NOTES = 100;

export type Segment = { t: 'key'; k: string } | { t: 'any' } | { t: 'deep' };

export interface CompiledRule {
  segs: Segment[];
  mode: RedactionMode | RedactionCensor;
  name: string;
}

export interface CompiledRedaction {
  readonly rules: CompiledRule[];
  readonly defaults: boolean;
  readonly defaultMode: RedactionMode;
  readonly extraKeys: Set<string>;
  readonly detectors: readonly Detector[];
  readonly detectorMode: 'mask' | 'hash';
  readonly hashKey: ResolvedKey | undefined;
  readonly maxStringLength: number;
  readonly maxArrayLength: number;
  readonly maxDepth: number;
  readonly maxFieldChars: number;
}

function parsePath(path: string, where: string): Segment[] {
  if (typeof path !== 'string' || path.trim() === '')
    throw new AuditConfigError(`${where} must be a non-empty path string`, { path: where });
  const segs: Segment[] = [];
  // `a.b[*].c[2]` -> a, b, *, c, 2
  const parts = path.replace(/\[([^\]]*)\]/g, '.$1').split('.');
  for (const raw of parts) {
    if (raw === '') {
      if (segs.length === 0) continue; // leading "[0]" produced ".0"
      throw new AuditConfigError(`${where}: empty segment in "${path}"`, { path: where });
    }
    const p = raw.replace(/^["']|["']$/g, '');
    if (p === '**') segs.push({ t: 'deep' });
    else if (p === '*') segs.push({ t: 'any' });
    else segs.push({ t: 'key', k: p.toLowerCase() });
  }
  if (segs.length === 0) throw new AuditConfigError(`${where}: empty path`, { path: where });
  return segs;
}

function positiveInt(v: unknown, fallback: number, where: string): number {
  return intOption(v, fallback, 1, where);
}

/** Validates options once (at logger creation); throws AuditConfigError. */
export function compileRedaction(options: RedactionOptions = {}, where = 'redact'): CompiledRedaction {
  if (options === null || typeof options !== 'object' || Array.isArray(options))
    throw new AuditConfigError(`${where} must be an object`, { path: where });
  if (options.paths !== undefined && !Array.isArray(options.paths))
    throw new AuditConfigError(`${where}.paths must be an array`, { path: `${where}.paths` });
  if (options.keys !== undefined && (!Array.isArray(options.keys) || !options.keys.every((k) => typeof k === 'string'))) {
    throw new AuditConfigError(`${where}.keys must be an array of strings`, { path: `${where}.keys` });
  }
  const modes = ['remove', 'mask', 'hash'];
  const defaults = options.defaults !== false;
  const defaultMode = options.defaultMode ?? 'remove';
  if (!modes.includes(defaultMode))
    throw new AuditConfigError(`${where}.defaultMode must be remove, mask or hash`, { path: `${where}.defaultMode` });
  const rules: CompiledRule[] = (options.paths ?? []).map((r, i) => {
    const w = `${where}.paths[${i}]`;
    const rule = typeof r === 'string' ? { path: r } : r;
    if (rule === null || typeof rule !== 'object') throw new AuditConfigError(`${w} must be a path or { path, mode }`, { path: w });
    const mode = rule.mode ?? 'remove';
    if (typeof mode !== 'function' && !modes.includes(mode))
      throw new AuditConfigError(`${w}.mode must be remove, mask, hash or a function`, { path: `${w}.mode` });
    const name = rule.name ?? `path:${rule.path}`;
    if (typeof name !== 'string' || name.length > 128 || !name.isWellFormed())
      throw new AuditConfigError(`${w}.name must be a string of at most 128 characters`, { path: `${w}.name` });
    return { segs: parsePath(rule.path, `${w}.path`), mode, name };
  });
  let detectors: readonly Detector[] = [];
  if (options.detectors === true || (options.detectors === undefined && defaults)) detectors = DETECTORS;
  else if (Array.isArray(options.detectors)) {
    const names = new Set(DETECTORS.map((d) => d.name));
    for (const n of options.detectors)
      if (!names.has(n)) throw new AuditConfigError(`${where}.detectors: unknown detector "${String(n)}"`, { path: `${where}.detectors` });
    detectors = DETECTORS.filter((d) => (options.detectors as string[]).includes(d.name));
  } else if (options.detectors !== false && options.detectors !== undefined) {
    throw new AuditConfigError(`${where}.detectors must be a boolean or a list of detector names`, { path: `${where}.detectors` });
  }
  const detectorMode = options.detectorMode ?? 'mask';
  if (detectorMode !== 'mask' && detectorMode !== 'hash')
    throw new AuditConfigError(`${where}.detectorMode must be mask or hash`, { path: `${where}.detectorMode` });
  const hashKey = options.hashKey === undefined ? undefined : resolveKey(options.hashKey, `${where}.hashKey`);
  const needsKey = defaultMode === 'hash' || detectorMode === 'hash' || rules.some((r) => r.mode === 'hash');
  if (needsKey && !hashKey)
    throw new AuditConfigError(`${where}.hashKey is required when a rule uses mode 'hash'`, { path: `${where}.hashKey` });
  const extraKeys = new Set((options.keys ?? []).map((k) => String(k).toLowerCase()));
  return {
    rules,
    defaults,
    defaultMode,
    extraKeys,
    detectors,
    detectorMode,
    hashKey,
    maxStringLength: positiveInt(options.maxStringLength, 4096, `${where}.maxStringLength`),
    maxArrayLength: positiveInt(options.maxArrayLength, 200, `${where}.maxArrayLength`),
    maxDepth: Math.min(positiveInt(options.maxDepth, 16, `${where}.maxDepth`), MAX_CANONICAL_DEPTH - 4),
    maxFieldChars: positiveInt(options.maxFieldChars, 16384, `${where}.maxFieldChars`),
  };
}

/** `hmac-sha256:<keyId>:<hex>` of the value's canonical form: equal values give equal markers. */
export function keyedHashMarker(value: unknown, key: ResolvedKey): string {
  if (key === null || typeof key !== 'object' || !(key.bytes instanceof Uint8Array) || typeof key.id !== 'string')
    throw new AuditInputError('keyedHashMarker: key must be a resolved key { id, bytes }');
  return `hmac-sha256:${key.id}:${hashCanonical(canonicalize(value), key, REDACTION_DOMAIN_TAG)}`;
}

/** Cuts `s` to at most `max` code units without splitting a surrogate pair, and marks the cut. */
/** Characters of tokens, keys and encoded secrets: letters, digits, `-_.+/=%~`. */
function isTokenChar(c: number): boolean {
  return (
    (c >= 48 && c <= 57) ||
    (c >= 65 && c <= 90) ||
    (c >= 97 && c <= 122) ||
    c === 45 ||
    c === 95 ||
    c === 46 ||
    c === 43 ||
    c === 47 ||
    c === 61 ||
    c === 37 ||
    c === 126
  );
}

export function truncateString(s: string, max: number): string {
  if (typeof s !== 'string') throw new AuditInputError('truncateString: expected a string');
  if (typeof max !== 'number' || Number.isNaN(max)) throw new AuditInputError('truncateString: max must be a number');
  let end = Math.max(0, max);
  if (end > 0 && end < s.length) {
    const c = s.charCodeAt(end - 1);
    if (c >= 0xd800 && c <= 0xdbff) end -= 1;
    // Never keep the first half of a token the cut goes through: a secret cut short no longer
    // matches its detector, and half a secret is still a leak. Back off to the token's start
    // (at most 256 characters: a long URL loses its last 256, not everything).
    if (isTokenChar(s.charCodeAt(end - 1)) && isTokenChar(s.charCodeAt(end))) {
      const floor = Math.max(0, end - 256);
      let start = end - 1;
      while (start > floor && isTokenChar(s.charCodeAt(start - 1))) start--;
      end = start;
    }
  }
  return `${s.slice(0, end)}…[truncated ${s.length - end} of ${s.length} chars]`;
}
