/**
 * What query does with a line that may match: parse it, test the full predicate, format it. Shared
 * by the main thread and the scan worker (parallel-scan.ts), so both produce the same output.
 */
import { type AuditEntry, type EntryFormat, formatEntry } from '@auditready/core';
import { buildPredicate, COLUMNS, csvField, type QueryFilters, tableRow } from './query-command.js';

export type OutputFormat = 'ndjson' | 'csv' | 'table' | EntryFormat;

export const TABLE_WIDTHS = [27, 9, 16, 24, 24, 8, 6, 6, 28];

export interface LineCounts {
  matched: number;
  unparseable: number;
}

/** Returns the output text for a matching line, or undefined (and counts it). */
export function lineHandler(
  filters: QueryFilters,
  format: OutputFormat,
  counts: LineCounts,
): (buf: Buffer, start: number, end: number) => string | undefined {
  const predicate = buildPredicate(filters);
  return (buf, start, end) => {
    const line = buf.toString('utf8', start, end);
    let e: AuditEntry;
    try {
      e = JSON.parse(line) as AuditEntry;
    } catch {
      counts.unparseable++;
      return undefined;
    }
    if (e === null || typeof e !== 'object' || !predicate(e)) return undefined;
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
