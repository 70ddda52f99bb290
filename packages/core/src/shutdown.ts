/**
 * Flush on SIGTERM / SIGINT / beforeExit (docs/spec/delivery.md §Shutdown). One set of process
 * listeners serves every logger. On a signal nobody else handles, we close every logger (flush,
 * then close its transports: the file transport writes its head and releases its lock), bounded by
 * each logger's shutdown timeout, then re-raise the signal so the process exits as it would have
 * without us. When the app handles the signal itself, it is in charge of exiting and may still
 * record while it drains: we only flush. beforeExit flushes once more only while that makes
 * progress, so a destination that is down cannot keep the process alive.
 */
import { nodeProcess } from './platform.js';

export interface ShutdownParticipant {
  shutdownFlush(): Promise<void>;
  /** Flush, then close the transports (the process is about to end). */
  shutdownClose(): Promise<void>;
  pendingCount(): number;
  /** Bound on shutdownFlush / shutdownClose (the participant's shutdown timeout). */
  shutdownTimeoutMs(): number;
}

const participants = new Set<ShutdownParticipant>();
let installed = false;
let lastBeforeExitPending = -1;

/** Runs `op`, giving up after `ms` (plus a grace second for transports' own timeouts): a shutdown never hangs. */
function bounded(op: () => Promise<void>, ms: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms + 1000);
    (timer as { unref?: () => void }).unref?.();
    op().then(
      () => {
        clearTimeout(timer);
        resolve();
      },
      () => {
        clearTimeout(timer);
        resolve();
      },
    );
  });
}

function onSignal(signal: string): void {
  const proc = nodeProcess;
  // Nobody else listens: the process will end with this signal, so the transports are closed.
  const ending = proc?.listenerCount !== undefined && proc.listenerCount(signal) <= 1;
  const ops = [...participants].map((p) => bounded(() => (ending ? p.shutdownClose() : p.shutdownFlush()), p.shutdownTimeoutMs()));
  void Promise.all(ops).then(() => {
    if (!ending || !proc?.kill || proc.pid === undefined) return;
    const ours = signal === 'SIGTERM' ? onSigterm : onSigint;
    if (proc.listenerCount?.(signal) !== undefined && (proc.listenerCount(signal) as number) <= 1) {
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
