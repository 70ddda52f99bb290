/** W3C Trace Context `traceparent` (https://www.w3.org/TR/trace-context/#traceparent-header). */
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(?:-.*)?$/;

export function parseTraceparent(value: unknown): { traceId: string; spanId: string; flags: string } | undefined {
  if (typeof value !== 'string' || value.length > 512) return undefined;
  const m = TRACEPARENT.exec(value.trim());
  if (!m) return undefined;
  const [, version, traceId, spanId, flags] = m as unknown as [string, string, string, string, string];
  if (version === 'ff') return undefined;
  if (version === '00' && value.trim().length !== 55) return undefined; // version 00 has no extra fields
  if (/^0+$/.test(traceId) || /^0+$/.test(spanId)) return undefined;
  return { traceId, spanId, flags };
}

/** Incoming request ids are accepted only in this shape (no header injection, no log forging). */
export const REQUEST_ID = /^[A-Za-z0-9._:@/+=-]{1,128}$/;
