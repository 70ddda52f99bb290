/**
 * The time source (docs/spec/entry-format.md §Time).
 *
 * `ts` = wall time at start + monotonic offset, in microseconds, so timestamps never run backwards
 * inside a process even when the wall clock is stepped. Steps are not hidden: each read compares
 * the wall clock with ours, and a difference larger than `stepThresholdMs` is reported once (the
 * logger writes a `clock` entry). A forward step re-bases our clock forward (still monotonic); a
 * backward step is recorded and our clock keeps going forward from where it was.
 */
import { AuditConfigError, AuditInputError } from './errors.js';
import { monotonicMs } from './platform.js';

export interface ClockStep {
  /** Wall clock minus our clock at detection, in milliseconds (negative: wall went back). */
  driftMs: number;
  /** Our time before and after the step handling, as RFC 3339 strings. */
  before: string;
  after: string;
  wall: string;
  rebased: boolean;
}

export interface AuditClock {
  /** Current time in integer microseconds since the Unix epoch; never decreases. */
  nowMicros(): number;
  /** Returns and clears a pending wall-clock step, if one was detected. */
  takeStep?(): ClockStep | undefined;
}

/** RFC 3339 UTC with exactly six fractional digits. */
let cachedSecond = Number.NaN;
let cachedPrefix = '';

/** Throws unless `us` is a time formatMicros can write: microseconds since the epoch, finite, in Date's range. */
export function checkMicros(us: unknown): asserts us is number {
  if (typeof us !== 'number' || !Number.isFinite(us) || Math.abs(us) > 8.64e18)
    throw new AuditInputError('formatMicros: expected microseconds since the epoch (a finite number)');
}

export function formatMicros(us: number): string {
  checkMicros(us);
  // Timestamps come in order, so the "YYYY-MM-DDTHH:MM:SS" part is usually the previous one's.
  const second = Math.floor(us / 1_000_000);
  if (second !== cachedSecond) {
    cachedPrefix = new Date(second * 1000).toISOString().slice(0, 19);
    cachedSecond = second;
  }
  return `${cachedPrefix}.${String(us - second * 1_000_000).padStart(6, '0')}Z`;
}

/** Parses RFC 3339 with 0-9 fractional digits (Z or offset) into integer microseconds. */
export function parseMicros(ts: string): number | undefined {
  if (typeof ts !== 'string') return undefined;
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/i.exec(ts);
  if (!m) return undefined;
  const base = Date.parse(`${m[1]}${m[3]}`);
  if (Number.isNaN(base)) return undefined;
  const frac = (m[2] ?? '').padEnd(6, '0').slice(0, 6);
  return base * 1000 + Number(frac);
}

export interface SystemClockOptions {
  /** Wall-clock difference that counts as a step. Default 1000 ms. */
  stepThresholdMs?: number;
  /** Wall clock source, for tests. Default Date.now. */
  wallMs?: () => number;
  /** Monotonic source in ms, for tests. Default performance.now. */
  monoMs?: () => number;
}

export function createSystemClock(options: SystemClockOptions = {}): AuditClock {
  if (options === null || typeof options !== 'object') throw new AuditConfigError('createSystemClock: options must be an object');
  for (const k of ['wallMs', 'monoMs'] as const) {
    if (options[k] !== undefined && typeof options[k] !== 'function')
      throw new AuditConfigError(`createSystemClock: ${k} must be a function`, { path: k });
  }
  if (options.stepThresholdMs !== undefined && (typeof options.stepThresholdMs !== 'number' || !(options.stepThresholdMs > 0))) {
    throw new AuditConfigError('createSystemClock: stepThresholdMs must be a positive number', { path: 'stepThresholdMs' });
  }
  const wallMs = options.wallMs ?? Date.now;
  const monoMs = options.monoMs ?? monotonicMs;
  const threshold = options.stepThresholdMs ?? 1000;
  let baseMicros = wallMs() * 1000;
  let baseMono = monoMs();
  let last = Math.floor(baseMicros);
  let step: ClockStep | undefined;
  // The wall-vs-monotonic difference already reported; we report changes from it, not every read.
  let acknowledgedDriftMs = 0;

  return {
    nowMicros() {
      let now = Math.floor(baseMicros + (monoMs() - baseMono) * 1000);
      const wall = wallMs();
      const driftMs = wall - now / 1000;
      if (Math.abs(driftMs - acknowledgedDriftMs) > threshold) {
        const before = now;
        let rebased = false;
        if (driftMs > 0) {
          baseMicros = wall * 1000;
          baseMono = monoMs();
          now = Math.floor(baseMicros);
          rebased = true;
          acknowledgedDriftMs = 0;
        } else {
          acknowledgedDriftMs = driftMs;
        }
        step = {
          driftMs,
          before: formatMicros(Math.max(before, last)),
          after: formatMicros(Math.max(now, last)),
          wall: formatMicros(wall * 1000),
          rebased,
        };
      }
      if (now <= last) now = last; // equal timestamps are allowed; seq orders them
      last = now;
      return now;
    },
    takeStep() {
      const s = step;
      step = undefined;
      return s;
    },
  };
}

/** A deterministic clock for tests: starts at `start` and advances `stepMicros` per read. */
export function createFixedClock(start: Date | string = '2026-01-01T00:00:00.000Z', stepMicros = 1000): AuditClock {
  const startMs = typeof start === 'string' ? Date.parse(start) : start instanceof Date ? start.getTime() : Number.NaN;
  if (Number.isNaN(startMs)) throw new AuditConfigError('createFixedClock: start must be a valid Date or date string', { path: 'start' });
  if (typeof stepMicros !== 'number' || !Number.isInteger(stepMicros) || stepMicros < 0)
    throw new AuditConfigError('createFixedClock: stepMicros must be an integer >= 0', { path: 'stepMicros' });
  let t = startMs * 1000 - stepMicros;
  return {
    nowMicros() {
      t += stepMicros;
      return t;
    },
  };
}

/** The `clock` record's reason and details for a wall-clock step. */
/**
 * The clock record's own timestamp: the step's `after` in the entry format (six fractional digits,
 * UTC). A clock of the caller's may write it otherwise (`toISOString()`'s three digits); unreadable,
 * undefined (the record then takes the current time).
 */
export function stepTime(step: ClockStep): string | undefined {
  const us = parseMicros(step.after);
  return us === undefined ? undefined : formatMicros(us);
}

export function clockStepFields(step: ClockStep): { reason: string; details: Record<string, unknown> } {
  return {
    reason: step.rebased
      ? 'wall clock stepped forward; timestamps re-based'
      : 'wall clock stepped backward; timestamps keep running forward',
    details: { driftMs: Math.round(step.driftMs), before: step.before, after: step.after, wall: step.wall },
  };
}
