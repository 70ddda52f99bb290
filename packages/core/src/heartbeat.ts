/**
 * Heartbeats (docs/spec/hash-chain.md §Heartbeat): a logger that has sealed nothing for
 * `heartbeatMs` seals a `heartbeat` record, so that a quiet service can be told from a lost log.
 * The interval is declared in the chain's first record; a verifier reports every stretch longer
 * than twice it with neither an entry nor a heartbeat (`silences`).
 */
export const DEFAULT_HEARTBEAT_MS = 5 * 60_000;

export class Heartbeat {
  readonly #ms: number;
  readonly #seal: () => void;
  readonly #nowMs: () => number;
  #last: number;
  /** A record was sealed since the last tick (a flag: no clock read on the hot path). */
  #alive = false;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(ms: number, seal: () => void, nowMs: () => number = Date.now) {
    this.#ms = ms;
    this.#seal = seal;
    this.#nowMs = nowMs;
    this.#last = nowMs();
    // Ticks at a quarter of the interval: a heartbeat comes at most 1.5 intervals after the last record.
    this.#timer = setInterval(() => this.#tick(), Math.max(10, Math.floor(ms / 4)));
    this.#timer.unref?.();
  }

  /** A record was sealed: the log is alive (the next tick takes the time). */
  touch(): void {
    this.#alive = true;
  }

  #tick(): void {
    const now = this.#nowMs();
    if (this.#alive) {
      this.#alive = false;
      this.#last = now;
    } else if (now - this.#last >= this.#ms) {
      this.#seal();
      this.#alive = false;
      this.#last = now;
    }
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
