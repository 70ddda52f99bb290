/**
 * Flush on SIGTERM / SIGINT / beforeExit (docs/spec/delivery.md §Shutdown). One set of process
 * listeners serves every logger. On a signal we flush (bounded by each logger's shutdown timeout);
 * if no other listener handles the signal, we then re-raise it so the process exits as it would
 * have without us. beforeExit flushes once more only while that makes progress, so a destination
 * that is down cannot keep the process alive.
 */
import { nodeProcess } from './platform.js';

export interface ShutdownParticipant {
  shutdownFlush(): Promise<void>;
  pendingCount(): number;
}

const participants = new Set<ShutdownParticipant>();
let installed = false;
let lastBeforeExitPending = -1;

function onSignal(signal: string): void {
  void Promise.allSettled([...participants].map((p) => p.shutdownFlush())).then(() => {
    const proc = nodeProcess;
    if (!proc?.listenerCount || !proc.kill || proc.pid === undefined) return;
    const ours = signal === 'SIGTERM' ? onSigterm : onSigint;
    if (proc.listenerCount(signal) <= 1) {
      proc.off?.(signal, ours as (...a: unknown[]) => void);
      proc.kill(proc.pid, signal);
    }
  });
}
const onSigterm = () => onSignal('SIGTERM');
const onSigint = () => onSignal('SIGINT');
const onBeforeExit = () => {
  const pending = [...participants].reduce((n, p) => n + p.pendingCount(), 0);
  if (pending === 0 || pending === lastBeforeExitPending) return;
  lastBeforeExitPending = pending;
  void Promise.allSettled([...participants].map((p) => p.shutdownFlush()));
};

export function registerShutdown(p: ShutdownParticipant): void {
  participants.add(p);
  const proc = nodeProcess;
  if (installed || !proc?.on) return;
  installed = true;
  proc.on('SIGTERM', onSigterm as (...a: unknown[]) => void);
  proc.on('SIGINT', onSigint as (...a: unknown[]) => void);
  proc.on('beforeExit', onBeforeExit as (...a: unknown[]) => void);
}

export function unregisterShutdown(p: ShutdownParticipant): void {
  participants.delete(p);
  const proc = nodeProcess;
  if (participants.size > 0 || !installed || !proc?.off) return;
  installed = false;
  proc.off('SIGTERM', onSigterm as (...a: unknown[]) => void);
  proc.off('SIGINT', onSigint as (...a: unknown[]) => void);
  proc.off('beforeExit', onBeforeExit as (...a: unknown[]) => void);
}
