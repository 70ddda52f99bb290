/**
 * Body formats. Every preset keeps each canonical line intact (as the document's `line` field or
 * the event itself), so a stored copy can still be verified on its own.
 */
import type { SealedRecord } from '@auditready/core';

export type HttpFormat =
  | { type: 'ndjson' }
  /** Elasticsearch / OpenSearch `_bulk`: `{ line, ...entry fields for search }`, `_id` = chain:seq (re-sends overwrite, never duplicate). */
  | { type: 'elasticsearch'; index: string }
  /** Splunk HTTP Event Collector: one `{ time, sourcetype, event: <line> }` per entry. */
  | { type: 'splunk-hec'; sourcetype?: string; index?: string };

export interface EncodedBody {
  body: string;
  contentType: string;
}

export function encode(batch: readonly SealedRecord[], format: HttpFormat): EncodedBody {
  if (format.type === 'ndjson') return { body: `${batch.map((r) => r.line).join('\n')}\n`, contentType: 'application/x-ndjson' };
  if (format.type === 'elasticsearch') {
    const parts: string[] = [];
    for (const r of batch) {
      const e = r.entry;
      parts.push(JSON.stringify({ index: { _index: format.index, _id: `${e.chain}:${e.seq}` } }));
      // The verifiable copy is `line`; a few fields are lifted for search.
      parts.push(
        JSON.stringify({
          line: r.line,
          ts: e.ts,
          chain: e.chain,
          seq: e.seq,
          kind: e.kind,
          action: e.action,
          outcome: e.outcome,
          actor: e.actor?.id,
        }),
      );
    }
    return { body: `${parts.join('\n')}\n`, contentType: 'application/x-ndjson' };
  }
  const lines = batch.map((r) =>
    JSON.stringify({
      time: Date.parse(r.entry.ts) / 1000,
      sourcetype: format.sourcetype ?? 'auditready',
      ...(format.index ? { index: format.index } : {}),
      event: r.line,
    }),
  );
  return { body: lines.join('\n'), contentType: 'application/json' };
}
