/** Mappings of an entry to the formats security teams ingest (docs/formats.md). */
import type { AuditEntry } from '../types.js';
import { ECS_VERSION, toEcs } from './ecs.js';
import { OCSF_SCHEMA_VERSION, toOcsf } from './ocsf.js';
import { OTEL_SEMCONV_VERSION, toOtelLog } from './otel.js';

export { ECS_VERSION, OCSF_SCHEMA_VERSION, OTEL_SEMCONV_VERSION, toEcs, toOcsf, toOtelLog };

export type EntryFormat = 'ocsf' | 'ecs' | 'otel-json';
export const ENTRY_FORMATS: readonly EntryFormat[] = ['ocsf', 'ecs', 'otel-json'];

/** The entry in `format`; `line` is its canonical line as read (computed when not given). */
export function formatEntry(format: EntryFormat, entry: AuditEntry, line?: string): Record<string, unknown> {
  if (format === 'ocsf') return toOcsf(entry, line);
  if (format === 'ecs') return toEcs(entry, line);
  return toOtelLog(entry, line);
}

/**
 * The canonical line inside a record in any of these formats (OCSF `raw_data`, ECS
 * `event.original`, the OTLP log record's body), or the text itself when it is a canonical line
 * already (or not JSON at all: the verifier then reports it). Readers of mapped streams use it.
 */
export function canonicalLineOf(text: string): string {
  // A canonical line has none of these at its top level; only a mapped record is opened.
  if (!text.startsWith('{') || !/"(raw_data|original|resourceLogs)":/.test(text)) return text;
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return text;
  }
  const d = doc as {
    raw_data?: unknown;
    event?: { original?: unknown };
    resourceLogs?: { scopeLogs?: { logRecords?: { body?: { stringValue?: unknown } }[] }[] }[];
  };
  if (typeof d !== 'object' || d === null || 'chain' in d) return text; // an entry itself (its details may hold such words)
  const line = d.raw_data ?? d.event?.original ?? d.resourceLogs?.[0]?.scopeLogs?.[0]?.logRecords?.[0]?.body?.stringValue;
  return typeof line === 'string' ? line : text;
}
