/**
 * What query does with a line that may match: parse it, test the full predicate, format it. Shared
 * by the main thread and the scan worker (parallel-scan.ts), so both produce the same output.
 */
import { type AuditEntry, canonicalize, type EntryFormat, formatEntry } from '@auditready/core';
import type { EntryOpening } from '@auditready/core/verify';
import { buildPredicate, COLUMNS, csvField, type QueryFilters, tableRow } from './query-command.js';

export type OutputFormat = 'ndjson' | 'csv' | 'table' | EntryFormat;

export const TABLE_WIDTHS = [27, 9, 16, 24, 24, 8, 6, 6, 28];

export interface LineCounts {
  matched: number;
  unparseable: number;
  /** Encrypted entries whose content could not be opened (no identity for their data key, or altered). */
  sealed?: number;
}

/** Returns the output text for a matching line, or undefined (and counts it). */
export function lineHandler(
  filters: QueryFilters,
  format: OutputFormat,
  counts: LineCounts,
  opener?: EntryOpening,
): (buf: Buffer, start: number, end: number) => string | undefined {
  const predicate = buildPredicate(filters);
  return (buf, start, end) => {
    let line = buf.toString('utf8', start, end);
    let e: AuditEntry;
    try {
      e = JSON.parse(line) as AuditEntry;
    } catch {
      counts.unparseable++;
      return undefined;
    }
    if (e === null || typeof e !== 'object') return undefined;
    if (opener && (e.enc !== undefined || e.pii !== undefined)) {
      // --identity: the content opened, as it was recorded (its hash is of the sealed line).
      const opened = openQuietly(opener, e);
      if (opened === undefined) counts.sealed = (counts.sealed ?? 0) + 1;
      else {
        e = opened;
        line = canonicalize(opened);
      }
    }
    if (!predicate(e)) return undefined;
    counts.matched++;
    if (format === 'ndjson') return `${line}\n`;
    if (format === 'csv') return `${COLUMNS.map(([, get]) => csvField(get(e))).join(',')}\n`;
    if (format === 'ocsf' || format === 'ecs' || format === 'otel-json') return `${JSON.stringify(formatEntry(format, e, line))}\n`;
    return `${tableRow(
      COLUMNS.slice(0, 9).map(([, get]) => String(get(e) ?? '')),
      TABLE_WIDTHS,
    )}\n`;
  };
}

function openQuietly(opener: EntryOpening, e: AuditEntry): AuditEntry | undefined {
  try {
    return opener.open(e);
  } catch {
    return undefined; // altered: `query --verify` (or `verify`) names it
  }
}
