// Logger options for the benchmarks' worker mode (@auditready/core/worker): built in the worker
// thread, with the same defaults as the in-process mode (SHA-256 chain, default redaction, file
// transport with fsync); fail-closed when AUDITREADY_BENCH_FAIL_CLOSED is set (bench/worker.bench.mjs).
import { createFileTransport } from '@auditready/transport-file';

export default () => ({
  service: { name: 'bench' },
  transports: [createFileTransport({ dir: process.env.AUDITREADY_BENCH_DIR })],
  ...(process.env.AUDITREADY_BENCH_FAIL_CLOSED ? { queue: { overflow: 'fail-closed' } } : {}),
});
