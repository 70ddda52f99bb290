// Logger options for the Express/Nest benchmarks' worker mode (@auditready/core/worker): built in
// the worker thread, with the same defaults as the in-process mode (SHA-256 chain, default
// redaction, file transport with fsync).
import { createFileTransport } from '@auditready/transport-file';

export default () => ({ service: { name: 'bench' }, transports: [createFileTransport({ dir: process.env.AUDITREADY_BENCH_DIR })] });
