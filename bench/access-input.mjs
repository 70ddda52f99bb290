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
