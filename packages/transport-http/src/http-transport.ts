/**
 * The HTTP transport (docs/transport-http.md).
 *
 * Each logger batch is first written to a spool directory (fsync'd) when one is configured, then
 * POSTed, oldest spooled batch first, one request at a time, so batches of a chain arrive in
 * order. Each request carries `Idempotency-Key: <chain>:<firstSeq>-<lastSeq>`, so a receiver can
 * drop exact re-sends. 2xx: delivered (the spool file is deleted). Network errors, timeouts, 408,
 * 429 and 5xx: rejected, and retried by the logger with backoff (Retry-After is honoured). Any
 * other 4xx is permanent: the lines go to a dead-letter file, onError and health() say so, and
 * delivery moves on.
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
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import {
  AuditConfigError,
  AuditTransportError,
  type ResumePoint,
  type SealedRecord,
  type Transport,
  type TransportContext,
} from '@auditready/core';
import { encode, type HttpFormat } from './formats.js';

export interface HttpTransportOptions {
  url: string;
  /** Static headers (e.g. a tenant header). */
  headers?: Record<string, string>;
  /** Credentials: a bearer token, basic auth, or a function returning headers (called per request). */
  auth?:
    | { bearer: string }
    | { basic: { username: string; password: string } }
    | (() => Record<string, string> | Promise<Record<string, string>>);
  /** gzip request bodies. Default false. */
  gzip?: boolean;
  /** Per-request timeout (connect + response). Default 10000 ms. */
  timeoutMs?: number;
  /** Largest request body before a batch is split. Default 1 MiB. */
  maxBodyBytes?: number;
  /** TLS for https URLs. Certificate checks stay on unless you turn them off. */
  tls?: { ca?: string | Buffer; cert?: string | Buffer; key?: string | Buffer; rejectUnauthorized?: boolean; servername?: string };
  format?: HttpFormat;
  /** Keep unacknowledged batches on disk, so restarts and long outages lose nothing. */
  spool?: { dir: string; maxBytes?: number };
  /** Where permanently refused batches go (their lines, unchanged). Default `<spool.dir>/dead-letter.ndjson`, else required. */
  deadLetterFile?: string;
  transportName?: string;
}

interface Batch {
  records: readonly SealedRecord[];
  key: string;
  /** Spool file name, when spooled. */
  file?: string;
}

class RetryableError extends Error {
  constructor(
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

function keyOf(records: readonly SealedRecord[]): string {
  const first = records[0] as SealedRecord;
  const last = records[records.length - 1] as SealedRecord;
  return `${first.entry.chain}:${first.entry.seq}-${last.entry.seq}`;
}

function parseRetryAfter(v: string | undefined): number | undefined {
  if (!v) return undefined;
  const s = Number(v);
  if (Number.isFinite(s) && s >= 0) return Math.min(s * 1000, 300_000);
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : Math.max(0, Math.min(t - Date.now(), 300_000));
}

function fsyncDir(dir: string): void {
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

export function createHttpTransport(options: HttpTransportOptions): HttpTransport {
  return new HttpTransport(options);
}

export class HttpTransport implements Transport {
  readonly name: string;
  readonly #url: URL;
  readonly #headers: Record<string, string>;
  readonly #auth: HttpTransportOptions['auth'];
  readonly #gzip: boolean;
  readonly #timeoutMs: number;
  readonly #maxBodyBytes: number;
  readonly #format: HttpFormat;
  readonly #spoolDir: string | undefined;
  readonly #spoolMax: number;
  readonly #deadLetter: string;
  readonly #agent: HttpAgent | HttpsAgent;
  readonly #tls: HttpTransportOptions['tls'];
  #ctx: TransportContext | undefined;
  #notBefore = 0;
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;
  #pumping = false;
  #lastError: string | undefined;
  /** The last permanent refusal (dead letter), shown by health() until the next one. */
  #lastPermanent: string | undefined;
  #wake: (() => void) | undefined;
  #idleWaiters: (() => void)[] = [];
  /** Entries in the spool (counted when spooled and delivered; read from the files at start). */
  #spooledEntries = 0;
  /** Batches spooled by this process, so delivery does not read and parse them back. */
  readonly #inMemory = new Map<string, readonly SealedRecord[]>();
  readonly stats = { requests: 0, delivered: 0, retries: 0, deadLettered: 0 };

  constructor(options: HttpTransportOptions) {
    if (options === null || typeof options !== 'object')
      throw new AuditConfigError('createHttpTransport(options): options must be an object');
    let url: URL;
    try {
      url = new URL(options.url);
    } catch {
      throw new AuditConfigError('url must be an absolute http(s) URL', { path: 'url' });
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new AuditConfigError('url must be http: or https:', { path: 'url' });
    this.#url = url;
    this.#headers = { ...options.headers };
    this.#auth = options.auth;
    if (this.#auth !== undefined && typeof this.#auth !== 'function' && !('bearer' in this.#auth) && !('basic' in this.#auth)) {
      throw new AuditConfigError('auth must be { bearer }, { basic: { username, password } } or a function', { path: 'auth' });
    }
    this.#gzip = options.gzip === true;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    if (!Number.isFinite(this.#timeoutMs) || this.#timeoutMs <= 0)
      throw new AuditConfigError('timeoutMs must be a positive number', { path: 'timeoutMs' });
    this.#maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;
    this.#format = options.format ?? { type: 'ndjson' };
    if (!['ndjson', 'elasticsearch', 'splunk-hec'].includes(this.#format.type))
      throw new AuditConfigError('format.type must be ndjson, elasticsearch or splunk-hec', { path: 'format' });
    if (this.#format.type === 'elasticsearch' && !this.#format.index)
      throw new AuditConfigError('format.index is required for elasticsearch', { path: 'format.index' });
    this.#spoolDir = options.spool?.dir;
    this.#spoolMax = options.spool?.maxBytes ?? 256 * 1024 * 1024;
    if (this.#spoolDir) {
      mkdirSync(this.#spoolDir, { recursive: true, mode: 0o700 });
      for (const f of this.#spoolFiles())
        this.#spooledEntries += readFileSync(join(this.#spoolDir, f), 'utf8')
          .split('\n')
          .filter((l) => l !== '').length;
    }
    const dl = options.deadLetterFile ?? (this.#spoolDir ? join(this.#spoolDir, 'dead-letter.ndjson') : undefined);
    if (!dl)
      throw new AuditConfigError('deadLetterFile is required when there is no spool: refused batches are never dropped', {
        path: 'deadLetterFile',
      });
    this.#deadLetter = dl;
    this.#tls = options.tls;
    this.#agent =
      url.protocol === 'https:' ? new HttpsAgent({ keepAlive: true, ...(options.tls ?? {}) }) : new HttpAgent({ keepAlive: true });
    this.name = options.transportName ?? `http:${url.origin}${url.pathname}`;
  }

  attach(context: TransportContext): void {
    this.#ctx = context;
    // Batches spooled by an earlier process go first, even if nothing new is recorded.
    if (this.#spoolFiles().length > 0) this.#kick();
  }

  /** The newest entry in the spool: the logger continues that chain, so the receiver sees one chain across restarts. */
  resume(): ResumePoint | undefined {
    if (!this.#spoolDir) return undefined;
    let head: ResumePoint | undefined;
    const consider = (c: { chain?: unknown; seq?: unknown; hash?: unknown } | undefined) => {
      if (!c || typeof c.chain !== 'string' || !Number.isSafeInteger(c.seq) || typeof c.hash !== 'string') return;
      if (!head || (c.chain === head.chain && (c.seq as number) > head.seq)) head = { chain: c.chain, seq: c.seq as number, hash: c.hash };
    };
    try {
      consider(JSON.parse(readFileSync(join(this.#spoolDir, 'head.json'), 'utf8')));
    } catch {
      // no head yet
    }
    const files = this.#spoolFiles();
    const newest = files[files.length - 1];
    if (newest) {
      const lines = readFileSync(join(this.#spoolDir, newest), 'utf8').trim().split('\n');
      try {
        consider(JSON.parse(lines[lines.length - 1] as string));
      } catch {
        // a damaged spool file is replayed as is; the receiver's verifier will say what it is
      }
    }
    return head;
  }

  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  #spoolFiles(): string[] {
    if (!this.#spoolDir) return [];
    return readdirSync(this.#spoolDir)
      .filter((f) => f.endsWith('.batch'))
      .sort();
  }

  #spoolBytes(): number {
    if (!this.#spoolDir) return 0;
    let n = 0;
    for (const f of this.#spoolFiles()) n += statSync(join(this.#spoolDir, f)).size;
    return n;
  }

  /** Spool file names sort in delivery order: a global counter, zero-padded. */
  #nextSpoolName(key: string): string {
    const files = this.#spoolFiles();
    const last = files[files.length - 1];
    const n = last ? Number(last.slice(0, 16)) + 1 : Date.now() * 1000;
    return `${String(n).padStart(16, '0')}-${key.replace(/[^A-Za-z0-9._-]/g, '_')}.batch`;
  }

  #spool(records: readonly SealedRecord[], key: string): string | undefined {
    const dir = this.#spoolDir;
    if (!dir) return undefined;
    const existing = this.#spoolFiles().find((f) => f.endsWith(`-${key.replace(/[^A-Za-z0-9._-]/g, '_')}.batch`));
    if (existing) return existing; // the logger retrying the same batch
    if (this.#spoolBytes() >= this.#spoolMax) {
      throw new AuditTransportError(this.name, `spool full (${this.#spoolMax} bytes in ${dir}): the logger's overflow policy applies`);
    }
    const name = this.#nextSpoolName(key);
    const tmp = join(dir, `${name}.tmp`);
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeSync(fd, `${records.map((r) => r.line).join('\n')}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, join(dir, name));
    this.#spooledEntries += records.length;
    this.#inMemory.set(name, records); // delivered from memory; the file is for crashes
    const last = (records[records.length - 1] as SealedRecord).entry;
    writeFileSync(join(dir, 'head.json.tmp'), JSON.stringify({ chain: last.chain, seq: last.seq, hash: last.hash }), { mode: 0o600 });
    renameSync(join(dir, 'head.json.tmp'), join(dir, 'head.json'));
    fsyncDir(dir);
    return name;
  }

  /**
   * With a spool, a batch is durable once it is fsync'd there: write() resolves then, and a
   * background sender delivers the spool in order, with its own backoff (honouring Retry-After).
   * Without one, write() resolves when the receiver acknowledged the batch.
   */
  write(batch: readonly SealedRecord[]): Promise<void> {
    if (this.#closed) return Promise.reject(new Error(`${this.name}: closed`));
    if (batch.length === 0) return Promise.resolve();
    if (this.#spoolDir) {
      this.#spool(batch, keyOf(batch));
      this.#kick();
      return Promise.resolve();
    }
    return this.#exclusive(() => this.#deliver({ records: batch, key: keyOf(batch) }));
  }

  /** Starts the background sender unless it runs already. */
  #kick(): void {
    if (this.#pumping || this.#closed) return;
    this.#pumping = true;
    void this.#exclusive(async () => {
      let failures = 0;
      while (!this.#closed && this.#spoolFiles().length > 0) {
        try {
          await this.#drainSpool();
          failures = 0;
          this.#lastError = undefined;
        } catch (err) {
          failures++;
          this.#lastError = (err as Error).message;
          if (failures === 1 || failures % 50 === 0) this.#ctx?.reportError(err as Error);
          if (this.#closed) break;
          const exp = Math.min(30_000, 100 * 2 ** Math.min(failures - 1, 20));
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
    }).finally(() => {
      this.#pumping = false;
      for (const w of this.#idleWaiters.splice(0)) w();
    });
  }

  async #drainSpool(): Promise<void> {
    const dir = this.#spoolDir as string;
    for (const f of this.#spoolFiles()) {
      const records =
        this.#inMemory.get(f) ??
        readFileSync(join(dir, f), 'utf8')
          .split('\n')
          .filter((l) => l !== '')
          .map((line) => ({ line, entry: JSON.parse(line) }) as SealedRecord);
      if (records.length === 0) {
        unlinkSync(join(dir, f));
        continue;
      }
      await this.#deliver({ records, key: keyOf(records), file: f });
      unlinkSync(join(dir, f));
      this.#inMemory.delete(f);
      this.#spooledEntries = Math.max(0, this.#spooledEntries - records.length);
    }
  }

  /** Sends one batch (split by maxBodyBytes); resolves when acknowledged or dead-lettered. */
  async #deliver(batch: Batch): Promise<void> {
    for (const part of this.#split(batch.records)) {
      const wait = this.#notBefore - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      try {
        await this.#post(part);
        this.stats.delivered += part.length;
      } catch (err) {
        if (err instanceof RetryableError) {
          this.stats.retries++;
          if (err.retryAfterMs !== undefined) this.#notBefore = Date.now() + err.retryAfterMs;
          throw new AuditTransportError(this.name, err.message, { cause: err });
        }
        this.#deadLetterBatch(part, err as Error);
      }
    }
  }

  #split(records: readonly SealedRecord[]): SealedRecord[][] {
    const parts: SealedRecord[][] = [];
    let cur: SealedRecord[] = [];
    let size = 0;
    for (const r of records) {
      const n = r.line.length + 1;
      if (cur.length > 0 && size + n > this.#maxBodyBytes) {
        parts.push(cur);
        cur = [];
        size = 0;
      }
      cur.push(r);
      size += n;
    }
    if (cur.length > 0) parts.push(cur);
    return parts;
  }

  #deadLetterBatch(part: readonly SealedRecord[], err: Error): void {
    const fd = openSync(this.#deadLetter, 'a', 0o600);
    try {
      writeSync(fd, `${part.map((r) => r.line).join('\n')}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    this.stats.deadLettered += part.length;
    this.#lastPermanent = `dead-lettered ${part.length} entries (${err.message.slice(0, 200)}) to ${this.#deadLetter}`;
    // The receiver will never have these: the chain says so (a declared gap), and why.
    const first = (part[0] as SealedRecord).entry;
    const last = (part[part.length - 1] as SealedRecord).entry;
    this.#ctx?.record('gap', {
      reason: `transport ${this.name} dead-lettered ${part.length} entries: ${err.message.slice(0, 300)}`,
      details: { transport: this.name, from: first.seq, to: last.seq, count: part.length, policy: 'dead-letter', file: this.#deadLetter },
    });
    const e = new AuditTransportError(
      this.name,
      `batch ${keyOf(part)} refused permanently (${err.message}); its ${part.length} entries are in ${this.#deadLetter}`,
      { cause: err },
    );
    this.#ctx?.reportError(e);
  }

  async #authHeaders(): Promise<Record<string, string>> {
    const a = this.#auth;
    if (!a) return {};
    if (typeof a === 'function') return a();
    if ('bearer' in a) return { authorization: `Bearer ${a.bearer}` };
    return { authorization: `Basic ${Buffer.from(`${a.basic.username}:${a.basic.password}`).toString('base64')}` };
  }

  async #post(part: readonly SealedRecord[]): Promise<void> {
    const { body, contentType } = encode(part, this.#format);
    let payload: Buffer = Buffer.from(body, 'utf8');
    const headers: Record<string, string> = {
      ...this.#headers,
      ...(await this.#authHeaders()),
      'content-type': contentType,
      'idempotency-key': keyOf(part),
      'x-auditready-entries': String(part.length),
    };
    if (this.#gzip) {
      payload = gzipSync(payload);
      headers['content-encoding'] = 'gzip';
    }
    headers['content-length'] = String(payload.length);
    this.stats.requests++;
    const res = await new Promise<{ status: number; retryAfter?: string; text: string }>((resolve, reject) => {
      const send = this.#url.protocol === 'https:' ? httpsRequest : httpRequest;
      const req = send(this.#url, {
        method: 'POST',
        headers,
        agent: this.#agent,
        timeout: this.#timeoutMs,
        ...(this.#tls?.servername ? { servername: this.#tls.servername } : {}),
      });
      const timer = setTimeout(() => req.destroy(new RetryableError(`no response within ${this.#timeoutMs} ms`)), this.#timeoutMs);
      req.on('timeout', () => req.destroy(new RetryableError(`timed out after ${this.#timeoutMs} ms`)));
      req.on('error', (err) => {
        clearTimeout(timer);
        reject(err instanceof RetryableError ? err : new RetryableError(`network error: ${err.message}`));
      });
      req.on('response', (r: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let size = 0;
        r.on('data', (c: Buffer) => {
          if (size < 64 * 1024) chunks.push(c);
          size += c.length;
        });
        r.on('error', (err) => {
          clearTimeout(timer);
          reject(new RetryableError(`response error: ${err.message}`));
        });
        r.on('end', () => {
          clearTimeout(timer);
          resolve({
            status: r.statusCode ?? 0,
            retryAfter: r.headers['retry-after'],
            text: Buffer.concat(chunks).toString('utf8').slice(0, 2000),
          });
        });
      });
      req.end(payload);
    });
    if (res.status >= 200 && res.status < 300) {
      if (this.#format.type === 'elasticsearch' && /"errors"\s*:\s*true/.test(res.text))
        throw new Error(`elasticsearch reported item errors: ${res.text.slice(0, 300)}`);
      return;
    }
    if (res.status === 408 || res.status === 429 || res.status >= 500) {
      throw new RetryableError(`HTTP ${res.status}${res.text ? `: ${res.text.slice(0, 200)}` : ''}`, parseRetryAfter(res.retryAfter));
    }
    throw new Error(`HTTP ${res.status}${res.text ? `: ${res.text.slice(0, 200)}` : ''}`);
  }

  /** Tries to deliver what is spooled now (wakes a sender waiting out its backoff). */
  async flush(): Promise<void> {
    this.#wake?.();
    this.#kick();
  }

  /** Resolves when the spool is empty (everything delivered), or false at the timeout. */
  async idle(timeoutMs = 30_000): Promise<boolean> {
    const until = Date.now() + timeoutMs;
    while (this.#spoolFiles().length > 0 || this.#pumping) {
      if (Date.now() > until) return false;
      this.#kick();
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

  /** Stops the sender; what is still spooled is delivered by the next process on this spool. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#wake?.();
    await this.#queue;
    this.#agent.destroy();
  }

  health(): { status: 'ok' | 'retrying'; lastError?: string; pending?: number } {
    const pending = this.#spooledEntries;
    const lastError = this.#lastError ?? this.#lastPermanent;
    return { status: this.#lastError !== undefined && pending > 0 ? 'retrying' : 'ok', ...(lastError ? { lastError } : {}), pending };
  }

  /** Number of batches waiting in the spool. */
  spooled(): number {
    return this.#spoolFiles().length;
  }
}
