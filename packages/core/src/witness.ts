/**
 * The logger's witness client (C2SP tlog-witness, docs/witnesses.md). After each checkpoint, it
 * asks every configured witness to cosign it: POST <url>/add-checkpoint with `old <size>`, the
 * consistency proof from the size that witness last cosigned, a blank line and the signed
 * checkpoint. A 409 answer names the witness's size (text/x.tlog.size): the request goes again with
 * the right proof. 403/404/422 say the witness does not know this log or key, or refuses the proof
 * (a history that does not extend what it saw): reported, retried only with a later checkpoint.
 * Timeouts and 5xx retry with backoff. Nothing here blocks the app; the cosignatures gathered are
 * handed to the checkpointer, which seals them into the next checkpoint record.
 */

import { toBase64 } from './base64.js';
import { type AuditHookError, AuditTransportError } from './errors.js';
import { CompactRange, type Hash } from './merkle.js';
import { consistencyProofFrom } from './merkle-state.js';
import { type NoteVerifier, openNote, parseWitnessKey } from './note.js';
import { errorMessage } from './util.js';

export interface WitnessOptions {
  /** The witness's base URL; `add-checkpoint` is appended. */
  url: string;
  /** Its cosignature verifier key (`name+id+base64(0x04 || key)`, as litewitness prints it). */
  key: string;
}

export interface WitnessHealth {
  name: string;
  url: string;
  status: 'ok' | 'behind' | 'refusing' | 'unreachable';
  /** The size this witness last cosigned. */
  cosigned?: number;
  /** When its newest cosignature arrived (ISO 8601): the age an SRE alerts on. */
  cosignedAt?: string;
  lastError?: string;
}

interface CutCheckpoint {
  size: number;
  note: string;
}

/** Leaves kept for consistency proofs to a witness that fell behind. Past it, a witness that far behind cannot be caught up. */
const MAX_LEAVES = 1_000_000;

class Witness {
  readonly url: string;
  readonly key: NoteVerifier;
  /** The size the witness last cosigned (or told us in a 409); 0 before anything. */
  size = 0;
  cosigned: number | undefined;
  cosignedAt: string | undefined;
  status: WitnessHealth['status'] = 'ok';
  lastError: string | undefined;
  /** A request is in flight, or scheduled (a timer). */
  busy = false;
  scheduled = false;
  /** Set by a failure that retries: the delay before the next attempt. */
  retryIn: number | undefined;
  failures = 0;
  timer: ReturnType<typeof setTimeout> | undefined;

  constructor(o: WitnessOptions) {
    this.url = `${o.url.replace(/\/+$/, '')}/add-checkpoint`;
    this.key = parseWitnessKey(o.key);
  }
}

export class Witnessing {
  readonly #witnesses: Witness[];
  readonly #report: (e: AuditHookError | AuditTransportError) => void;
  readonly #timeoutMs: number;
  /** The tree at the oldest size a witness may still need, and the leaves after it. */
  #base = new CompactRange();
  #leaves: Hash[] = [];
  #latest: CutCheckpoint | undefined;
  /** Cosignature lines gathered per checkpoint size, not yet sealed into the chain. */
  readonly #gathered = new Map<number, { note: string; lines: Set<string> }>();
  #stopped = false;
  readonly #idle: (() => void)[] = [];
  readonly #threshold: number;
  /** Witnesses that cosigned each recent checkpoint size, and the newest size that k of them did. */
  readonly #cosigners = new Map<number, Set<string>>();
  #witnessed: number | undefined;

  constructor(witnesses: WitnessOptions[], report: (e: AuditHookError | AuditTransportError) => void, timeoutMs = 10_000, threshold = 1) {
    this.#witnesses = witnesses.map((w) => new Witness(w));
    this.#report = report;
    this.#timeoutMs = timeoutMs;
    this.#threshold = threshold;
  }

  /** The newest checkpoint size that at least `threshold` witnesses cosigned (the policy, k of n). */
  get witnessed(): number | undefined {
    return this.#witnessed;
  }

  /** Starts from a resumed tree: witnesses will be asked from size 0 and answer 409 with theirs. */
  start(range: CompactRange): void {
    this.#base = new CompactRange(range.size, range.hashes);
  }

  leaf(h: Hash): void {
    this.#leaves.push(h);
    if (this.#leaves.length > MAX_LEAVES) this.#advanceBase(this.#leaves.length - MAX_LEAVES);
  }

  /** A checkpoint was sealed: ask every witness to cosign it. */
  submit(c: CutCheckpoint): void {
    if (this.#stopped) return;
    this.#latest = c;
    for (const w of this.#witnesses) this.#kick(w, 0);
  }

  /** Cosigned notes gathered since the last call (the checkpoint note with the cosignature lines), newest first. */
  take(): { size: number; note: string } | undefined {
    let newest: number | undefined;
    for (const size of this.#gathered.keys()) if (newest === undefined || size > newest) newest = size;
    if (newest === undefined) return undefined;
    const g = this.#gathered.get(newest) as { note: string; lines: Set<string> };
    this.#gathered.clear();
    return { size: newest, note: `${g.note}${[...g.lines].join('')}` };
  }

  /** True when no request is in flight or scheduled (or `ms` passed). */
  async settle(ms: number): Promise<void> {
    if (this.#witnesses.every((w) => !w.busy && !w.scheduled)) return;
    await Promise.race([new Promise<void>((r) => this.#idle.push(r)), new Promise((r) => setTimeout(r, ms).unref?.())]);
  }

  stop(): void {
    this.#stopped = true;
    for (const w of this.#witnesses) clearTimeout(w.timer);
  }

  health(): WitnessHealth[] {
    return this.#witnesses.map((w) => ({
      name: w.key.name,
      url: w.url,
      status: w.status === 'ok' && this.#latest && w.cosigned !== this.#latest.size && !w.busy ? 'behind' : w.status,
      ...(w.cosigned !== undefined ? { cosigned: w.cosigned } : {}),
      ...(w.cosignedAt !== undefined ? { cosignedAt: w.cosignedAt } : {}),
      ...(w.lastError ? { lastError: w.lastError } : {}),
    }));
  }

  #kick(w: Witness, delayMs: number): void {
    if (w.busy || this.#stopped) return;
    clearTimeout(w.timer);
    w.scheduled = true;
    w.timer = setTimeout(() => {
      w.scheduled = false;
      void this.#send(w);
    }, delayMs);
    w.timer.unref?.();
  }

  #quiet(): void {
    if (this.#witnesses.every((x) => !x.busy && !x.scheduled)) for (const r of this.#idle.splice(0)) r();
  }

  /** The consistency proof from `from` to `c.size`, or undefined when the leaves it needs are gone. */
  #proof(from: number, size: number): Hash[] | undefined {
    if (from < this.#base.size || from > size) return undefined;
    const at = new CompactRange(this.#base.size, this.#base.hashes);
    for (const l of this.#leaves.slice(0, from - this.#base.size)) at.append(l);
    return consistencyProofFrom(at, this.#leaves.slice(from - this.#base.size), size);
  }

  async #send(w: Witness): Promise<void> {
    const c = this.#latest;
    if (c === undefined || w.cosigned === c.size) return this.#quiet();
    w.busy = true;
    w.retryIn = undefined;
    try {
      for (let attempt = 0; attempt < 3; attempt++) {
        const proof = this.#proof(w.size, c.size);
        if (proof === undefined) {
          this.#fail(w, 'behind', `it last cosigned size ${w.size}, older than the leaves kept for proofs`);
          return;
        }
        const body = `old ${w.size}\n${proof.map((h) => `${toBase64(h)}\n`).join('')}\n${c.note}`;
        const res = await fetch(w.url, { method: 'POST', body, signal: AbortSignal.timeout(this.#timeoutMs) });
        const text = await res.text();
        if (res.status === 409 && /^(0|[1-9][0-9]{0,15})$/.test(text.trim())) {
          w.size = Number(text.trim()); // its size: send again with the proof from there
          continue;
        }
        if (res.status === 200) return this.#cosigned(w, c, text);
        const refusing = res.status === 403 || res.status === 404 || res.status === 422 || res.status === 409;
        this.#fail(w, refusing ? 'refusing' : 'unreachable', `HTTP ${res.status}: ${text.slice(0, 200).trim()}`);
        if (!refusing) this.#retry(w);
        return;
      }
      this.#fail(w, 'refusing', 'it kept answering 409 with other sizes');
    } catch (err) {
      this.#fail(w, 'unreachable', errorMessage(err));
      this.#retry(w);
    } finally {
      w.busy = false;
      if (w.retryIn !== undefined) this.#kick(w, w.retryIn);
      else if (this.#latest !== c) this.#kick(w, 0); // a newer checkpoint came meanwhile
      this.#quiet();
    }
  }

  #cosigned(w: Witness, c: CutCheckpoint, body: string): void {
    const lines = body.split('\n').filter((l) => l !== '');
    let good = '';
    try {
      // Each returned line must be this witness's valid cosignature of this checkpoint.
      const text = c.note.slice(0, c.note.lastIndexOf('\n\n') + 1);
      for (const l of lines) {
        const opened = openNote(`${text}\n${l}\n`, [w.key]);
        if (opened.verified.some((s) => s.timestamp !== undefined)) good += `${l}\n`;
      }
    } catch (err) {
      // Garbage (a proxy's error page, a broken witness): tried again later, reported once.
      this.#fail(w, 'refusing', `its answer is not a valid cosignature: ${errorMessage(err)}`);
      this.#retry(w);
      return;
    }
    if (good === '') {
      this.#fail(w, 'refusing', 'its answer holds no cosignature by its key');
      this.#retry(w);
      return;
    }
    w.size = c.size;
    w.cosigned = c.size;
    w.cosignedAt = new Date().toISOString();
    w.failures = 0;
    w.status = 'ok';
    w.lastError = undefined;
    const g = this.#gathered.get(c.size) ?? { note: c.note, lines: new Set<string>() };
    g.lines.add(good);
    this.#gathered.set(c.size, g);
    const who = this.#cosigners.get(c.size) ?? new Set<string>();
    who.add(w.url);
    this.#cosigners.set(c.size, who);
    if (who.size >= this.#threshold && (this.#witnessed === undefined || c.size > this.#witnessed)) this.#witnessed = c.size;
    for (const size of this.#cosigners.keys()) if (size < (this.#witnessed ?? 0)) this.#cosigners.delete(size);
    this.#prune();
  }

  #fail(w: Witness, status: WitnessHealth['status'], why: string): void {
    const first = w.status !== status || w.lastError === undefined;
    w.status = status;
    w.lastError = why;
    w.failures++;
    if (first) this.#report(new AuditTransportError(`witness ${w.key.name}`, `${w.url}: ${why}`));
  }

  #retry(w: Witness): void {
    w.retryIn = Math.min(30_000, 100 * 2 ** Math.min(w.failures, 9));
  }

  /** Leaves no witness needs any more are dropped. */
  #prune(): void {
    const need = Math.min(...this.#witnesses.map((w) => w.size));
    if (need > this.#base.size) this.#advanceBase(need - this.#base.size);
  }

  #advanceBase(n: number): void {
    for (const l of this.#leaves.slice(0, n)) this.#base.append(l);
    this.#leaves = this.#leaves.slice(n);
  }
}
