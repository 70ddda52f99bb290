/**
 * One writer per log. A second process appending to the same file would interleave two chains
 * into a forked one, so the transport takes `<name>.lock` (O_EXCL) holding the writer's identity.
 * A lock whose process is gone (crash, SIGKILL) is taken over, and the takeover is noted in the
 * `recovered` record. Locks are per host: on shared filesystems, give each host its own dir.
 *
 * A pid alone does not name a process: in a container the app is pid 1 in every incarnation, and
 * pids are reused. The lock also records a token unique to the process that wrote it, the boot it
 * ran in and, on Linux, its start time: the same pid from another boot, another start time or
 * another token (pid 1 again, after a restart) is a stale lock, not a live writer.
 */
import { randomUUID } from 'node:crypto';
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { AuditLockedError } from '@auditready/core';

export interface LockInfo {
  pid: number;
  host: string;
  since: string;
  /** Unique to the writing process (shared by every copy of this module in it). */
  token: string;
  /** Linux: /proc/sys/kernel/random/boot_id. */
  boot?: string;
  /** Linux: the process's start time in clock ticks since boot (/proc/<pid>/stat, field 22). */
  start?: number;
}

/** One token per process, even if several copies of this package are loaded. */
const TOKEN: string = ((globalThis as Record<symbol, unknown>)[Symbol.for('auditready.lock-token')] ??= randomUUID()) as string;

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

const BOOT = readText('/proc/sys/kernel/random/boot_id')?.trim();

/** A process's start time (clock ticks since boot), where /proc has it. */
function startOf(pid: number): number | undefined {
  const stat = readText(`/proc/${pid}/stat`);
  if (stat === undefined) return undefined;
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const v = Number(f[19]); // field 22 counted from 1, after pid and (comm)
  return Number.isFinite(v) ? v : undefined;
}

function exists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

/** Is the process that wrote `held` still running (the same process, not a reuse of its pid)? */
function holderAlive(held: Partial<LockInfo>): boolean {
  if (typeof held.pid !== 'number') return false;
  if (held.boot !== undefined && BOOT !== undefined && held.boot !== BOOT) return false; // written before a reboot
  if (held.pid === process.pid) return held.token === TOKEN; // pid 1 again, after a restart: not us
  if (!exists(held.pid)) return false;
  const start = held.start === undefined ? undefined : startOf(held.pid);
  return start === undefined || start === held.start; // another start time: the pid was reused
}

function readLock(path: string): Partial<LockInfo> | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Partial<LockInfo>;
  } catch {
    return undefined; // unreadable or half-written: treat as stale
  }
}

function writeLock(path: string, mode: number, me: LockInfo): void {
  const fd = openSync(path, 'wx', mode);
  try {
    writeSync(fd, JSON.stringify(me));
  } finally {
    closeSync(fd);
  }
}

/** Takes the lock or throws AuditLockedError. Returns the stale lock it replaced, if any. */
export function acquireLock(path: string, mode: number): { stale: Partial<LockInfo> | undefined } {
  const start = startOf(process.pid);
  const me: LockInfo = {
    pid: process.pid,
    host: hostname(),
    since: new Date().toISOString(),
    token: TOKEN,
    ...(BOOT !== undefined ? { boot: BOOT } : {}),
    ...(start !== undefined ? { start } : {}),
  };
  let stale: Partial<LockInfo> | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      writeLock(path, mode, me);
      return { stale };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const held = readLock(path);
    const sameHost = held?.host === undefined || held.host === me.host;
    if (held && sameHost && held.pid === process.pid && held.token === TOKEN) {
      throw new AuditLockedError(`${path} is already held by this process: one file transport per log`, held);
    }
    if (held && sameHost && holderAlive(held)) {
      throw new AuditLockedError(
        `${path} is held by process ${held.pid} (since ${held.since ?? '?'}): two writers would fork the chain`,
        held,
      );
    }
    stale = held ?? {};
    try {
      unlinkSync(path);
    } catch {
      // someone else removed it first; try again
    }
  }
  throw new AuditLockedError(`could not take ${path}`, {});
}

/** Is the lock at `path` ours? */
export function holdsLock(path: string): boolean {
  const held = readLock(path);
  return held?.pid === process.pid && held.token === TOKEN;
}

export function releaseLock(path: string): void {
  if (!holdsLock(path)) return;
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}
