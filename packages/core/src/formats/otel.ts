/**
 * An entry as an OpenTelemetry log record (the log data model, in OTLP/JSON: one
 * ExportLogsServiceRequest per entry, ready for an OTLP/HTTP endpoint): time, severity, the
 * canonical line as the body, trace context, `event_name` = auditready.<kind>, semantic-convention
 * attributes (semconv 1.44: http.*, url.path, client.address, user.*) and the chain in
 * `auditready.*` attributes. docs/formats.md has the table.
 */
import { canonicalize } from '../canonical.js';
import type { AuditEntry } from '../types.js';
import { CORE_VERSION } from '../version.js';
import { timesOf } from './common.js';

export const OTEL_SEMCONV_VERSION = '1.44.0';

type AnyValue = { stringValue: string } | { intValue: string } | { arrayValue: { values: AnyValue[] } } | { boolValue: boolean };
interface KeyValue {
  key: string;
  value: AnyValue;
}

const str = (key: string, v: string | undefined): KeyValue[] => (v === undefined ? [] : [{ key, value: { stringValue: v } }]);
const int = (key: string, v: number | undefined): KeyValue[] =>
  v === undefined ? [] : [{ key, value: { intValue: String(Math.round(v)) } }];
const strs = (key: string, v: string[] | undefined): KeyValue[] =>
  v === undefined || v.length === 0 ? [] : [{ key, value: { arrayValue: { values: v.map((s) => ({ stringValue: s })) } } }];

function severity(e: AuditEntry): [number, string] {
  if (e.kind === 'gap' || e.outcome === 'error') return [17, 'ERROR'];
  if (e.kind === 'rejected' || e.kind === 'clock' || e.outcome === 'denied' || e.outcome === 'failure' || e.outcome === 'aborted')
    return [13, 'WARN'];
  return [9, 'INFO'];
}

function attributesOf(e: AuditEntry): KeyValue[] {
  const a = e.actor;
  const h = e.http;
  return [
    ...str('http.request.method', h?.method?.toUpperCase()),
    ...str('http.route', h?.route),
    ...str('url.path', h?.path?.split('?')[0]),
    ...int('http.response.status_code', h?.status),
    ...int('http.request.body.size', h?.bytesIn),
    ...int('http.response.body.size', h?.bytesOut),
    ...str('client.address', a?.ip),
    ...str('user_agent.original', a?.userAgent),
    ...str('user.id', a?.id),
    ...str('user.name', a?.name),
    ...strs('user.roles', a?.roles),
    ...str('session.id', a?.session),
    ...str('auditready.chain', e.chain),
    ...int('auditready.seq', e.seq),
    ...str('auditready.hash', e.hash),
    ...str('auditready.prev', e.prev),
    ...str('auditready.key_id', e.kid),
    ...str('auditready.kind', e.kind),
    ...str('auditready.action', e.action),
    ...str('auditready.outcome', e.outcome),
    ...str('auditready.reason', e.reason),
    ...str('auditready.actor.type', a?.type),
    ...str('auditready.impersonator.id', a?.impersonator?.id),
    ...str('auditready.resource.type', e.resource?.type),
    ...str('auditready.resource.id', e.resource?.id),
    ...str('auditready.request_id', h?.requestId),
    ...int('auditready.duration_ms', h?.durationMs),
  ];
}

/** The entry as an OTLP/JSON logs request holding one log record; `line` is its canonical line. */
export function toOtelLog(entry: AuditEntry, line?: string): Record<string, unknown> {
  const e = entry;
  const [severityNumber, severityText] = severity(e);
  const { nanos } = timesOf(e.ts);
  const record: Record<string, unknown> = {
    timeUnixNano: nanos,
    observedTimeUnixNano: nanos,
    severityNumber,
    severityText,
    body: { stringValue: line ?? canonicalize(e) },
    attributes: attributesOf(e),
    eventName: `auditready.${e.kind}`,
    ...(e.trace
      ? { traceId: e.trace.traceId, spanId: e.trace.spanId, ...(e.trace.flags ? { flags: Number.parseInt(e.trace.flags, 16) } : {}) }
      : {}),
  };
  const resource = [
    ...str('service.name', e.service?.name),
    ...str('service.version', e.service?.version),
    ...str('service.instance.id', e.service?.instance),
    ...str('deployment.environment.name', e.service?.env),
    ...str('host.name', e.service?.host),
  ];
  return {
    resourceLogs: [
      {
        resource: { attributes: resource },
        scopeLogs: [{ scope: { name: 'auditready', version: CORE_VERSION }, logRecords: [record] }],
        schemaUrl: `https://opentelemetry.io/schemas/${OTEL_SEMCONV_VERSION}`,
      },
    ],
  };
}
