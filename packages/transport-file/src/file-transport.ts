/**
 * An append-only file transport (docs/transport-file.md).
 *
 * One canonical entry per line, appended with O_APPEND to `<dir>/<name>.log` (mode 0600). A batch
 * is one write; `write()` resolves when the batch is as durable as `durability` says. Rotation
 * closes the active file into a stamped segment (optionally gzipped) and the chain simply
 * continues in the next file. Retention deletes old segments only after a `retention` record
 * describing them is durable in the log. On start the transport finds the last sealed entry so
 * the logger resumes the chain; a torn last line (a crash mid-write) is set aside or truncated and
 * the `recovered` record says so.
 */

import {
  closeSync,
  createReadStream,
  createWriteStream,
  existsSync,
  fdatasync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readSync,
  renameSync,
  statSync,
  truncateSync,
  unlinkSync,
  write,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { readdir, rename, unlink } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { createGzip } from 'node:zlib';
import {
  AuditClosedError,
  AuditConfigError,
  type AuditEntry,
  AuditTransportError,
  checkOptionsObject,
  intOption,
  positiveOption,
  type ResumePoint,
  resumeTree,
  type SealedRecord,
  type Transport,
  type TransportContext,
} from '@auditready/core';
import { fsyncDir } from '@auditready/core/spool';
import { HeadFile } from './head-file.js';
import { DEFAULT_BLOCK_BYTES, indexSegment } from './indexer.js';
import { acquireLock, holdsLock, releaseLock } from './lock.js';
import { recoverCompression } from './recovery.js';
import { advanceThrough, describeRemoved, doomedSegments, type Removed } from './retention.js';
import { activeName, type EntryHead, isSegmentOf, linesNewestFirst, listSegments, scanTail, segmentBounds, stampOf } from './segments.js';

const writeAsync = promisify(write);
const fdatasyncAsync = promisify(fdatasync);

/**
 * Batches up to this size are written with one synchronous call: appending to the page cache costs
 * ~2 µs of CPU, where a write through libuv's thread pool costs ~45 µs of handoffs between threads
 * (measured on a 2-vCPU VM), for every batch — at light load, every entry. The event loop waits
 * no longer than for a memory copy of this size; larger batches (a backlog) go through the pool.
 * The fdatasync of the default durability stays off the event loop.
 */
export const SYNC_WRITE_MAX_BYTES = 256 * 1024;

/** FileTransportOptions.gatherMs's default. */
const DEFAULT_GATHER_MS = 5;

export type Durability = 'fsync' | 'none' | { groupCommitMs: number };

/**
 * A batch's bytes, one line per record. A batch that surely fits (3 bytes per UTF-16 unit at most)
 * is encoded line by line into `scratch`, which the caller reuses: joining the lines and encoding
 * the joined string allocated a fresh buffer outside the heap and copied every line twice (~0.5 µs
 * an entry). The view is valid until the next call with the same scratch.
 */
export function encodeBatch(batch: readonly SealedRecord[], scratch: Buffer): Buffer {
  let bound = 0;
  for (const r of batch) bound += r.line.length * 3 + 1;
  if (bound > scratch.length) return Buffer.from(`${batch.map((r) => r.line).join('\n')}\n`, 'utf8');
  let off = 0;
  for (const r of batch) {
    off += scratch.write(r.line, off, 'utf8');
    scratch[off++] = 0x0a;
  }
  return scratch.subarray(0, off);
}

/** This transport's own records: retention, and the notices committing index sidecars. */
function isBookkeeping(e: AuditEntry): boolean {
  return e.kind === 'retention' || (e.kind === 'notice' && (e.details as { index?: unknown } | undefined)?.index !== undefined);
}

export interface FileTransportOptions {
  /** Directory of the active file and its segments; created with mode 0700 if missing. */
  dir: string;
  /** Base name: active file `<name>.log`, segments `<name>-<stamp>.log[.gz]`. Default `audit`. */
  name?: string;
  /**
   * - `'fsync'` (default): each batch is fdatasync'd before `write()` resolves. Loses nothing that
   *   was acknowledged, even on power failure (given honest disks).
   * - `{ groupCommitMs }`: written at once, fdatasync'd at most every N ms. A power failure loses at
   *   most the last N ms; a process crash loses nothing written.
   * - `'none'`: written, never fsync'd except on rotation and close. A process crash loses
   *   nothing written; a power failure loses what the OS had not written back (typically <= 30 s).
   */
  durability?: Durability;
  /**
   * With `durability: 'fsync'`: under sustained load, a batch starts at most every `gatherMs` ms,
   * so that one fdatasync covers what arrived meanwhile (each costs ~0.1-0.3 ms of CPU here
   * whatever it covers). The acknowledgment waits up to that much longer; a batch after a quiet
   * spell, a flush and close do not wait. Default 5; 0 writes each batch as soon as the previous
   * one is durable. Ignored by the other durabilities (nothing per batch to save).
   */
  gatherMs?: number;
  /** File mode of new log files. Default 0o600. */
  mode?: number;
  rotate?: {
    /**
     * Start a new segment before the active file would exceed this size (the transport's own
     * records, index notices and retention, may pass it by one batch: they never open a segment).
     */
    maxBytes?: number;
    /** Start a new segment when the active one is this old (ms). */
    intervalMs?: number;
  };
  /** gzip closed segments (in the background). Default false. */
  compress?: boolean;
  /**
   * Write an index sidecar (`<segment>.idx.json`: time range, chains' seq ranges, membership
   * filters) for each closed segment, committed in the chain by a `notice` record, so that
   * `auditready query` skips segments that cannot match (docs/spec/segment-index.md), and a
   * blocks file (`<segment>.blk.json`) so that it reads only the blocks that may (gzip: one member
   * per block). Default true; `{ blockBytes }` sets the plain bytes per block (default 256 KiB).
   */
  index?: boolean | { blockBytes?: number };
  retention?: {
    /** Delete segments last written more than this long ago (ms). */
    maxAgeMs?: number;
    /** Keep at most this many closed segments. */
    maxFiles?: number;
  };
  /** What to do with a torn last line found at start: keep it in `<name>.log.torn-<stamp>` (default) or drop it. */
  tornTail?: 'preserve' | 'truncate';
  /** Reopen the active file on SIGHUP (logrotate's `postrotate`). Default false. */
  reopenOnSighup?: boolean;
  /**
   * At most how often the head commitment `<name>.head.json` is refreshed while writing (ms).
   * Default 0: after every batch, before write() resolves, so the head covers every acknowledged
   * entry (a cut tail is then caught). A larger value saves a small write and rename per batch but
   * leaves up to that window of acknowledged entries uncommitted.
   */
  headIntervalMs?: number;
  /** Shown in health() and errors. Default `file:<dir>/<name>.log`. */
  transportName?: string;
}

interface PendingDeletion {
  chain: string;
  seq: number;
  files: string[];
}

const positive = (v: unknown, where: string): number | undefined => positiveOption(v, undefined, where);

export function createFileTransport(options: FileTransportOptions): FileTransport {
  return new FileTransport(options);
}

export class FileTransport implements Transport {
  readonly name: string;
  readonly dir: string;
  readonly baseName: string;
  readonly path: string;
  readonly #mode: number;
  readonly #durability: Durability;
  readonly #maxBytes: number | undefined;
  readonly #intervalMs: number | undefined;
  readonly #compress: boolean;
  readonly #index: boolean;
  readonly #blockBytes: number;
  readonly #maxAgeMs: number | undefined;
  readonly #maxFiles: number | undefined;
  readonly #headIntervalMs: number;
  /** Transport.gatherMs: what a batch's fdatasync may wait for (0 unless durability is 'fsync'). */
  readonly gatherMs: number;
  readonly #lockPath: string;
  readonly #resume: ResumePoint | undefined;
  #ctx: TransportContext | undefined;
  #fd: number;
  #ino: number;
  #size: number;
  #activeFirstTs: string | undefined;
  #activeOpenedAt: number;
  #head: EntryHead | undefined;
  #headWrittenAt = 0;
  /** The head commitment (head-file.ts). */
  readonly #headFile: HeadFile;
  /** Where batches are encoded (encodeBatch); allocated at the first write. */
  #scratch: Buffer | undefined;
  #dirty = false;
  #groupTimer: ReturnType<typeof setTimeout> | undefined;
  #pendingDeletions: PendingDeletion[] = [];
  /** Per chain, the highest seq removed by retention so far (see #planRetention). */
  readonly #through = new Map<string, { seq: number; hash: string }>();
  readonly #background = new Set<Promise<void>>();
  /** The closed segments being compressed or indexed, by name (their work is in #background too). */
  readonly #onSegments = new Map<string, Promise<void>>();
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;
  /** The active file holds something other than retention records (see #rotate). */
  #activeHasAppEntries = true;
  /** The retention run in progress (runs are chained, never concurrent). */
  #retentionRun: Promise<void> = Promise.resolve();
  readonly #onSighup: (() => void) | undefined;
  /** Closed segments found uncompressed at start (a crash came between rotation and compression). */
  #toCompress: string[] = [];

  constructor(options: FileTransportOptions) {
    checkOptionsObject(options, 'createFileTransport');
    if (typeof options.dir !== 'string' || options.dir === '') throw new AuditConfigError('dir is required', { path: 'dir' });
    const name = options.name ?? 'audit';
    if (typeof name !== 'string' || !/^[A-Za-z0-9._-]{1,100}$/.test(name) || name.startsWith('.')) {
      throw new AuditConfigError('name must be 1-100 characters of A-Z a-z 0-9 . _ - (not starting with a dot)', { path: 'name' });
    }
    const d = options.durability ?? 'fsync';
    if (
      !(d === 'fsync' || d === 'none' || (typeof d === 'object' && d !== null && positive(d.groupCommitMs, 'durability.groupCommitMs')))
    ) {
      throw new AuditConfigError("durability must be 'fsync', 'none' or { groupCommitMs }", { path: 'durability' });
    }
    this.#durability = d;
    this.#mode = options.mode ?? 0o600;
    if (!Number.isInteger(this.#mode) || this.#mode < 0 || this.#mode > 0o777)
      throw new AuditConfigError('mode must be a file mode such as 0o600', { path: 'mode' });
    this.#maxBytes = positive(options.rotate?.maxBytes, 'rotate.maxBytes');
    this.#intervalMs = positive(options.rotate?.intervalMs, 'rotate.intervalMs');
    this.#compress = options.compress === true;
    this.#index = options.index !== false;
    this.#blockBytes = positiveOption(
      typeof options.index === 'object' && options.index !== null ? options.index.blockBytes : undefined,
      DEFAULT_BLOCK_BYTES,
      'createFileTransport: index.blockBytes',
    );
    this.#maxAgeMs = positive(options.retention?.maxAgeMs, 'retention.maxAgeMs');
    this.#maxFiles = positive(options.retention?.maxFiles, 'retention.maxFiles');
    if (this.#maxFiles !== undefined && !Number.isInteger(this.#maxFiles))
      throw new AuditConfigError('retention.maxFiles must be an integer', { path: 'retention.maxFiles' });
    this.#headIntervalMs = intOption(options.headIntervalMs, 0, 0, 'headIntervalMs');
    const gatherMs = intOption(options.gatherMs, DEFAULT_GATHER_MS, 0, 'gatherMs');
    this.gatherMs = this.#durability === 'fsync' ? gatherMs : 0;
    const torn = options.tornTail ?? 'preserve';
    if (torn !== 'preserve' && torn !== 'truncate')
      throw new AuditConfigError("tornTail must be 'preserve' or 'truncate'", { path: 'tornTail' });

    this.dir = options.dir;
    this.baseName = name;
    this.path = join(options.dir, activeName(name));
    this.name = options.transportName ?? `file:${this.path}`;
    this.#headFile = new HeadFile(this.dir, name, this.#mode, this.name);
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    this.#lockPath = join(this.dir, `${name}.lock`);
    const { stale } = acquireLock(this.#lockPath, this.#mode);

    try {
      // Find where the chain stands; set aside a torn tail left by a crash.
      const note: Record<string, unknown> = {};
      if (stale)
        note.staleLock = { ...(stale.pid !== undefined ? { pid: stale.pid } : {}), ...(stale.since ? { since: stale.since } : {}) };
      const rec = recoverCompression(this.dir, name, stampOf(new Date().toISOString()));
      const { uncompressed, ...done } = rec;
      if (done.discarded.length + done.finished.length + done.setAside.length > 0) note.compression = done;
      // Segments a crash left uncompressed are compressed once the transport is attached.
      if (this.#compress) this.#toCompress = uncompressed;
      const tail = scanTail(this.path);
      if (tail.goodEnd < tail.size) {
        const damaged = tail.size - tail.goodEnd;
        if (torn === 'preserve') {
          const aside = join(this.dir, `${activeName(name)}.torn-${stampOf(new Date().toISOString())}`);
          const buf = Buffer.alloc(damaged);
          const fd = openSync(this.path, 'r');
          try {
            readSync(fd, buf, 0, damaged, tail.goodEnd);
          } finally {
            closeSync(fd);
          }
          writeFileSync(aside, buf, { mode: this.#mode });
          note.tornTail = { bytes: damaged, preservedAs: basename(aside) };
        } else {
          note.tornTail = { bytes: damaged, discarded: true };
        }
        truncateSync(this.path, tail.goodEnd);
      }
      let last = tail.last;
      if (!last) {
        // Active file empty or new: the chain may stand in the newest segment.
        const segs = listSegments(this.dir, name);
        for (let i = segs.length - 1; i >= 0 && !last; i--) last = segmentBounds(join(this.dir, segs[i] as string)).last;
      }
      this.#head = last;
      const at = last;
      this.#resume = at
        ? {
            chain: at.chain,
            seq: at.seq,
            hash: at.hash,
            ...(Object.keys(note).length > 0 ? { note } : {}),
            tree: () => resumeTree(linesNewestFirst(this.dir, name), at),
          }
        : undefined;

      const existed = existsSync(this.path);
      this.#fd = openSync(this.path, 'a+', this.#mode);
      if (!existed) fsyncDir(this.dir);
      const st = fstatSync(this.#fd);
      this.#ino = st.ino;
      this.#size = st.size;
      this.#activeFirstTs = st.size > 0 ? firstTs(this.path) : undefined;
      this.#activeOpenedAt = this.#activeFirstTs ? Date.parse(this.#activeFirstTs) || Date.now() : Date.now();
    } catch (err) {
      releaseLock(this.#lockPath);
      throw err;
    }
    if (options.reopenOnSighup) {
      this.#onSighup = () => void this.reopen();
      process.on('SIGHUP', this.#onSighup);
    }
  }

  resume(): ResumePoint | undefined {
    return this.#resume;
  }

  attach(context: TransportContext): void {
    this.#ctx = context;
    for (const seg of this.#toCompress.splice(0)) this.#segmentWork(seg, this.#compressSegment(seg));
  }

  /** Serializes file operations (writes, rotation, reopen). */
  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  write(batch: readonly SealedRecord[]): Promise<void> {
    return this.#exclusive(async () => {
      if (this.#closed) throw new AuditClosedError(`${this.name}: closed`);
      if (batch.length === 0) return;
      this.#checkActiveFile();
      // The scratch is this transport's: writes run one at a time (#exclusive), and a rotation
      // awaited before this batch is written encodes nothing.
      const buf = encodeBatch(batch, (this.#scratch ??= Buffer.allocUnsafe(SYNC_WRITE_MAX_BYTES)));
      // A batch of this transport's own records (retention, index notices) joins the active
      // segment even past maxBytes: rotating for it would leave segments of bookkeeping only.
      const appEntries = batch.some((r) => !isBookkeeping(r.entry));
      if (appEntries && this.#shouldRotate(buf.length)) await this.#rotate();
      if (this.#size === 0) {
        this.#activeFirstTs = (batch[0] as SealedRecord).entry.ts;
        this.#activeOpenedAt = Date.now();
      }
      if (appEntries) this.#activeHasAppEntries = true;
      const before = this.#size;
      try {
        let off = 0;
        if (buf.length <= SYNC_WRITE_MAX_BYTES) while (off < buf.length) off += writeSync(this.#fd, buf, off, buf.length - off);
        else while (off < buf.length) off += (await writeAsync(this.#fd, buf, off, buf.length - off)).bytesWritten;
      } catch (err) {
        // A partial write (disk full) must not leave half a line: cut back to the last whole batch.
        try {
          ftruncateSync(this.#fd, before);
        } catch {
          // nothing more we can do; the next start will find and set aside the torn tail
        }
        throw err;
      }
      this.#size += buf.length;
      const last = (batch[batch.length - 1] as SealedRecord).entry;
      this.#head = { chain: last.chain, seq: last.seq, hash: last.hash, ts: last.ts };
      await this.#makeDurable();
      this.#afterDurable(batch);
      // The head commits to this batch before write() resolves: what was acknowledged is covered.
      if (this.#headIntervalMs === 0 || Date.now() - this.#headWrittenAt >= this.#headIntervalMs) this.#writeHead();
    });
  }

  async #makeDurable(): Promise<void> {
    const d = this.#durability;
    if (d === 'fsync') {
      await fdatasyncAsync(this.#fd);
    } else if (d !== 'none') {
      // Group commit: resolve now; a timer syncs everything written in the last window.
      this.#dirty = true;
      if (!this.#groupTimer) {
        this.#groupTimer = setTimeout(() => {
          this.#groupTimer = undefined;
          void this.#syncNow().catch((err) => this.#ctx?.reportError(err as Error));
        }, d.groupCommitMs);
        this.#groupTimer.unref?.();
      }
    }
  }

  async #syncNow(): Promise<void> {
    if (!this.#dirty || this.#closed) return;
    this.#dirty = false;
    await fdatasyncAsync(this.#fd);
    this.#runDeletions();
  }

  /** Deletes retained segments once the retention record describing them is in this log. */
  #afterDurable(batch: readonly SealedRecord[]): void {
    if (this.#pendingDeletions.length === 0) return;
    for (const r of batch) {
      for (const p of this.#pendingDeletions)
        if (r.entry.chain === p.chain && r.entry.seq === p.seq) (p as { ready?: boolean }).ready = true;
    }
    if (this.#durability === 'fsync' || this.#durability === 'none') this.#runDeletions();
  }

  #runDeletions(): void {
    const ready = this.#pendingDeletions.filter((p) => (p as { ready?: boolean }).ready);
    this.#pendingDeletions = this.#pendingDeletions.filter((p) => !(p as { ready?: boolean }).ready);
    for (const p of ready) {
      // A segment's index sidecar goes with it.
      const sidecars = p.files
        .filter((x) => /\.log(\.gz)?$/.test(x))
        .flatMap((x) => [`${x.replace(/\.gz$/, '')}.idx.json`, `${x.replace(/\.gz$/, '')}.blk.json`]);
      for (const f of [...new Set([...p.files, ...sidecars])]) {
        try {
          unlinkSync(join(this.dir, f));
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.#ctx?.reportError(err as Error);
        }
      }
      if (p.files.length > 0) fsyncDir(this.dir);
    }
  }

  #shouldRotate(incoming: number): boolean {
    if (this.#size === 0) return false;
    if (this.#maxBytes !== undefined && this.#size + incoming > this.#maxBytes) return true;
    if (this.#intervalMs !== undefined && Date.now() - this.#activeOpenedAt >= this.#intervalMs) return true;
    return false;
  }

  /**
   * The active file deleted or replaced under us (inode check). Deleted: we still hold its inode,
   * so its content is copied into a new active file and nothing is lost. Replaced or renamed (e.g.
   * by logrotate without SIGHUP): a new active file is opened. Either way a `notice` says so.
   */
  #checkActiveFile(): void {
    let current: number | undefined;
    try {
      current = statSync(this.path).ino;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (current === this.#ino) return;
    // The file changed under us; if its directory was deleted and recreated, so did our lock.
    this.#ensureLock();
    const old = fstatSync(this.#fd);
    const deleted = old.nlink === 0;
    const oldFd = this.#fd;
    if (current !== undefined && !deleted) {
      // Someone put another file in our place while ours lives on under another name.
      this.#openActive();
      closeSync(oldFd);
      this.#ctx?.record('notice', {
        reason: `${this.path} was replaced by another file; the previous file was kept under another name; writing continues in a new file`,
        details: { event: 'active-file-replaced', file: basename(this.path), lastSeq: this.#head?.seq ?? null },
      });
      return;
    }
    if (current !== undefined) {
      // Deleted and a stranger created a file of the same name: move it aside, keep our content.
      const aside = `${this.path}.foreign-${stampOf(new Date().toISOString())}`;
      renameSync(this.path, aside);
    }
    this.#openActive();
    let restored = 0;
    if (deleted) {
      const buf = Buffer.alloc(64 * 1024);
      let pos = 0;
      for (;;) {
        const n = readSync(oldFd, buf, 0, buf.length, pos);
        if (n <= 0) break;
        let off = 0;
        while (off < n) off += writeSync(this.#fd, buf, off, n - off);
        pos += n;
      }
      restored = pos;
      this.#size = pos;
      fsyncSync(this.#fd);
    }
    closeSync(oldFd);
    this.#ctx?.record('notice', {
      reason: deleted
        ? `${this.path} was deleted while open; its ${restored} bytes were restored from the open descriptor into a new file`
        : `${this.path} was moved away while open; writing continues in a new file`,
      details: {
        event: deleted ? 'active-file-deleted' : 'active-file-moved',
        file: basename(this.path),
        restoredBytes: restored,
        lastSeq: this.#head?.seq ?? null,
      },
    });
  }

  /**
   * Takes the lock again if it is no longer ours (the directory was deleted, or the lock file
   * removed): a second writer must not find the log free. Throws AuditLockedError when another
   * live process took it meanwhile: this write fails (and is retried) rather than fork the chain.
   */
  #ensureLock(): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    if (holdsLock(this.#lockPath)) return;
    acquireLock(this.#lockPath, this.#mode);
    this.#ctx?.record('notice', {
      reason: `${this.#lockPath} was gone while this process held it (directory deleted or lock removed); it was taken again`,
      details: { event: 'lock-retaken', file: basename(this.#lockPath) },
    });
  }

  #openActive(): void {
    this.#headFile.close();
    this.#fd = openSync(this.path, 'a+', this.#mode);
    fsyncDir(this.dir);
    const st = fstatSync(this.#fd);
    this.#ino = st.ino;
    this.#size = st.size;
    this.#activeFirstTs = undefined;
    this.#activeOpenedAt = Date.now();
  }

  /** Closes the active file into a segment and starts a new one; the chain just continues. */
  async #rotate(): Promise<void> {
    if (this.#size === 0) return;
    await fdatasyncAsync(this.#fd);
    const stamp = stampOf(this.#activeFirstTs ?? new Date().toISOString());
    let seg = `${this.baseName}-${stamp}.log`;
    for (let n = 1; existsSync(join(this.dir, seg)) || existsSync(join(this.dir, `${seg}.gz`)); n++)
      seg = `${this.baseName}-${stamp}-${n}.log`;
    // Each step can fail (EACCES, ENOSPC ...): leave things as they were, so the batch is retried
    // against a file descriptor that is still open and still ours.
    renameSync(this.path, join(this.dir, seg));
    const oldFd = this.#fd;
    try {
      this.#openActive();
    } catch (err) {
      try {
        renameSync(join(this.dir, seg), this.path);
      } catch {
        // the inode check before the next write will notice and record what happened
      }
      this.#fd = oldFd;
      throw err;
    }
    closeSync(oldFd);
    this.#writeHead();
    this.#ctx?.rotateDataKey?.(); // encryption at rest: each segment's entries under a data key of their own
    // The index is built from the plain segment, in the same pass that compresses it (indexer.ts).
    // A segment of this transport's own records only (retention, index notices) is not indexed:
    // its notice would fill the next segment, and so on.
    if (this.#index && this.#activeHasAppEntries) this.#segmentWork(seg, this.#indexSegment(seg));
    else if (this.#compress) this.#segmentWork(seg, this.#compressSegment(seg));
    // A segment holding only retention records must not trigger retention again: with tiny
    // segments that would feed itself (record -> rotation -> retention -> record ...).
    if ((this.#maxAgeMs !== undefined || this.#maxFiles !== undefined) && this.#activeHasAppEntries)
      // One retention run at a time: two overlapping runs could each describe, and one delete,
      // the same segment under the other.
      this.#inBackground((this.#retentionRun = this.#retentionRun.catch(() => undefined).then(() => this.#planRetention())));
    this.#activeHasAppEntries = false;
  }

  #inBackground(p: Promise<void>): Promise<void> {
    const tracked = p.catch((err) => this.#ctx?.reportError(err as Error)).finally(() => this.#background.delete(tracked));
    this.#background.add(tracked);
    return tracked;
  }

  /** Compression or indexing of a closed segment: retention waits for it (see #planRetention). */
  #segmentWork(seg: string, p: Promise<void>): void {
    this.#onSegments.set(
      seg,
      this.#inBackground(p).finally(() => this.#onSegments.delete(seg)),
    );
  }

  /** Indexes the closed segment (gzipping it in the same pass when asked) and commits the sidecar's SHA-256 in the chain. */
  async #indexSegment(seg: string): Promise<void> {
    const ctx = this.#ctx;
    if (!ctx) {
      // nowhere to commit it: an index nobody can trust is not written
      if (this.#compress) await this.#compressSegment(seg);
      return;
    }
    const done = await indexSegment(this.dir, seg, { compress: this.#compress, blockBytes: this.#blockBytes, mode: this.#mode });
    ctx.record('notice', { reason: `index of segment ${seg}`, details: { index: { segment: seg, sha256: done.sha256 } } });
    await done.finish();
  }

  async #compressSegment(seg: string): Promise<void> {
    const from = join(this.dir, seg);
    const tmp = `${from}.gz.tmp`;
    await pipeline(createReadStream(from), createGzip(), createWriteStream(tmp, { mode: this.#mode }));
    const fd = openSync(tmp, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    await rename(tmp, `${from}.gz`);
    fsyncDir(this.dir);
    await unlink(from);
  }

  /** Picks segments past the retention policy, records them in the chain, deletes them once that record is durable. */
  async #planRetention(): Promise<void> {
    if (!this.#ctx) return; // without a logger there is no chain to record the removal in: keep everything
    // A segment still being compressed or indexed is not deleted under that work (which would then
    // bring it back as .gz, or fail): retention looks once the segments closed so far are done,
    // and leaves to its next run any segment closed (and at work) meanwhile.
    await Promise.all([...this.#onSegments.values()]);
    const names = (await readdir(this.dir)).filter((f) => isSegmentOf(this.baseName, f)).sort();
    // A segment being compressed exists as .log and .log.gz for a moment: count it once.
    const segs = names.filter((f) => !(f.endsWith('.log') && names.includes(`${f}.gz`)));
    const busy = (f: string) => this.#onSegments.has(f.replace(/\.gz$/, ''));
    const already = new Set(this.#pendingDeletions.flatMap((p) => p.files));
    const policy = {
      ...(this.#maxAgeMs !== undefined ? { maxAgeMs: this.#maxAgeMs } : {}),
      ...(this.#maxFiles !== undefined ? { maxFiles: this.#maxFiles } : {}),
    };
    const doomed = await doomedSegments(this.dir, segs, policy, busy, already);
    if (doomed.size === 0) return;
    const removed: Removed[] = [];
    const files: string[] = [];
    for (const f of [...doomed].sort()) {
      if (already.has(f)) continue;
      let bounds: ReturnType<typeof segmentBounds>;
      try {
        bounds = segmentBounds(join(this.dir, f));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue; // removed meanwhile
        throw err;
      }
      const { first, last } = bounds;
      if (!first || !last) {
        this.#ctx.reportError(
          new AuditTransportError(this.name, `${this.name}: retention skipped ${f}: no readable entries to describe it`),
        );
        continue;
      }
      removed.push(...describeRemoved(f, first, last));
      files.push(f, ...(f.endsWith('.log') && names.includes(`${f}.gz`) ? [`${f}.gz`] : []));
    }
    if (files.length === 0) return;
    const through = advanceThrough(this.#through, removed);
    const rec = this.#ctx.record('retention', {
      reason: `retention policy removed ${removed.length} segment(s)`,
      details: { policy, removed, through },
    });
    if (rec) this.#pendingDeletions.push({ chain: rec.chain, seq: rec.seq, files });
  }

  /** Writes the head commitment (head-file.ts); a failure is reported, the batch stays written. */
  #writeHead(): void {
    const h = this.#head;
    if (!h) return;
    const now = Date.now();
    this.#headWrittenAt = now;
    try {
      this.#headFile.write(h, now);
    } catch (err) {
      this.#ctx?.reportError(err as Error);
    }
  }

  /** Reopens the active file (after logrotate moved it, or on SIGHUP) and records that it did. */
  reopen(): Promise<void> {
    return this.#exclusive(async () => {
      if (this.#closed) return;
      const oldFd = this.#fd;
      await fdatasyncAsync(oldFd).catch(() => undefined);
      const oldIno = this.#ino;
      this.#openActive();
      closeSync(oldFd);
      if (this.#ino !== oldIno) {
        this.#ctx?.record('notice', {
          reason: `${this.path} reopened (a new file)`,
          details: { event: 'reopened', file: basename(this.path), lastSeq: this.#head?.seq ?? null },
        });
      }
    });
  }

  flush(): Promise<void> {
    return this.#exclusive(async () => {
      if (this.#closed) return;
      if (this.#dirty) await this.#syncNow();
    });
  }

  /** Waits for background compression and retention, syncs, writes the head commitment, releases the lock. */
  close(): Promise<void> {
    return this.#exclusive(async () => {
      if (this.#closed) return;
      while (this.#background.size > 0) await Promise.allSettled([...this.#background]);
      if (this.#groupTimer) clearTimeout(this.#groupTimer);
      await fdatasyncAsync(this.#fd).catch(() => undefined);
      this.#runDeletions();
      this.#writeHead();
      this.#headFile.close();
      closeSync(this.#fd);
      this.#closed = true;
      releaseLock(this.#lockPath);
      if (this.#onSighup) process.off('SIGHUP', this.#onSighup);
    });
  }

  /** Index notices of closed segments are recorded while the logger still takes records (Transport.beforeClose). */
  async beforeClose(timeoutMs: number): Promise<void> {
    await this.idle(timeoutMs);
  }

  /** Resolves true once background compression and retention are done, false at the timeout (Transport.idle). */
  async idle(timeoutMs = 30_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.#background.size > 0) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((r) => {
        timer = setTimeout(r, left);
      });
      await Promise.race([Promise.allSettled([...this.#background]), timeout]);
      clearTimeout(timer);
    }
    return true;
  }

  /** Rotates now (for tools and tests; rotation otherwise follows the `rotate` options). */
  rotateNow(): Promise<void> {
    return this.#exclusive(() => this.#rotate());
  }
}

function firstTs(path: string): string | undefined {
  try {
    const fd = openSync(path, 'r');
    try {
      const buf = Buffer.alloc(64 * 1024);
      const n = readSync(fd, buf, 0, buf.length, 0);
      const nl = buf.subarray(0, n).indexOf(0x0a);
      const e = JSON.parse(buf.subarray(0, nl < 0 ? n : nl).toString('utf8')) as { ts?: unknown };
      return typeof e.ts === 'string' ? e.ts : undefined;
    } finally {
      closeSync(fd);
    }
  } catch {
    return undefined;
  }
}
