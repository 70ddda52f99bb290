/**
 * Body formats. Every format keeps each canonical line intact (as the line itself, or inside the
 * mapped document: OCSF `raw_data`, ECS `event.original`, the OTLP log record's body), so a stored
 * copy can still be verified on its own. The Elasticsearch preset sends ECS documents, the Splunk
 * HEC preset OCSF events (core's toEcs / toOcsf, docs/formats.md).
 */
import { type EntryFormat, formatEntry, type SealedRecord, toEcs, toOcsf } from '@auditready/core';

export type HttpFormat =
  | { type: 'ndjson' }
  /** One document per line in a SIEM's schema (otel-json: one OTLP/JSON logs request per batch, for an OTLP/HTTP `/v1/logs`). */
  | { type: EntryFormat }
  /** Elasticsearch / OpenSearch `_bulk`: ECS documents, `_id` = chain:seq (re-sends overwrite, never duplicate). */
  | { type: 'elasticsearch'; index: string }
  /** Splunk HTTP Event Collector: one `{ time, sourcetype, event: <OCSF event> }` per entry. */
  | { type: 'splunk-hec'; sourcetype?: string; index?: string };

export const HTTP_FORMATS = ['ndjson', 'ocsf', 'ecs', 'otel-json', 'elasticsearch', 'splunk-hec'] as const;

export interface EncodedBody {
  body: string;
  contentType: string;
}

export function encode(batch: readonly SealedRecord[], format: HttpFormat): EncodedBody {
  if (format.type === 'ndjson') return { body: `${batch.map((r) => r.line).join('\n')}\n`, contentType: 'application/x-ndjson' };
  if (format.type === 'otel-json') {
    // One request: every record's resourceLogs, in order.
    const resourceLogs = batch.flatMap((r) => (formatEntry('otel-json', r.entry, r.line) as { resourceLogs: unknown[] }).resourceLogs);
    return { body: JSON.stringify({ resourceLogs }), contentType: 'application/json' };
  }
  if (format.type === 'ocsf' || format.type === 'ecs') {
    const type = format.type;
    return {
      body: `${batch.map((r) => JSON.stringify(formatEntry(type, r.entry, r.line))).join('\n')}\n`,
      contentType: 'application/x-ndjson',
    };
  }
  if (format.type === 'elasticsearch') {
    const parts: string[] = [];
    for (const r of batch) {
      const e = r.entry;
      parts.push(JSON.stringify({ index: { _index: format.index, _id: `${e.chain}:${e.seq}` } }));
      parts.push(JSON.stringify(toEcs(e, r.line)));
    }
    return { body: `${parts.join('\n')}\n`, contentType: 'application/x-ndjson' };
  }
  const hec = format as { sourcetype?: string; index?: string };
  const lines = batch.map((r) =>
    JSON.stringify({
      time: Date.parse(r.entry.ts) / 1000,
      sourcetype: hec.sourcetype ?? 'ocsf:auditready',
      ...(hec.index ? { index: hec.index } : {}),
      event: toOcsf(r.entry, r.line),
    }),
  );
  return { body: lines.join('\n'), contentType: 'application/json' };
}
