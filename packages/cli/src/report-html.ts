/**
 * The evidence pack's report (report.html): one file, no external assets, no script — readable
 * from a file, in any browser, offline. Charts are plain SVG generated here rather than a charting
 * library inlined into the page: a few bars need no code in the auditor's browser, and evidence
 * should carry no third-party script. Every value from the log is escaped: audit data is input an
 * attacker may have chosen (an actor id can be `<script>…`).
 */
import type { AuditEntry } from '@auditready/core';
import type { RetentionInventory } from './retention-inventory.js';

export interface ReportInput {
  title: string;
  filters: Record<string, unknown>;
  extractedAt: string;
  complete: boolean;
  consistent: boolean;
  chains: { chain: string; seqs: number[]; entries: number; completeThrough?: { seq: number; by: string }; gaps: unknown[] }[];
  population: AuditEntry[];
  events: AuditEntry[];
  coverage: { requirement: string; field: string; records: number; share: number }[];
  sample: { n: number; chain: string; seq: number; proof: string | null; why?: string }[];
  seed: string;
  retention?: RetentionInventory;
  commands: string[];
}

const esc = (v: unknown) =>
  String(v ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

const OUTCOMES = ['success', 'failure', 'denied', 'error', 'aborted'] as const;
const COLORS: Record<string, string> = { success: '#2e7d32', failure: '#f9a825', denied: '#c62828', error: '#6a1b9a', aborted: '#607d8b' };

/** Stacked bars of records per day (or hour, for a window under three days) by outcome. */
function timeline(population: AuditEntry[]): string {
  if (population.length === 0) return '<p>No records in scope.</p>';
  const times = population.map((e) => Date.parse(e.ts));
  const span = Math.max(...times) - Math.min(...times);
  const hourly = span < 3 * 86_400_000;
  const bucket = (e: AuditEntry) => (hourly ? `${e.ts.slice(0, 13)}:00` : e.ts.slice(0, 10));
  const buckets = new Map<string, Record<string, number>>();
  for (const e of population) {
    const b = buckets.get(bucket(e)) ?? {};
    const o = e.outcome ?? 'success';
    b[o] = (b[o] ?? 0) + 1;
    buckets.set(bucket(e), b);
  }
  const keys = [...buckets.keys()].sort();
  const max = Math.max(...keys.map((k) => Object.values(buckets.get(k) ?? {}).reduce((a, b) => a + b, 0)));
  const w = Math.max(8, Math.min(40, Math.floor(880 / keys.length)));
  const h = 160;
  let bars = '';
  keys.forEach((k, i) => {
    let y = h;
    for (const o of OUTCOMES) {
      const n = buckets.get(k)?.[o] ?? 0;
      if (n === 0) continue;
      const bh = (n / max) * (h - 10);
      y -= bh;
      bars += `<rect x="${i * w + 40}" y="${y.toFixed(1)}" width="${w - 2}" height="${bh.toFixed(1)}" fill="${COLORS[o]}"><title>${esc(k)} ${o}: ${n}</title></rect>`;
    }
  });
  const legend = OUTCOMES.map(
    (o, i) =>
      `<rect x="${40 + i * 110}" y="${h + 26}" width="10" height="10" fill="${COLORS[o]}"/><text x="${54 + i * 110}" y="${h + 35}">${o}</text>`,
  ).join('');
  const width = Math.max(620, keys.length * w + 60);
  return `<svg class="chart" role="img" aria-label="records per ${hourly ? 'hour' : 'day'} by outcome" width="${width}" height="${h + 44}" viewBox="0 0 ${width} ${h + 44}">
<text x="0" y="12">${max}</text><text x="0" y="${h}">0</text>${bars}
<text x="40" y="${h + 16}">${esc(keys[0])}</text><text x="${width - 10}" y="${h + 16}" text-anchor="end">${esc(keys.at(-1))}</text>${legend}</svg>
<p class="note">Records per ${hourly ? 'hour' : 'day'}, by outcome (${keys.length} ${hourly ? 'hours' : 'days'}).</p>`;
}

function table(headers: string[], rows: unknown[][], cls = ''): string {
  if (rows.length === 0) return '<p>None.</p>';
  return `<table class="${cls}"><thead><tr>${headers.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

/** Actor x resource type: the ten most active actors against the ten most accessed resource types. */
function matrix(population: AuditEntry[]): string {
  const actor = (e: AuditEntry) => e.actor?.id ?? e.actor?.type ?? '(none)';
  const res = (e: AuditEntry) => e.resource?.type ?? '(none)';
  const top = (f: (e: AuditEntry) => string) => {
    const m = new Map<string, number>();
    for (const e of population) m.set(f(e), (m.get(f(e)) ?? 0) + 1);
    return [...m].sort((a, b) => b[1] - a[1]).slice(0, 10);
  };
  const actors = top(actor);
  const types = top(res).map(([t]) => t);
  const rows = actors.map(([a, total]) => [
    a,
    total,
    ...types.map((t) => population.filter((e) => actor(e) === a && res(e) === t).length || ''),
  ]);
  return table(['actor', 'records', ...types], rows, 'matrix');
}

function retentionSection(inv: RetentionInventory | undefined): string {
  if (!inv) return '<p>No inventory.</p>';
  const kept = table(
    ['segment kept', 'chain', 'seqs', 'from', 'to'],
    inv.kept.flatMap((k) => k.chains.map((c) => [k.file, c.chain, `${c.firstSeq}–${c.lastSeq}`, c.firstTs, c.lastTs])),
  );
  const removed = inv.removed.length
    ? table(
        ['segment removed', 'chain', 'seqs', 'records from', 'to', 'removed at', 'policy', 'in the window'],
        inv.removed.map((x) => [
          x.file,
          x.chain,
          `${x.seqs[0]}–${x.seqs[1]}`,
          x.firstTs,
          x.lastTs,
          x.removedBy.ts,
          JSON.stringify(x.policy),
          x.inWindow ? 'YES' : 'no',
        ]),
      )
    : '<p id="retention-removed">No segment removed by policy.</p>';
  const through = inv.removedThrough
    .map(
      (t) =>
        `<p>Chain <code>${esc(t.chain)}</code>: everything through seq ${t.seq} removed by policy (declared at ${esc(t.declaredBy.ts)}).</p>`,
    )
    .join('');
  return `${kept}${through}${removed}`;
}

export function renderReport(r: ReportInput): string {
  const verdict = !r.consistent ? 'INVALID' : r.complete ? 'COMPLETE' : 'NOT PROVEN COMPLETE';
  const problems = r.population.filter((e) => e.outcome === 'denied' || e.outcome === 'error' || e.outcome === 'failure');
  const flagged = r.events.filter((e) => ['gap', 'clock', 'retention', 'rejected'].includes(e.kind));
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${esc(r.title)}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:1100px;color:#1a1a1a;padding:0 1rem}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #ddd}
.verdict{font-size:1.3rem;font-weight:700;padding:.6rem 1rem;border-radius:6px;display:inline-block}
.ok{background:#e8f5e9;color:#1b5e20}.warn{background:#fff8e1;color:#8d6e00}.bad{background:#ffebee;color:#b71c1c}
table{border-collapse:collapse;margin:.5rem 0;font-size:13px}td,th{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f5f5f5}.matrix td:not(:first-child){text-align:right}.chart text{font-size:11px;fill:#444}.note{color:#666;font-size:12px}
code,pre{background:#f5f5f5;padding:2px 4px;border-radius:3px}pre{padding:.6rem;overflow-x:auto}.flag td{background:#fff3e0}
</style></head><body>
<h1>${esc(r.title)}</h1>
<p><span class="verdict ${verdict === 'COMPLETE' ? 'ok' : verdict === 'INVALID' ? 'bad' : 'warn'}" id="verdict">${verdict}</span></p>
<p><strong id="population-count">${r.population.length}</strong> records in scope · extracted ${esc(r.extractedAt)} · scope ${esc(JSON.stringify(r.filters))}</p>
${table(
  ['chain', 'seqs', 'entries', 'complete through', 'declared gaps'],
  r.chains.map((c) => [
    c.chain,
    c.seqs.join('..'),
    c.entries,
    c.completeThrough ? `seq ${c.completeThrough.seq}: ${c.completeThrough.by}` : 'not proven',
    c.gaps.length,
  ]),
)}
<h2>Activity over time</h2>
${timeline(r.population)}
<h2>Denied, failed and error accesses (${problems.length})</h2>
${table(
  ['time', 'actor', 'action', 'resource', 'outcome', 'status', 'reason'],
  problems
    .slice(0, 500)
    .map((e) => [
      e.ts,
      e.actor?.id ?? e.actor?.type,
      e.action,
      e.resource ? `${e.resource.type}:${e.resource.id ?? ''}` : '',
      e.outcome,
      e.http?.status ?? '',
      e.reason ?? '',
    ]),
)}
<h2>Who accessed what</h2>
${matrix(r.population)}
<h2>Gaps, clock steps, retention and rejected input (${flagged.length})</h2>
${table(
  ['time', 'kind', 'chain', 'seq', 'reason'],
  flagged.map((e) => [e.ts, e.kind, e.chain, e.seq, e.reason ?? '']),
  'flag',
)}
<h2>Retention: segments kept and removed by policy</h2>
${retentionSection(r.retention)}
<h2>Sample (${r.sample.length}, seed <code>${esc(r.seed)}</code>)</h2>
${table(
  ['#', 'chain', 'seq', 'inclusion proof'],
  r.sample.map((s) => [s.n, s.chain, s.seq, s.proof ? `${s.proof} (checked at export; re-check below)` : `none: ${s.why ?? ''}`]),
)}
<h2>Field coverage (PCI DSS v4.0 10.2.2, ISO/IEC 27002:2022 8.15)</h2>
${table(
  ['requirement', 'field', 'records', 'share'],
  r.coverage.map((c) => [c.requirement, c.field, c.records, `${(c.share * 100).toFixed(1)}%`]),
)}
<h2>How to re-verify</h2>
<pre>${r.commands.map(esc).join('\n')}</pre>
<p class="note">This report is part of the pack and covered by its signed manifest; the commands above check the pack without access to the log.</p>
</body></html>
`;
}
