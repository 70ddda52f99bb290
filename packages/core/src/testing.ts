/**
 * @auditready/core/testing: assert on audit output in unit tests.
 *
 *   const audit = createTestAuditLogger();            // deterministic: fixed clock, chain id, keys
 *   audit.logger.record({ action: 'invoice.read', actor: { type: 'user', id: 'u1' } });
 *   expect(audit).toHaveAudited({ action: 'invoice.read', actor: { id: 'u1' }, outcome: 'success' });
 *   audit.assertValid();                                // schema + chain verification
 *   assertNoSecrets(audit.lines());
 *
 * Matchers work with vitest and jest: `expect.extend(auditMatchers)`.
 */
import { createFixedClock } from './clock.js';
import { AuditAssertionError, AuditConfigError } from './errors.js';
import type { AuditKey } from './hash.js';
import type { SealedRecord } from './hash-chain.js';
import { type AuditLogger, type AuditLoggerOptions, createAuditLogger } from './logger.js';
import { checkEntry } from './schema.js';
import { createMemoryTransport, type MemoryTransport } from './transport.js';
import type { AuditEntry } from './types.js';
import { type VerifyReport, verifySync } from './verify/index.js';

/** The fixed key used by deterministic keyed test loggers (never use it outside tests). */
export const TEST_HMAC_KEY: AuditKey = { id: 'test-key', secret: 'hex:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f' };
export const TEST_CHAIN_ID = 'test-chain';
export const TEST_START = '2026-01-01T00:00:00.000Z';

export interface TestAuditLoggerOptions extends Partial<AuditLoggerOptions> {
  /** Fixed clock (1 ms per read from TEST_START), chain id TEST_CHAIN_ID. Default true. */
  deterministic?: boolean;
  /** Use HMAC-SHA256 with TEST_HMAC_KEY (unless options.chain.hmacKey is given). Default false. */
  keyed?: boolean;
}

export interface TestAuditLogger {
  readonly logger: AuditLogger;
  /** The memory transport the logger delivers to (asynchronously, like any transport). */
  readonly transport: MemoryTransport;
  /** Every sealed record, captured synchronously at record() time, including library records. */
  records(): SealedRecord[];
  /** Sealed entries; by default only the app's (access, event, rejected), not genesis/gap/clock. */
  entries(options?: { all?: boolean }): AuditEntry[];
  /** Canonical lines of every sealed record, in chain order. */
  lines(): string[];
  /** Verifies everything captured (with the test key when keyed). */
  verify(): VerifyReport;
  /** Schema-checks everything captured; returns the failures (empty when all pass). */
  schemaErrors(): { seq: number; errors: { path: string; message: string }[] }[];
  /** Throws AuditAssertionError unless every captured line is schema-valid and the chain verifies. */
  assertValid(): void;
}

export function createTestAuditLogger(options: TestAuditLoggerOptions = {}): TestAuditLogger {
  if (options === null || typeof options !== 'object' || Array.isArray(options))
    throw new AuditConfigError('createTestAuditLogger: options must be an object');
  const { deterministic = true, keyed = false, ...rest } = options;
  const transport = createMemoryTransport({ name: 'test-memory' });
  const captured: SealedRecord[] = [];
  const userOnSealed = rest.onSealed;
  const hmacKey = rest.chain?.hmacKey ?? (keyed ? TEST_HMAC_KEY : undefined);
  const logger = createAuditLogger({
    service: { name: 'test-service' },
    transports: [transport],
    handleSignals: false,
    // No heartbeat timer in a unit test (and none in its bytes): the same records give the same log.
    heartbeatMs: 0,
    ...(deterministic ? { clock: createFixedClock(TEST_START, 1000), processInfo: false } : {}),
    ...rest,
    chain: { ...(deterministic ? { id: TEST_CHAIN_ID } : {}), ...rest.chain, ...(hmacKey ? { hmacKey } : {}) },
    onSealed: (r) => {
      captured.push(r);
      userOnSealed?.(r);
    },
  });
  const keys = hmacKey ? [hmacKey] : [];
  const api: TestAuditLogger = {
    logger,
    transport,
    records: () => [...captured],
    entries: (o) =>
      captured.map((r) => r.entry).filter((e) => o?.all === true || e.kind === 'access' || e.kind === 'event' || e.kind === 'rejected'),
    lines: () => captured.map((r) => r.line),
    verify: () =>
      verifySync(
        captured.map((r) => r.line),
        { keys },
      ),
    schemaErrors: () =>
      captured.flatMap((r) => {
        const res = checkEntry(JSON.parse(r.line));
        return res.valid ? [] : [{ seq: r.entry.seq, errors: res.errors }];
      }),
    assertValid() {
      const se = api.schemaErrors();
      if (se.length > 0) throw new AuditAssertionError(`schema errors: ${JSON.stringify(se)}`);
      const report = api.verify();
      if (!report.valid)
        throw new AuditAssertionError(
          `chain does not verify: ${report.breaks.map((b) => `${b.kind} at seq ${b.seq}: ${b.message}`).join('; ')}`,
        );
    },
  };
  return api;
}

// ---- assertNoSecrets: secret-scan.ts ----------------------------------------------------------

export type { FindSecretsOptions, SecretFinding } from './secret-scan.js';
export { assertNoSecrets, findSecrets } from './secret-scan.js';

import { type Scannable, toLines } from './secret-scan.js';

// ---- matchers ----------------------------------------------------------------------------------

export type Expectation = Record<string, unknown>;

function matches(actual: unknown, expected: unknown): boolean {
  if (expected instanceof RegExp) return typeof actual === 'string' && expected.test(actual);
  if (typeof expected === 'function') return (expected as (v: unknown) => boolean)(actual) === true;
  if (Array.isArray(expected))
    return Array.isArray(actual) && actual.length === expected.length && expected.every((e, i) => matches(actual[i], e));
  if (expected !== null && typeof expected === 'object') {
    if (actual === null || typeof actual !== 'object') return false;
    return Object.entries(expected).every(([k, v]) => matches((actual as Record<string, unknown>)[k], v));
  }
  return Object.is(actual, expected);
}

function entriesOf(received: unknown): AuditEntry[] | undefined {
  if (Array.isArray(received))
    return received.map((x) => (x && typeof x === 'object' && 'entry' in x ? (x as SealedRecord).entry : x)) as AuditEntry[];
  if (received && typeof received === 'object') {
    const r = received as Partial<TestAuditLogger> & Partial<MemoryTransport>;
    if (typeof r.records === 'function') return r.records().map((x) => x.entry);
    if (typeof r.entries === 'function') return (r.entries as () => AuditEntry[])();
  }
  return undefined;
}

/** Normalizes `actor: 'u1'` to `actor: { id: 'u1' }` for brevity in tests. */
function normalize(expected: Expectation): Expectation {
  return typeof expected.actor === 'string' ? { ...expected, actor: { id: expected.actor } } : expected;
}

interface MatcherResult {
  pass: boolean;
  message: () => string;
}

function summarize(e: AuditEntry): string {
  return `#${e.seq} ${e.kind} ${e.action ?? ''} actor=${e.actor?.id ?? e.actor?.type ?? '-'} outcome=${e.outcome ?? '-'}${e.resource ? ` resource=${e.resource.type}:${e.resource.id ?? ''}` : ''}`;
}

export const auditMatchers = {
  /** Passes when some captured entry matches every given field (deep partial; RegExp for strings). */
  toHaveAudited(received: unknown, expected: Expectation): MatcherResult {
    const entries = entriesOf(received);
    if (!entries)
      return { pass: false, message: () => 'toHaveAudited: expected a test audit logger, a memory transport, or an array of entries' };
    const want = normalize(expected);
    const hit = entries.find((e) => matches(e, want));
    return {
      pass: hit !== undefined,
      message: () =>
        hit
          ? `expected no entry matching ${JSON.stringify(expected)}, but #${hit.seq} matches`
          : `expected an entry matching ${JSON.stringify(expected)}; got ${entries.length} entries:\n${entries.map((e) => `  ${summarize(e)}`).join('\n')}`,
    };
  },
  /** Passes when exactly `times` captured entries match. */
  toHaveAuditedTimes(received: unknown, times: number, expected: Expectation): MatcherResult {
    const entries = entriesOf(received) ?? [];
    const n = entries.filter((e) => matches(e, normalize(expected))).length;
    return { pass: n === times, message: () => `expected ${times} entries matching ${JSON.stringify(expected)}, found ${n}` };
  },
  /** Passes when the captured output (a test logger, or lines) verifies as an unbroken chain. */
  toHaveValidAuditChain(received: unknown): MatcherResult {
    let report: VerifyReport;
    if (received && typeof received === 'object' && typeof (received as TestAuditLogger).verify === 'function')
      report = (received as TestAuditLogger).verify();
    else report = verifySync(toLines(received as Scannable));
    return {
      pass: report.valid,
      message: () =>
        report.valid
          ? 'expected the audit chain not to verify, but it does'
          : `audit chain does not verify:\n${report.breaks.map((b) => `  ${b.kind} seq ${b.seq}: ${b.message}`).join('\n')}`,
    };
  },
};

export interface AuditMatchers<R = unknown> {
  toHaveAudited(expected: Expectation): R;
  toHaveAuditedTimes(times: number, expected: Expectation): R;
  toHaveValidAuditChain(): R;
}

export { createFixedClock } from './clock.js';
export { createMemoryTransport } from './transport.js';
