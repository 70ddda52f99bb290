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
import { threadId } from 'node:worker_threads';
import { AuditLockedError } from '@auditready/core';

export interface LockInfo {
  pid: number;
  host: string;
  since: string;
  /** Unique to the writing thread (shared by every copy of this module in it). */
  token: string;
  /** The writing thread's id in its process (worker_threads.threadId; 0: the main thread). */
  thread?: number;
  /** Linux: /proc/sys/kernel/random/boot_id. */
  boot?: string;
  /** Linux: the process's start time in clock ticks since boot (/proc/<pid>/stat, field 22). */
  start?: number;
}

/**
 * One token per thread (each thread has its own globalThis), even if several copies of this
 * package are loaded in it.
 */
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

const MY_START = startOf(process.pid);
/** When this process started (ms since the epoch), for systems without /proc. */
const MY_START_MS = Date.now() - process.uptime() * 1000;

/**
 * Threads of this process whose locks may be taken over: the audit worker bridge
 * (@auditready/core/worker) names the worker thread that died when it starts its replacement.
 */
function deadThreads(): readonly number[] {
  const v = (globalThis as Record<symbol, unknown>)[Symbol.for('auditready.dead-threads')];
  return Array.isArray(v) ? (v as number[]) : [];
}

/**
 * A lock with our pid: written by another thread of this very process (alive, unless the worker
 * bridge says that thread died), or by a previous incarnation with the same pid (pid 1 in a
 * container, restarted). Locks without a thread id predate thread ids: a previous incarnation.
 */
function sameProcessHolderAlive(held: Partial<LockInfo>): boolean {
  if (held.token === TOKEN) return true;
  if (typeof held.thread !== 'number') return false;
  const sameProcess =
    held.start !== undefined && MY_START !== undefined ? held.start === MY_START : Date.parse(held.since ?? '') >= MY_START_MS - 1000;
  return sameProcess && !deadThreads().includes(held.thread);
}

/** Is the process (thread) that wrote `held` still running (the same one, not a reuse of its pid)? */
function holderAlive(held: Partial<LockInfo>): boolean {
  if (typeof held.pid !== 'number') return false;
  if (held.boot !== undefined && BOOT !== undefined && held.boot !== BOOT) return false; // written before a reboot
  if (held.pid === process.pid) return sameProcessHolderAlive(held);
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
  const me: LockInfo = {
    pid: process.pid,
    host: hostname(),
    since: new Date().toISOString(),
    token: TOKEN,
    thread: threadId,
    ...(BOOT !== undefined ? { boot: BOOT } : {}),
    ...(MY_START !== undefined ? { start: MY_START } : {}),
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
      throw new AuditLockedError(`${path} is already held by this thread: one file transport per log`, held);
    }
    if (held && sameHost && holderAlive(held)) {
      const who = held.pid === process.pid ? `thread ${held.thread} of this process` : `process ${held.pid}`;
      throw new AuditLockedError(`${path} is held by ${who} (since ${held.since ?? '?'}): two writers would fork the chain`, held);
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
