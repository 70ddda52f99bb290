/**
 * A disk spool for network transports (`@auditready/core/spool`, Node only): batches are written
 * to a directory and fsync'd — the durability point — and a background sender delivers them
 * oldest first, one at a time, retrying with backoff and jitter until the destination takes them.
 * A process that dies with batches spooled loses nothing: the next one on the same directory
 * replays them first and resumes the same chain from the spool's head (`resume()`).
 *
 * Used by @auditready/transport-http and @auditready/transport-kafka. When the spool is full,
 * `add()` throws and the logger's overflow policy applies (drop with a `gap` record, or fail closed).
 */
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { AuditConfigError, AuditTransportError } from './errors.js';
import type { ForwardSecureState, ForwardSecureStore } from './forward-secure.js';
import type { SealedRecord } from './hash-chain.js';
import { intOption } from './options.js';
import type { ResumePoint } from './transport.js';

export interface SpoolOptions {
  /** The spool directory (created 0700 if missing). One writer process per directory. */
  dir: string;
  /** Refuse new batches beyond this many bytes spooled. Default 256 MiB. */
  maxBytes?: number;
  /** Names the owner in errors, e.g. the transport's name. */
  name: string;
  /**
   * Delivers one batch; resolves when the destination has it. A rejection is retried with backoff
   * (an error carrying `retryAfterMs` delays the next try at least that long).
   */
  deliver(records: readonly SealedRecord[]): Promise<void>;
  /** Told about delivery failures (the first, then every 50th in a row). */
  reportError?(error: Error): void;
  /** Longest backoff between tries. Default 30000 ms. */
  maxBackoffMs?: number;
}

/** The idempotency key of a batch: `<chain>:<firstSeq>-<lastSeq>`. */
export function batchKey(records: readonly SealedRecord[]): string {
  const first = records[0] as SealedRecord;
  const last = records[records.length - 1] as SealedRecord;
  return `${first.entry.chain}:${first.entry.seq}-${last.entry.seq}`;
}

/** fsyncs a directory (so a created, renamed or deleted entry survives a crash); a no-op where a platform cannot. */
export function fsyncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // not supported here; the files themselves are synced
  }
}

const fileKey = (key: string) => key.replace(/[^A-Za-z0-9._-]/g, '_');

export class Spool {
  readonly dir: string;
  readonly #max: number;
  readonly #name: string;
  readonly #deliver: SpoolOptions['deliver'];
  readonly #report: SpoolOptions['reportError'];
  readonly #maxBackoff: number;
  #closed = false;
  #pumping: Promise<void> | undefined;
  #notBefore = 0;
  #lastError: string | undefined;
  #wake: (() => void) | undefined;
  #idleWaiters: (() => void)[] = [];
  /** Entries in the spool (read from the files at start, then counted). */
  #entries = 0;
  /** Batches spooled by this process, so delivery does not read and parse them back. */
  readonly #inMemory = new Map<string, readonly SealedRecord[]>();
  /**
   * The spool's batch files, oldest first, with their sizes: listed once at start, then kept up to
   * date (one process per directory), so spooling a batch during a long outage does not list and
   * stat every file already waiting.
   */
  readonly #index: string[] = [];
  readonly #sizes = new Map<string, number>();
  #bytes = 0;

  constructor(options: SpoolOptions) {
    if (options === null || typeof options !== 'object' || typeof options.dir !== 'string' || options.dir === '')
      throw new AuditConfigError('spool.dir must be a directory path', { path: 'spool.dir' });
    if (typeof options.deliver !== 'function') throw new AuditConfigError('spool: deliver must be a function', { path: 'deliver' });
    const max = intOption(options.maxBytes, 256 * 1024 * 1024, 1, 'spool.maxBytes');
    this.dir = options.dir;
    this.#max = max;
    this.#name = options.name;
    this.#deliver = options.deliver;
    this.#report = options.reportError;
    this.#maxBackoff = options.maxBackoffMs ?? 30_000;
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    for (const f of readdirSync(this.dir)
      .filter((name) => name.endsWith('.batch'))
      .sort()) {
      this.#index.push(f);
      const size = statSync(join(this.dir, f)).size;
      this.#sizes.set(f, size);
      this.#bytes += size;
      this.#entries += this.#readBatch(f).length;
    }
  }

  #readBatch(f: string): SealedRecord[] {
    const out: SealedRecord[] = [];
    for (const line of readFileSync(join(this.dir, f), 'utf8').split('\n')) {
      if (line === '') continue;
      let entry: unknown;
      try {
        entry = JSON.parse(line);
      } catch {
        // a damaged line is delivered as it is; the reader's verifier will say what it is
        entry = { chain: '', seq: -1, hash: '' };
      }
      out.push({ line, entry } as SealedRecord);
    }
    return out;
  }

  /** The newest entry spooled: the logger continues that chain, so readers see one chain across restarts. */
  resume(): ResumePoint | undefined {
    let head: ResumePoint | undefined;
    const consider = (c: { chain?: unknown; seq?: unknown; hash?: unknown } | undefined) => {
      if (!c || typeof c.chain !== 'string' || !Number.isSafeInteger(c.seq) || typeof c.hash !== 'string') return;
      if (!head || (c.chain === head.chain && (c.seq as number) > head.seq)) head = { chain: c.chain, seq: c.seq as number, hash: c.hash };
    };
    try {
      consider(JSON.parse(readFileSync(join(this.dir, 'head.json'), 'utf8')));
    } catch {
      // no head yet
    }
    const newest = this.#index[this.#index.length - 1];
    if (newest) {
      const batch = this.#readBatch(newest);
      consider(batch[batch.length - 1]?.entry as never);
    }
    return head;
  }

  /**
   * Spools a batch (fsync'd before this returns) and wakes the sender. The same batch again (the
   * logger retrying) is not spooled twice. Throws AuditTransportError when the spool is full.
   */
  add(records: readonly SealedRecord[]): void {
    if (this.#closed) throw new AuditTransportError(this.#name, 'spool closed');
    if (records.length === 0) return;
    const key = fileKey(batchKey(records));
    if (this.#index.some((f) => f.endsWith(`-${key}.batch`))) {
      this.kick();
      return;
    }
    if (this.#bytes >= this.#max) {
      throw new AuditTransportError(this.#name, `spool full (${this.#max} bytes in ${this.dir}): the logger's overflow policy applies`);
    }
    const last = this.#index[this.#index.length - 1];
    // Names sort in delivery order: a counter, zero-padded, started from the clock for a fresh spool.
    const n = last ? Number(last.slice(0, 16)) + 1 : Date.now() * 1000;
    const name = `${String(n).padStart(16, '0')}-${key}.batch`;
    const tmp = join(this.dir, `${name}.tmp`);
    const text = `${records.map((r) => r.line).join('\n')}\n`;
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, join(this.dir, name));
    const size = Buffer.byteLength(text);
    this.#index.push(name);
    this.#sizes.set(name, size);
    this.#bytes += size;
    this.#entries += records.length;
    this.#inMemory.set(name, records);
    const head = (records[records.length - 1] as SealedRecord).entry;
    writeFileSync(join(this.dir, 'head.json.tmp'), JSON.stringify({ chain: head.chain, seq: head.seq, hash: head.hash }), { mode: 0o600 });
    renameSync(join(this.dir, 'head.json.tmp'), join(this.dir, 'head.json'));
    fsyncDir(this.dir);
    this.kick();
  }

  /** Starts the background sender unless it runs already (or wakes it from its backoff). */
  kick(): void {
    if (this.#closed) return;
    if (this.#pumping) {
      return;
    }
    this.#pumping = this.#pump().finally(() => {
      this.#pumping = undefined;
      for (const w of this.#idleWaiters.splice(0)) w();
    });
  }

  async #pump(): Promise<void> {
    let failures = 0;
    while (!this.#closed && this.#index.length > 0) {
      try {
        await this.#drain();
        failures = 0;
        this.#lastError = undefined;
      } catch (err) {
        failures++;
        const e = err instanceof Error ? err : new AuditTransportError(this.#name, `${this.#name}: ${String(err)}`);
        this.#lastError = e.message;
        if (failures === 1 || failures % 50 === 0) this.#report?.(e);
        const retryAfter = (err as { retryAfterMs?: unknown }).retryAfterMs;
        if (typeof retryAfter === 'number' && retryAfter > 0) this.#notBefore = Date.now() + retryAfter;
        if (this.#closed) break;
        const exp = Math.min(this.#maxBackoff, 100 * 2 ** Math.min(failures - 1, 20));
        const delay = Math.max(exp / 2 + Math.random() * (exp / 2), this.#notBefore - Date.now());
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, delay);
          t.unref?.(); // an outage must not keep the process alive: the spool waits for the next one
          this.#wake = () => {
            clearTimeout(t);
            resolve();
          };
        });
        this.#wake = undefined;
      }
    }
  }

  async #drain(): Promise<void> {
    for (const f of [...this.#index]) {
      if (this.#closed) return;
      const records = this.#inMemory.get(f) ?? this.#readBatch(f);
      if (records.length > 0) {
        const wait = this.#notBefore - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        await this.#deliver(records);
      }
      unlinkSync(join(this.dir, f));
      this.#index.shift(); // f: delivery is oldest first, and only this loop removes files
      this.#bytes -= this.#sizes.get(f) ?? 0;
      this.#sizes.delete(f);
      this.#inMemory.delete(f);
      this.#entries = Math.max(0, this.#entries - records.length);
    }
  }

  /** Tries to deliver what is spooled now (wakes a sender waiting out its backoff). */
  flush(): void {
    this.#wake?.();
    this.kick();
  }

  /** Resolves true when the spool is empty (everything delivered), false at the timeout. */
  async idle(timeoutMs = 30_000): Promise<boolean> {
    const until = Date.now() + timeoutMs;
    while (this.#index.length > 0 || this.#pumping) {
      if (Date.now() > until || this.#closed) return this.#index.length === 0 && !this.#pumping;
      this.kick();
      await new Promise<void>((r) => {
        const t = setTimeout(r, 20);
        this.#idleWaiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
    return true;
  }

  /** Stops the sender after the batch in flight; what is still spooled is delivered by the next process. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#wake?.();
    await this.#pumping;
  }

  /** Batches waiting. */
  batches(): number {
    return this.#index.length;
  }

  health(): { status: 'ok' | 'retrying'; lastError?: string; pending: number } {
    const pending = this.#entries;
    return {
      status: this.#lastError !== undefined && pending > 0 ? 'retrying' : 'ok',
      ...(this.#lastError !== undefined ? { lastError: this.#lastError } : {}),
      pending,
    };
  }
}

/**
 * A forward-secure chain's key state in a file (chain.forwardSecure.store): JSON holding only the
 * current epoch's key, mode 0600, replaced atomically (temporary file, fsync, rename, directory
 * fsync) before the key is used, so an evolved key never coexists on disk with the one it replaced.
 */
export function fileKeyState(path: string): ForwardSecureStore {
  if (typeof path !== 'string' || path === '') throw new AuditConfigError('fileKeyState(path): a file path', { path: 'path' });
  return {
    load: () => {
      let text: string;
      try {
        text = readFileSync(path, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw new AuditConfigError(`${path}: cannot read the forward-secure key state: ${(err as Error).message}`);
      }
      try {
        return JSON.parse(text) as ForwardSecureState;
      } catch {
        throw new AuditConfigError(`${path}: the forward-secure key state is not JSON (damaged)`);
      }
    },
    save: (state) => {
      const tmp = `${path}.tmp-${process.pid}`;
      const fd = openSync(tmp, 'w', 0o600);
      try {
        writeSync(fd, `${JSON.stringify(state)}\n`);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, path);
      fsyncDir(dirname(path));
    },
  };
}
