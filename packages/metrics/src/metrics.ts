/**
 * The logger's operational metrics as plain samples, read from health() at collection time: what
 * the Prometheus and OpenTelemetry adapters export. Nothing runs between collections.
 */
import type { AuditLogger } from '@auditready/core';

export type MetricType = 'counter' | 'gauge' | 'updowncounter';

export interface MetricDefinition {
  /** Prometheus name, without the prefix (`entries_recorded_total`). */
  name: string;
  /** OpenTelemetry instrument name, without the prefix (`entries.recorded`). */
  otelName: string;
  type: MetricType;
  unit: string;
  help: string;
  labels: readonly string[];
}

export interface MetricSample {
  labels: Record<string, string>;
  value: number;
}

/** Every metric, documented in docs/metrics.md with the alert to set on it. */
export const METRICS = {
  recorded: {
    name: 'entries_recorded_total',
    otelName: 'entries.recorded',
    type: 'counter',
    unit: '{entry}',
    help: 'Entries sealed into the chain (access, events, and the chain’s own records).',
    labels: [],
  },
  rejected: {
    name: 'entries_rejected_total',
    otelName: 'entries.rejected',
    type: 'counter',
    unit: '{entry}',
    help: 'Inputs refused by validation or redaction (each sealed as a `rejected` record instead).',
    labels: [],
  },
  dropped: {
    name: 'entries_dropped_total',
    otelName: 'entries.dropped',
    type: 'counter',
    unit: '{entry}',
    help: 'Sealed entries a transport’s full queue dropped (declared by a gap record).',
    labels: ['transport', 'lane'],
  },
  queued: {
    name: 'transport_queue_depth',
    otelName: 'transport.queue.depth',
    type: 'updowncounter',
    unit: '{entry}',
    help: 'Entries waiting for delivery, per transport.',
    labels: ['transport', 'lane'],
  },
  delivered: {
    name: 'transport_delivered_total',
    otelName: 'transport.delivered',
    type: 'counter',
    unit: '{entry}',
    help: 'Entries a transport acknowledged.',
    labels: ['transport', 'lane'],
  },
  errors: {
    name: 'transport_delivery_errors_total',
    otelName: 'transport.delivery.errors',
    type: 'counter',
    unit: '{error}',
    help: 'Failed delivery attempts (each is retried, spooled or dropped by the transport’s policy).',
    labels: ['transport', 'lane'],
  },
  retrying: {
    name: 'transport_retrying',
    otelName: 'transport.retrying',
    type: 'gauge',
    unit: '1',
    help: '1 while a transport is failing and retrying, else 0.',
    labels: ['transport', 'lane'],
  },
  accepting: {
    name: 'accepting',
    otelName: 'accepting',
    type: 'gauge',
    unit: '1',
    help: '1 while record() accepts entries; 0 when failing closed with a full queue, or closed.',
    labels: [],
  },
  checkpointAge: {
    name: 'checkpoint_age_seconds',
    otelName: 'checkpoint.age',
    type: 'gauge',
    unit: 's',
    help: 'Seconds since the newest signed checkpoint was cut (since start, before the first).',
    labels: [],
  },
  uncovered: {
    name: 'checkpoint_uncovered_entries',
    otelName: 'checkpoint.uncovered',
    type: 'gauge',
    unit: '{entry}',
    help: 'Entries sealed since the newest checkpoint: not yet provable off the host.',
    labels: [],
  },
  witnessAge: {
    name: 'witness_cosignature_age_seconds',
    otelName: 'witness.cosignature.age',
    type: 'gauge',
    unit: 's',
    help: 'Seconds since each witness’s newest cosignature (since start, before the first).',
    labels: ['witness'],
  },
  witnessUp: {
    name: 'witness_up',
    otelName: 'witness.up',
    type: 'gauge',
    unit: '1',
    help: '1 while a witness answers with cosignatures (ok or catching up), 0 while it refuses or is unreachable.',
    labels: ['witness'],
  },
} as const satisfies Record<string, MetricDefinition>;

export type MetricKey = keyof typeof METRICS;

/** One collection: the samples of every metric (a metric the logger does not use has none). */
export type MetricsSnapshot = Record<MetricKey, MetricSample[]>;

export interface CollectOptions {
  /** Labels added to every sample (e.g. `{ log: 'access' }` when a process has several loggers). */
  labels?: Record<string, string>;
  /** When the metrics were registered (ms): the age before the first checkpoint or cosignature. */
  since: number;
  now?: () => number;
}

function secondsSince(iso: string | undefined, fallback: number, now: number): number {
  const t = iso === undefined ? Number.NaN : Date.parse(iso);
  return Math.max(0, (now - (Number.isNaN(t) ? fallback : t)) / 1000);
}

/** Reads the logger's health once and turns it into samples. */
export function collectMetrics(logger: AuditLogger, o: CollectOptions): MetricsSnapshot {
  const h = logger.health();
  const now = (o.now ?? Date.now)();
  const base = o.labels ?? {};
  const s = (labels: Record<string, string>, value: number): MetricSample => ({ labels: { ...base, ...labels }, value });
  const out = Object.fromEntries(Object.keys(METRICS).map((k) => [k, [] as MetricSample[]])) as MetricsSnapshot;
  out.recorded.push(s({}, h.recorded));
  out.rejected.push(s({}, h.rejected));
  out.accepting.push(s({}, h.accepting ? 1 : 0));
  const lanes = [
    ...h.transports.map((t) => ({ t, lane: 'entries' })),
    ...(h.checkpoints?.destinations ?? []).map((t) => ({ t, lane: 'checkpoints' })),
  ];
  for (const { t, lane } of lanes) {
    const l = { transport: t.name, lane };
    out.dropped.push(s(l, t.dropped));
    out.queued.push(s(l, t.queued));
    out.delivered.push(s(l, t.delivered));
    out.errors.push(s(l, t.failures));
    out.retrying.push(s(l, t.status === 'retrying' ? 1 : 0));
  }
  const c = h.checkpoints;
  if (c) {
    out.checkpointAge.push(s({}, secondsSince(c.last?.at, o.since, now)));
    out.uncovered.push(s({}, c.uncovered));
    for (const w of c.witnesses ?? []) {
      out.witnessAge.push(s({ witness: w.name }, secondsSince(w.cosignedAt, o.since, now)));
      out.witnessUp.push(s({ witness: w.name }, w.status === 'ok' || w.status === 'behind' ? 1 : 0));
    }
  }
  return out;
}
