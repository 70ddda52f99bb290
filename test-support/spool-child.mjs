// The spool scenario both network transports share, run in a child process the test can SIGKILL.
// Mode 'outage': the destination answers nothing; 40 entries are recorded, and once 8 batches are
// spooled the child prints "spooled" (the test then kills it). Mode 'resume': a new process on the
// same spool, with the destination back, records 10 more and closes once everything is delivered
// (the spool replays first); it prints { ok, spooled }.
import { createAuditLogger } from '@auditready/core';

/**
 * @param {{ mode: string, transport: import('@auditready/core').Transport & { spooled(): number, idle(ms?: number): Promise<boolean> }, service: string, idleMs: number }} o
 */
export async function runSpoolChild({ mode, transport, service, idleMs }) {
  const logger = createAuditLogger({
    service: { name: service },
    transports: [transport],
    handleSignals: false,
    queue: { batchSize: 5 },
    retry: { initialDelayMs: 10, maxDelayMs: 50 },
    onError: () => {},
  });
  if (mode === 'outage') {
    for (let i = 0; i < 40; i++) logger.record({ action: 'during-outage', details: { i } });
    const poll = setInterval(() => {
      if (transport.spooled() >= 8) {
        process.stdout.write('spooled\n');
        clearInterval(poll);
      }
    }, 20);
    setInterval(() => {}, 1000); // stay alive until killed
    return;
  }
  for (let i = 0; i < 10; i++) logger.record({ action: 'after-restart', details: { i } });
  await logger.flush({ timeoutMs: 10000 });
  const delivered = await transport.idle(idleMs);
  const r = await logger.close({ timeoutMs: 10000 });
  process.stdout.write(`${JSON.stringify({ ok: r.ok && delivered, spooled: transport.spooled() })}\n`);
}
