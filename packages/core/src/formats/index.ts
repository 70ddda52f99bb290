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
