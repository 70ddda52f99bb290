// @auditready/metrics: the whole public contract, listed by hand. Prometheus: '@auditready/metrics/prometheus'.
export type { CollectOptions, MetricDefinition, MetricKey, MetricSample, MetricsSnapshot, MetricType } from './metrics.js';
export { collectMetrics, METRICS } from './metrics.js';
export type { OpenTelemetryMetricsOptions } from './opentelemetry.js';
export { registerOpenTelemetryMetrics } from './opentelemetry.js';
