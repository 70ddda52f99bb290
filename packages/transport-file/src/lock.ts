/**
 * One writer per log. A second process appending to the same file would interleave two chains
 * into a forked one, so the transport takes `<name>.lock` (O_EXCL) holding the writer's pid and
 * host. A lock whose process is gone (crash, SIGKILL) is taken over, and the takeover is noted in
 * the `recovered` record. Locks are per host: on shared filesystems, give each host its own dir.
 */
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { AuditLockedError } from '@auditready/core';

export interface LockInfo {
  pid: number;
  host: string;
  since: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

function readLock(path: string): Partial<LockInfo> | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Partial<LockInfo>;
  } catch {
    return undefined; // unreadable or half-written: treat as stale
  }
}

/** Takes the lock or throws AuditLockedError. Returns the stale lock it replaced, if any. */
export function acquireLock(path: string, mode: number): { stale: Partial<LockInfo> | undefined } {
  const me: LockInfo = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
  let stale: Partial<LockInfo> | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, 'wx', mode);
      try {
        writeSync(fd, JSON.stringify(me));
      } finally {
        closeSync(fd);
      }
      return { stale };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const held = readLock(path);
    if (held && held.pid === process.pid && held.host === me.host) {
      throw new AuditLockedError(`${path} is already held by this process: one file transport per log`, held);
    }
    if (held && typeof held.pid === 'number' && (held.host === undefined || held.host === me.host) && alive(held.pid)) {
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

export function releaseLock(path: string): void {
  const held = readLock(path);
  if (held?.pid === process.pid) {
    try {
      unlinkSync(path);
    } catch {
      // already gone
    }
  }
}
