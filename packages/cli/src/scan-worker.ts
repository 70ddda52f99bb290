/** The second core of a large query (parallel-scan.ts): blocks of whole lines in, their output out. */
import { parentPort, workerData } from 'node:worker_threads';
import { type LineCounts, lineHandler, type OutputFormat } from './line-handler.js';
import type { QueryFilters } from './query-command.js';
import { type LineFilter, scanBlock } from './scan.js';

const { filters, format, filter } = workerData as {
  filters: QueryFilters;
  format: OutputFormat;
  filter: { groups: number[][][]; since?: string; until?: string };
};
const lf: LineFilter = {
  groups: filter.groups.map((g) => g.map((b) => Buffer.from(b))),
  ...(filter.since ? { since: filter.since } : {}),
  ...(filter.until ? { until: filter.until } : {}),
};
parentPort?.on('message', (m: { id: number; bytes: ArrayBuffer; length: number }) => {
  const counts: LineCounts = { matched: 0, unparseable: 0 };
  const handle = lineHandler(filters, format, counts);
  const parts: string[] = [];
  scanBlock(Buffer.from(m.bytes, 0, m.length), lf, (buf, s, e) => {
    const text = handle(buf, s, e);
    if (text !== undefined) parts.push(text);
    return true;
  });
  // The block goes back, to be read into again (no allocation per block).
  parentPort?.postMessage({ id: m.id, text: parts.join(''), ...counts, bytes: m.bytes }, [m.bytes]);
});
