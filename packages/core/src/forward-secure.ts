/**
 * Forward-secure keyed chain (docs/spec/hash-chain.md §Forward-secure sealing), after
 * systemd-journald's Forward Secure Sealing: the HMAC key evolves every epoch by a one-way step,
 * k(e+1) = HMAC-SHA256(k(e), "auditready/fss/evolve/v1"), and the old key is erased from memory
 * and from the state store, which holds only the current one. Whoever steals the state at epoch e
 * can seal entries of epoch e and later, never of an earlier one. Every epoch ends with an `epoch`
 * record sealed under its own key, also when nothing else was recorded in it (journald's
 * CVE-2023-31438 was an unsealed empty epoch): a tail cut from an earlier epoch shows as an epoch
 * that was never sealed. Entries name their epoch in `kid`: `<key id>:e<epoch>`. The verifier
 * holds the initial key k(0) (whose holder can forge everything: it belongs offline, with the
 * auditor) and derives each epoch's key. Isomorphic; the state store is an interface (a file store
 * is in @auditready/core/spool).
 */
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { fromBase64, toBase64 } from './base64.js';
import { AuditConfigError } from './errors.js';
import { type AuditKey, type ResolvedKey, resolveKey } from './hash.js';
import { intOption } from './options.js';
import { getNodeCrypto } from './platform.js';

const EVOLVE = utf8ToBytes('auditready/fss/evolve/v1');
export const DEFAULT_EPOCH_MS = 15 * 60_000;

/** The one-way step from an epoch's key to the next. */
export function evolveKey(k: Uint8Array): Uint8Array {
  const c = getNodeCrypto();
  return c ? new Uint8Array(c.createHmac('sha256', k).update(EVOLVE).digest()) : hmac(sha256, k, EVOLVE);
}

export const epochKid = (id: string, epoch: number) => `${id}:e${epoch}`;

/** `<id>:e<epoch>` -> its parts, or undefined. */
export function parseEpochKid(kid: string): { id: string; epoch: number } | undefined {
  const m = /^(.+):e(0|[1-9][0-9]{0,14})$/.exec(kid);
  return m ? { id: m[1] as string, epoch: Number(m[2]) } : undefined;
}

/** What the store keeps: the current epoch's key only. */
export interface ForwardSecureState {
  id: string;
  epoch: number;
  /** Start of epoch 0, ms since 1970; epochs are [start + e * epochMs, start + (e+1) * epochMs). */
  start: number;
  epochMs: number;
  /** The current epoch's key, base64. */
  key: string;
}

/** Where the current key lives between runs: written atomically and durably before it is used. */
export interface ForwardSecureStore {
  load(): ForwardSecureState | undefined;
  save(state: ForwardSecureState): void;
}

export interface ForwardSecureOptions {
  store: ForwardSecureStore;
  /** k(0), only to create the state the first time (then keep it offline, with the auditor). */
  initialKey?: AuditKey;
  /** Epoch length. Default 15 minutes, as journald. */
  epochMs?: number;
}

/** The logger's evolving key. */
export class ForwardSecureKey {
  readonly #store: ForwardSecureStore;
  #state: ForwardSecureState;
  #bytes: Uint8Array;

  constructor(o: ForwardSecureOptions, nowMs: number) {
    if (o === null || typeof o !== 'object' || typeof o.store?.load !== 'function' || typeof o.store.save !== 'function')
      throw new AuditConfigError('chain.forwardSecure.store must be { load(), save(state) }', { path: 'chain.forwardSecure.store' });
    this.#store = o.store;
    const loaded = o.store.load();
    if (loaded === undefined) {
      if (o.initialKey === undefined)
        throw new AuditConfigError('chain.forwardSecure: no state yet: give initialKey once to create it', {
          path: 'chain.forwardSecure.initialKey',
        });
      const k = resolveKey(o.initialKey, 'chain.forwardSecure.initialKey');
      const epochMs = intOption(o.epochMs, DEFAULT_EPOCH_MS, 1000, 'chain.forwardSecure.epochMs');
      this.#state = { id: k.id, epoch: 0, start: nowMs, epochMs, key: toBase64(k.bytes) };
      this.#bytes = Uint8Array.from(k.bytes);
      this.#store.save(this.#state);
    } else {
      const bytes = fromBase64(loaded.key);
      if (bytes === undefined || bytes.length < 16 || !Number.isSafeInteger(loaded.epoch) || !(loaded.epochMs > 0))
        throw new AuditConfigError('chain.forwardSecure: the stored state is damaged', { path: 'chain.forwardSecure.store' });
      this.#state = loaded;
      this.#bytes = bytes;
    }
  }

  get epoch(): number {
    return this.#state.epoch;
  }

  get info(): { id: string; start: string; epochMs: number } {
    return { id: this.#state.id, start: new Date(this.#state.start).toISOString(), epochMs: this.#state.epochMs };
  }

  /** The key to seal with now (kid `<id>:e<epoch>`). */
  get key(): ResolvedKey {
    return { id: epochKid(this.#state.id, this.#state.epoch), bytes: this.#bytes };
  }

  /** The epoch `nowMs` falls in. */
  epochAt(nowMs: number): number {
    return Math.max(0, Math.floor((nowMs - this.#state.start) / this.#state.epochMs));
  }

  /** When the current epoch ends (ms since 1970). */
  get endsAt(): number {
    return this.#state.start + (this.#state.epoch + 1) * this.#state.epochMs;
  }

  /** One step: the next epoch's key replaces this one, in the store first, then in memory (the old bytes overwritten). */
  evolve(): void {
    const next = evolveKey(this.#bytes);
    const state = { ...this.#state, epoch: this.#state.epoch + 1, key: toBase64(next) };
    this.#store.save(state);
    this.#bytes.fill(0);
    this.#bytes = next;
    this.#state = state;
  }
}

/** The verifier's side: epoch keys derived from initial keys, cached as they are reached. */
export class EpochKeys {
  readonly #initial = new Map<string, Uint8Array>();
  readonly #last = new Map<string, { epoch: number; bytes: Uint8Array }>();

  constructor(keys: readonly AuditKey[]) {
    for (const [i, k] of keys.entries()) {
      const r = resolveKey(k, `forwardSecure[${i}]`);
      this.#initial.set(r.id, r.bytes);
    }
  }

  get size(): number {
    return this.#initial.size;
  }

  /** The key named by `kid` when it is an epoch of a known initial key, else undefined. */
  keyFor(kid: string): ResolvedKey | undefined {
    const p = parseEpochKid(kid);
    const k0 = p && this.#initial.get(p.id);
    if (!p || !k0) return undefined;
    let at = this.#last.get(p.id);
    if (at === undefined || at.epoch > p.epoch) at = { epoch: 0, bytes: k0 };
    let bytes = at.bytes;
    for (let e = at.epoch; e < p.epoch; e++) bytes = evolveKey(bytes);
    this.#last.set(p.id, { epoch: p.epoch, bytes });
    return { id: kid, bytes };
  }
}

/** The logger's forward-secure key from `chain.forwardSecure`, or undefined without it. */
export function forwardSecureKey(o: ForwardSecureOptions | undefined, clock: { nowMicros(): number }): ForwardSecureKey | undefined {
  return o === undefined ? undefined : new ForwardSecureKey(o, clock.nowMicros() / 1000);
}

/**
 * Ends epochs on time: before a record is sealed in a later epoch, and by a timer when nothing is
 * recorded, each epoch passed gets its `epoch` record under its own key, then the key evolves.
 */
export class EpochSealer {
  readonly #key: ForwardSecureKey;
  /** Seals the `epoch` record under the current key. */
  readonly #seal: (details: Record<string, unknown>, reason: string) => void;
  readonly #chain: { rekey(key: ResolvedKey): void };
  readonly #clock: { nowMicros(): number };
  #timer: ReturnType<typeof setTimeout> | undefined;
  #sealing = false;
  #stopped = false;

  constructor(
    key: ForwardSecureKey,
    seal: (details: Record<string, unknown>, reason: string) => void,
    chain: { rekey(key: ResolvedKey): void },
    clock: { nowMicros(): number },
  ) {
    this.#key = key;
    this.#seal = seal;
    this.#chain = chain;
    this.#clock = clock;
  }

  #nowMs(): number {
    return this.#clock.nowMicros() / 1000;
  }

  /** Seals every epoch that ended before `nowMs` (the caller's next record belongs to a later one). */
  advance(nowMs = this.#nowMs()): void {
    if (this.#stopped) return;
    if (this.#sealing || nowMs < this.#key.endsAt) {
      if (this.#timer === undefined) this.arm();
      return;
    }
    this.#sealing = true;
    try {
      const target = this.#key.epochAt(nowMs);
      while (this.#key.epoch < target) {
        const e = this.#key.epoch;
        this.#seal({ epoch: e, ended: new Date(this.#key.endsAt).toISOString() }, `epoch ${e} sealed: its key is erased`);
        this.#key.evolve();
        this.#chain.rekey(this.#key.key);
      }
    } finally {
      this.#sealing = false;
    }
    this.arm();
  }

  /** A timer at the end of the current epoch, so that an idle epoch is sealed too. */
  arm(): void {
    clearTimeout(this.#timer);
    const wait = Math.max(0, this.#key.endsAt - this.#nowMs());
    this.#timer = setTimeout(this.#fire, Math.min(wait + 1, 2 ** 31 - 1));
    this.#timer.unref?.();
  }

  /**
   * The timer, at the epoch's end by the logger's clock: it may fire before that end by the clock
   * (a timer is set from the event loop's cached time, which lags behind while the loop is busy; a
   * caller's clock may run slow), and then it is set again for what is left. Kept only while
   * pending: advance() sets one when there is none.
   */
  readonly #fire = (): void => {
    this.#timer = undefined;
    this.advance();
  };

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
