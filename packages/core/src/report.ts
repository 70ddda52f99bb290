/** Where the logger and the worker bridge send the errors they handle. */
import type { AuditError } from './errors.js';
import { nodeProcess } from './platform.js';

/**
 * A reporter: `onError` when the app gave one (its own throw swallowed: there is nowhere left to
 * report to), else a process warning once per error code, so problems are visible without
 * flooding the console.
 */
export function errorReporter(onError: ((e: AuditError) => void) | undefined): (err: AuditError) => void {
  if (onError) {
    return (err) => {
      try {
        onError(err);
      } catch {
        // onError must not throw
      }
    };
  }
  const warned = new Set<string>();
  return (err) => {
    if (warned.has(err.code)) return;
    warned.add(err.code);
    const proc = nodeProcess as { emitWarning?: (w: Error) => void } | undefined;
    if (proc?.emitWarning) proc.emitWarning(err);
  };
}
