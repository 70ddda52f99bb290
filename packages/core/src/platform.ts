/**
 * The one place core touches Node built-ins. Everything here is optional: without Node (a browser,
 * a worker, another runtime) core falls back to @noble/hashes and plain timers, so the verifier
 * runs anywhere. process.getBuiltinModule (Node >= 20.16) lets us reach node:crypto without a
 * static import that bundlers for other platforms would choke on.
 */
import type * as NodeCrypto from 'node:crypto';

interface MinimalProcess {
  getBuiltinModule?: (id: string) => unknown;
  hrtime?: { bigint(): bigint };
  pid?: number;
  on?: (event: string, listener: (...args: unknown[]) => void) => unknown;
  off?: (event: string, listener: (...args: unknown[]) => void) => unknown;
  once?: (event: string, listener: (...args: unknown[]) => void) => unknown;
  listenerCount?: (event: string) => number;
  kill?: (pid: number, signal: string) => unknown;
  env?: Record<string, string | undefined>;
}

export const nodeProcess: MinimalProcess | undefined = (globalThis as { process?: MinimalProcess }).process;

function loadNodeCrypto(): typeof NodeCrypto | undefined {
  try {
    const mod = nodeProcess?.getBuiltinModule?.('node:crypto') as typeof NodeCrypto | undefined;
    return mod && typeof mod.createHash === 'function' ? mod : undefined;
  } catch {
    return undefined;
  }
}

/** node:crypto when running on Node, else undefined. Tests may disable it (useNodeCrypto(false)). */
let nodeCrypto = loadNodeCrypto();

/** For tests and benchmarks: force the portable @noble/hashes path (false) or restore Node's (true). */
export function useNodeCrypto(enabled: boolean): void {
  nodeCrypto = enabled ? loadNodeCrypto() : undefined;
}

export function getNodeCrypto(): typeof NodeCrypto | undefined {
  return nodeCrypto;
}

/** Monotonic milliseconds (fractional). performance.now() exists in Node and browsers. */
export function monotonicMs(): number {
  return performance.now();
}

export function randomId(): string {
  const c = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto;
  if (c?.randomUUID) return c.randomUUID();
  // Non-crypto fallback only for runtimes without WebCrypto; ids are labels, not secrets.
  return `${Date.now().toString(16)}-${Math.random().toString(16).slice(2)}-${Math.random().toString(16).slice(2)}`;
}

/** A Node built-in by id (process.getBuiltinModule), or undefined off Node; the caller types it structurally. */
export function builtin<T>(id: string): T | undefined {
  try {
    return nodeProcess?.getBuiltinModule?.(id) as T | undefined;
  } catch {
    return undefined;
  }
}
