import { randomBytes } from 'node:crypto';

// The realistic access entry the record() benchmarks use (record.bench.mjs, tree.bench.mjs).
export const accessInput = {
  kind: 'access',
  action: 'invoice.read',
  outcome: 'success',
  actor: { type: 'user', id: 'usr_8f14e45f', ip: '203.0.113.42' },
  resource: { type: 'invoice', id: 'inv_417' },
  http: { method: 'GET', route: '/invoices/:id', path: '/invoices/inv_417', status: 200, durationMs: 12.4, requestId: 'req_7b1f0c2e' },
  trace: { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7' },
};

/**
 * Distinct access entries, as a server's differ (request, trace and span ids, path and resource per
 * request; 1,000 actors): `input(i)` builds the i-th of `count` as a fresh object each call, from
 * ids made once (record.bench.mjs, record-pretenuring.bench.mjs).
 */
export function distinctAccessInputs(count) {
  const hex = (n) => randomBytes(n).toString('hex');
  const ids = Array.from({ length: count }, () => [hex(6), hex(16), hex(8)]);
  return (i) => ({
    kind: 'access',
    action: 'invoice.read',
    outcome: 'success',
    actor: { type: 'user', id: `usr_${(i * 7919) % 1000}`, ip: `203.0.113.${i % 250}` },
    resource: { type: 'invoice', id: `inv_${i}` },
    http: {
      method: 'GET',
      route: '/invoices/:id',
      path: `/invoices/inv_${i}`,
      status: 200,
      durationMs: (i % 1000) / 10,
      requestId: `req_${ids[i][0]}`,
    },
    trace: { traceId: ids[i][1], spanId: ids[i][2] },
  });
}
