/**
 * OpenTelemetry: the metrics as observable instruments on a Meter the app gives (from its
 * MeterProvider), observed in one batch per collection. Only @opentelemetry/api's types are used.
 */
import type { AuditLogger } from '@auditready/core';
import type { Attributes, BatchObservableCallback, Meter, Observable, ObservableResult } from '@opentelemetry/api';
import { collectMetrics, METRICS, type MetricKey } from './metrics.js';

export interface OpenTelemetryMetricsOptions {
  /** Instrument name prefix. Default `auditready.`. */
  prefix?: string;
  /** Attributes added to every observation (e.g. `{ log: 'access' }`). */
  attributes?: Record<string, string>;
}

/**
 * Registers the logger's metrics on `meter` (`metrics.getMeter('auditready')`); the returned
 * function removes them.
 */
export function registerOpenTelemetryMetrics(logger: AuditLogger, meter: Meter, options: OpenTelemetryMetricsOptions = {}): () => void {
  const prefix = options.prefix ?? 'auditready.';
  const since = Date.now();
  const instruments = new Map<MetricKey, Observable>();
  for (const [key, d] of Object.entries(METRICS) as [MetricKey, (typeof METRICS)[MetricKey]][]) {
    const o = { description: d.help, unit: d.unit };
    const name = `${prefix}${d.otelName}`;
    instruments.set(
      key,
      d.type === 'counter'
        ? meter.createObservableCounter(name, o)
        : d.type === 'updowncounter'
          ? meter.createObservableUpDownCounter(name, o)
          : meter.createObservableGauge(name, o),
    );
  }
  const callback: BatchObservableCallback = (result) => {
    const snap = collectMetrics(logger, { since, ...(options.attributes ? { labels: options.attributes } : {}) });
    for (const [key, samples] of Object.entries(snap) as [MetricKey, { labels: Attributes; value: number }[]][]) {
      const inst = instruments.get(key) as Observable;
      for (const x of samples) (result as { observe(o: Observable, v: number, a?: Attributes): void }).observe(inst, x.value, x.labels);
    }
  };
  const list = [...instruments.values()];
  meter.addBatchObservableCallback(callback, list);
  return () => meter.removeBatchObservableCallback(callback, list);
}

export type { ObservableResult };
