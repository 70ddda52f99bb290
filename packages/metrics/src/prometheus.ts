/**
 * Prometheus: the metrics in a prom-client registry (the default one unless given), read from
 * each logger's health() at scrape time. Several loggers (the access log, the CLI's reader log)
 * can share a registry: each adds its own constant labels.
 */
import type { AuditLogger } from '@auditready/core';
import { Counter, register as defaultRegistry, Gauge, type Registry } from 'prom-client';
import { collectMetrics, METRICS, type MetricKey, type MetricSample } from './metrics.js';

export interface PrometheusMetricsOptions {
  /** Default: prom-client's global `register`. */
  registry?: Registry;
  /** Metric name prefix. Default `auditready_`. */
  prefix?: string;
  /** Constant labels of this logger's samples (every logger sharing a registry must use the same label names). */
  labels?: Record<string, string>;
}

interface Source {
  logger: AuditLogger;
  labels: Record<string, string>;
  since: number;
}

interface Shared {
  sources: Set<Source>;
  /** The metric names this registry holds for the prefix. */
  names: string[];
}

const BY_REGISTRY = new WeakMap<Registry, Map<string, Shared>>();

/** Each metric reads every logger's health() when collected (cheap: counters already kept). */
function snapshots(shared: Shared): Record<MetricKey, MetricSample[]>[] {
  return [...shared.sources].map((src) => collectMetrics(src.logger, { since: src.since, labels: src.labels }));
}

function create(registry: Registry, prefix: string, labelNames: string[], shared: Shared): string[] {
  (Object.entries(METRICS) as [MetricKey, (typeof METRICS)[MetricKey]][]).map(([key, d]) => {
    const config = { name: `${prefix}${d.name}`, help: d.help, labelNames: [...labelNames, ...d.labels], registers: [registry] };
    if (d.type === 'counter') {
      return new Counter({
        ...config,
        collect() {
          this.reset();
          for (const snap of snapshots(shared)) for (const x of snap[key]) this.inc(x.labels, x.value);
        },
      });
    }
    return new Gauge({
      ...config,
      collect() {
        this.reset();
        for (const snap of snapshots(shared)) for (const x of snap[key]) this.set(x.labels, x.value);
      },
    });
  });
  return Object.values(METRICS).map((d) => `${prefix}${d.name}`);
}

/**
 * Registers the logger's metrics (names in docs/metrics.md) in a prom-client registry; serve it
 * with `registry.metrics()` as usual. Returns a function that removes this logger (and the
 * metrics, when no logger is left).
 */
export function registerPrometheusMetrics(logger: AuditLogger, options: PrometheusMetricsOptions = {}): () => void {
  const registry = options.registry ?? defaultRegistry;
  const prefix = options.prefix ?? 'auditready_';
  const labels = options.labels ?? {};
  let perPrefix = BY_REGISTRY.get(registry);
  if (!perPrefix) {
    perPrefix = new Map();
    BY_REGISTRY.set(registry, perPrefix);
  }
  let shared = perPrefix.get(prefix);
  if (!shared) {
    shared = { sources: new Set(), names: [] };
    shared.names = create(registry, prefix, Object.keys(labels), shared);
    perPrefix.set(prefix, shared);
  }
  const source: Source = { logger, labels, since: Date.now() };
  shared.sources.add(source);
  const s = shared;
  return () => {
    s.sources.delete(source);
    if (s.sources.size > 0) return;
    for (const name of s.names) registry.removeSingleMetric(name);
    perPrefix?.delete(prefix);
  };
}
