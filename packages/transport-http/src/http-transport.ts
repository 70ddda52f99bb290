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
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import {
  AuditClosedError,
  AuditConfigError,
  AuditTransportError,
  checkOptionsObject,
  positiveOption,
  type ResumePoint,
  type SealedRecord,
  type Transport,
  type TransportContext,
} from '@auditready/core';
import { batchKey as keyOf, Spool } from '@auditready/core/spool';
import { encode, HTTP_FORMATS, type HttpFormat } from './formats.js';

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
}

/** A failure worth retrying (network, timeout, 408/429/5xx), with the collector's Retry-After. */
class RetryableError extends AuditTransportError {
  readonly retryAfterMs: number | undefined;
  constructor(transport: string, message: string, retryAfterMs?: number) {
    super(transport, message);
    this.retryAfterMs = retryAfterMs;
  }
}

function parseRetryAfter(v: string | undefined): number | undefined {
  if (!v) return undefined;
  const s = Number(v);
  if (Number.isFinite(s) && s >= 0) return Math.min(s * 1000, 300_000);
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : Math.max(0, Math.min(t - Date.now(), 300_000));
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
  readonly #spool: Spool | undefined;
  readonly #deadLetter: string;
  readonly #agent: HttpAgent | HttpsAgent;
  readonly #tls: HttpTransportOptions['tls'];
  #ctx: TransportContext | undefined;
  #notBefore = 0;
  /** The last entry a collector acknowledged (or that was dead-lettered): a retried batch resumes after it. */
  #acked: { chain: string; seq: number } | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;
  /** The last permanent refusal (dead letter), shown by health() until the next one. */
  #lastPermanent: string | undefined;
  readonly stats = { requests: 0, delivered: 0, retries: 0, deadLettered: 0 };

  constructor(options: HttpTransportOptions) {
    checkOptionsObject(options, 'createHttpTransport');
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
    this.#timeoutMs = positiveOption(options.timeoutMs, 10_000, 'timeoutMs');
    this.#maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;
    this.#format = options.format ?? { type: 'ndjson' };
    if (!(HTTP_FORMATS as readonly string[]).includes(this.#format.type))
      throw new AuditConfigError(`format.type must be one of ${HTTP_FORMATS.join(', ')}`, { path: 'format' });
    if (this.#format.type === 'elasticsearch' && !this.#format.index)
      throw new AuditConfigError('format.index is required for elasticsearch', { path: 'format.index' });
    this.name = options.transportName ?? `http:${url.origin}${url.pathname}`;
    this.#spool = options.spool
      ? new Spool({
          dir: options.spool.dir,
          ...(options.spool.maxBytes !== undefined ? { maxBytes: options.spool.maxBytes } : {}),
          name: this.name,
          deliver: (records) => this.#deliver({ records, key: keyOf(records) }),
          reportError: (err) => this.#ctx?.reportError(err),
        })
      : undefined;
    const dl = options.deadLetterFile ?? (this.#spool ? join(this.#spool.dir, 'dead-letter.ndjson') : undefined);
    if (!dl)
      throw new AuditConfigError('deadLetterFile is required when there is no spool: refused batches are never dropped', {
        path: 'deadLetterFile',
      });
    this.#deadLetter = dl;
    this.#tls = options.tls;
    this.#agent =
      url.protocol === 'https:' ? new HttpsAgent({ keepAlive: true, ...(options.tls ?? {}) }) : new HttpAgent({ keepAlive: true });
  }

  attach(context: TransportContext): void {
    this.#ctx = context;
    // Batches spooled by an earlier process go first, even if nothing new is recorded.
    this.#spool?.kick();
  }

  /** The newest entry in the spool: the logger continues that chain, so the receiver sees one chain across restarts. */
  resume(): ResumePoint | undefined {
    return this.#spool?.resume();
  }

  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /**
   * With a spool, a batch is durable once it is fsync'd there: write() resolves then, and a
   * background sender delivers the spool in order, with its own backoff (honouring Retry-After).
   * Without one, write() resolves when the receiver acknowledged the batch.
   */
  write(batch: readonly SealedRecord[]): Promise<void> {
    if (this.#closed) return Promise.reject(new AuditClosedError(`${this.name}: closed`));
    if (batch.length === 0) return Promise.resolve();
    if (this.#spool) {
      this.#spool.add(batch);
      return Promise.resolve();
    }
    return this.#exclusive(() => this.#deliver({ records: batch, key: keyOf(batch) }));
  }

  /**
   * Sends one batch (split by maxBodyBytes); resolves when acknowledged or dead-lettered. A batch
   * retried after a partial failure resumes after its last acknowledged part: delivery progresses
   * under partial failure, and only a part whose acknowledgement was lost is sent again (the
   * collector drops it by its idempotency key).
   */
  async #deliver(batch: Batch): Promise<void> {
    const done = this.#acked;
    const records = done ? batch.records.filter((r) => r.entry.chain !== done.chain || r.entry.seq > done.seq) : batch.records;
    for (const part of this.#split(records)) {
      const wait = this.#notBefore - Date.now();
      // Unref'd, as retry timers are: a collector asking for a long pause must not keep the process alive.
      if (wait > 0) await new Promise((r) => setTimeout(r, wait).unref());
      try {
        await this.#post(part);
        this.stats.delivered += part.length;
        const last = (part[part.length - 1] as SealedRecord).entry;
        this.#acked = { chain: last.chain, seq: last.seq };
      } catch (err) {
        if (err instanceof RetryableError) {
          this.stats.retries++;
          if (err.retryAfterMs !== undefined) this.#notBefore = Date.now() + err.retryAfterMs;
          throw Object.assign(new AuditTransportError(this.name, err.message, { cause: err }), { retryAfterMs: err.retryAfterMs });
        }
        this.#deadLetterBatch(part, err as Error);
        const last = (part[part.length - 1] as SealedRecord).entry;
        this.#acked = { chain: last.chain, seq: last.seq };
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
      const timer = setTimeout(
        () => req.destroy(new RetryableError(this.name, `no response within ${this.#timeoutMs} ms`)),
        this.#timeoutMs,
      );
      req.on('timeout', () => req.destroy(new RetryableError(this.name, `timed out after ${this.#timeoutMs} ms`)));
      req.on('error', (err) => {
        clearTimeout(timer);
        reject(err instanceof RetryableError ? err : new RetryableError(this.name, `network error: ${err.message}`));
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
          reject(new RetryableError(this.name, `response error: ${err.message}`));
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
        throw new AuditTransportError(this.name, `elasticsearch reported item errors: ${res.text.slice(0, 300)}`);
      return;
    }
    if (res.status === 408 || res.status === 429 || res.status >= 500) {
      throw new RetryableError(
        this.name,
        `HTTP ${res.status}${res.text ? `: ${res.text.slice(0, 200)}` : ''}`,
        parseRetryAfter(res.retryAfter),
      );
    }
    throw new AuditTransportError(this.name, `HTTP ${res.status}${res.text ? `: ${res.text.slice(0, 200)}` : ''}`);
  }

  /** Tries to deliver what is spooled now (wakes a sender waiting out its backoff). */
  async flush(): Promise<void> {
    this.#spool?.flush();
  }

  /** Resolves when the spool is empty (everything delivered), or false at the timeout. */
  async idle(timeoutMs = 30_000): Promise<boolean> {
    return this.#spool ? this.#spool.idle(timeoutMs) : true;
  }

  /** Stops the sender; what is still spooled is delivered by the next process on this spool. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#spool?.close();
    await this.#queue;
    this.#agent.destroy();
  }

  health(): { status: 'ok' | 'retrying'; lastError?: string; pending?: number } {
    const h = this.#spool?.health() ?? { status: 'ok' as const, pending: 0 };
    const lastError = h.lastError ?? this.#lastPermanent;
    return { status: h.status, ...(lastError ? { lastError } : {}), pending: h.pending };
  }

  /** Number of batches waiting in the spool. */
  spooled(): number {
    return this.#spool?.batches() ?? 0;
  }
}
