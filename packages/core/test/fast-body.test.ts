/**
 * record()'s compiled path for the common entry shapes (src/fast-body.ts) against the general path
 * (the redaction walk over a copy, then the ajv schema check): wherever the compiled path returns a
 * body it must be the general path's, byte for byte (same object key order, same `sorted` flag,
 * same sealed line), and it must take the timestamp exactly once, after everything else; wherever
 * the general path would redact, truncate or reject, the compiled one must step aside. Random
 * inputs near the shape the middleware builds, with secrets, limits, bad types and extra keys.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type BodyContext, type BuiltBody, generalBody } from '../src/entry-body.js';
import { fastBody } from '../src/fast-body.js';
import { HashChain } from '../src/hash-chain.js';
import { createAuditLogger } from '../src/logger.js';
import { resolveService } from '../src/logger-options.js';
import { compileRedaction, type RedactionOptions } from '../src/redact.js';
import { createMemoryTransport } from '../src/transport.js';
import type { AuditRecordInput } from '../src/types.js';

const TS = '2026-12-06T10:00:00.000000Z';

function context(redact: RedactionOptions, calls: { n: number }): BodyContext {
  return {
    service: resolveService({ name: 'billing-api', version: '3.14.0', env: 'production' }),
    redaction: compileRedaction(redact),
    defaultActor: { type: 'system' },
    now: () => {
      calls.n++;
      return TS;
    },
    report: (e) => {
      throw e;
    },
  };
}

const SECRETS = [
  'ghp_0123456789abcdefghijABCDEFGHIJ0123456789',
  'AKIAIOSFODNN7EXAMPLE',
  'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig_abc',
  'Bearer abcdefgh12345678',
  '4111111111111111',
  '4111 1111 1111 1111',
  'password=hunter2',
  '/invoices?token=abcdef123456',
  '/a?x=%73k-abcdefghijklmnopqrstuvwxyz0123456789',
  'https://user:pa55@example.com/',
  'sk-abcdefghijklmnopqrstuvwxyz0123456789AB',
  'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
];
const PLAIN = [
  'usr_8f14e45f',
  '203.0.113.42',
  '/invoices/inv_417',
  '/invoices/:id',
  'invoice.read',
  'GET',
  'POST',
  'HTTP/1.1',
  'Mozilla/5.0 (X11; Linux x86_64)',
  'req_7b1f0c2e',
  '4bf92f3577b34da6a3ce929d0e0e4736',
  '00f067aa0ba902b7',
  '01',
  '41111111111111110000000000000000',
  '',
  '0',
  '10',
  'user',
  'service',
  'anonymous',
  'system',
  'robot',
  'x'.repeat(40),
  'y'.repeat(300),
  'z'.repeat(5000),
  '😀'.repeat(200),
  'bad \uD800 surrogate',
  'line\nbreak "quoted" \\ back\u0001',
  'é',
];
const CLEAN = PLAIN.slice(0, 23);
const number = fc.oneof(
  fc.constantFrom(0, -0, 1, 12.4, 200, 404, 999, 1000, -1, 1e12 - 1, 1e12, 4111111111111111, 2 ** 53, Number.NaN, Number.POSITIVE_INFINITY),
  fc.integer({ min: 0, max: 100_000 }),
  fc.double({ min: 0, max: 1e6, noNaN: true }),
);
const odd = fc.constantFrom<unknown>(null, true, 7, [], {}, new Date(0), undefined, 'x', { nested: 'object' });
const hex = (n: number) => fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: n, maxLength: n });

function withExtra<T extends object>(o: T, key: string | undefined): T {
  if (key === undefined) return o;
  const out = { ...o } as Record<string, unknown>;
  Object.defineProperty(out, key, { value: key === 'roles' ? ['admin'] : 'extra', enumerable: true, writable: true, configurable: true });
  return out as T;
}

/**
 * Inputs near the middleware's shape. `wild`: any field may be a secret, too long, of the wrong
 * type or an odd value, and objects may carry extra keys; otherwise values are mostly clean, so
 * that the compiled path is taken often enough to be tested.
 */
function inputs(wild: boolean): fc.Arbitrary<unknown> {
  const w = wild ? 1 : 0;
  const text = fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom(...(wild ? PLAIN : CLEAN)) },
    { weight: 2 * w, arbitrary: fc.constantFrom(...SECRETS) },
    { weight: 2, arbitrary: fc.string({ maxLength: 24 }) },
    { weight: w, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) },
  );
  const scalar = (main: fc.Arbitrary<unknown>) => fc.oneof({ weight: 30, arbitrary: main }, { weight: w, arbitrary: odd });
  const extra = fc.oneof(
    { weight: wild ? 8 : 1000, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.constantFrom('foo', 'roles', 'headers', '__proto__', 'impersonator', 'query') },
  );
  const obj = <T extends object>(a: fc.Arbitrary<T>) => a.chain((o) => extra.map((k) => withExtra(o, k)));
  const opt = { requiredKeys: [] as never[] };
  const actor = obj(
    fc.record(
      {
        type: scalar(fc.constantFrom('user', 'service', 'anonymous', 'system', ...(wild ? ['robot'] : []))),
        id: scalar(text),
        ip: scalar(text),
        name: scalar(text),
        session: scalar(text),
        tenant: scalar(text),
        userAgent: scalar(text),
      },
      opt,
    ),
  );
  const resource = obj(fc.record({ type: scalar(text), id: scalar(text), name: scalar(text), tenant: scalar(text) }, opt));
  const methods = ['GET', 'POST', 'DELETE', 'OPTIONS', 'M-SEARCH'];
  const http = obj(
    fc.record(
      {
        method: scalar(fc.constantFrom(...methods, ...(wild ? ['not a method', 'AKIAIOSFODNN7EXAMPLE'] : []))),
        path: scalar(text),
        route: scalar(text),
        status: scalar(wild ? number : fc.integer({ min: 100, max: 599 })),
        durationMs: scalar(wild ? number : fc.double({ min: 0, max: 1e5, noNaN: true })),
        bytesIn: scalar(wild ? number : fc.nat(1e9)),
        bytesOut: scalar(wild ? number : fc.nat(1e9)),
        requestId: scalar(text),
        protocol: scalar(fc.constantFrom('HTTP/1.1', 'HTTP/2', ...(wild ? ['x'.repeat(40)] : []))),
      },
      { requiredKeys: wild ? [] : ['method'] },
    ),
  );
  const bad = wild ? ['41111111111111110000000000000000', '4BF92F3577B34DA6A3CE929D0E0E4736'] : [];
  const cardSpan = wild ? ['4111111111111111', '5555555555554444'] : [];
  const trace = obj(
    fc.record(
      {
        traceId: scalar(fc.oneof(hex(32), fc.constantFrom('4bf92f3577b34da6a3ce929d0e0e4736', ...bad))),
        spanId: scalar(fc.oneof(hex(16), fc.constantFrom('00f067aa0ba902b7', ...cardSpan))),
        flags: scalar(fc.oneof(hex(2), fc.constant(wild ? '0x' : '01'))),
      },
      { requiredKeys: wild ? [] : ['traceId', 'spanId'] },
    ),
  );
  const details = fc.oneof(
    fc.dictionary(fc.constantFrom('a', 'b', '1', 'password', 'note', 'items'), fc.oneof(text, number, fc.array(text, { maxLength: 3 })), {
      maxKeys: 3,
    }),
    ...(wild ? [odd] : []),
  );
  const part = <T>(a: fc.Arbitrary<T>) => fc.oneof({ weight: 8, arbitrary: a }, { weight: w, arbitrary: odd });
  return obj(
    fc.record(
      {
        kind: fc.constantFrom('access', 'event', 'access', ...(wild ? ['checkpoint', null] : [])),
        action: scalar(text),
        outcome: fc.constantFrom('success', 'failure', 'denied', 'error', 'aborted', ...(wild ? ['maybe', null] : [])),
        actor: part(actor),
        resource: part(resource),
        http: part(http),
        trace: part(trace),
        reason: scalar(text),
        details,
      },
      { requiredKeys: wild ? [] : ['action'] },
    ),
  );
}

const FIELDS = {
  '': ['kind', 'action', 'outcome', 'reason', 'details', 'foo', 'actor', 'http', 'trace'],
  actor: ['type', 'id', 'ip', 'name', 'session', 'tenant', 'userAgent', 'roles', 'foo'],
  resource: ['type', 'id', 'name', 'tenant', 'foo'],
  http: ['method', 'path', 'route', 'status', 'durationMs', 'bytesIn', 'bytesOut', 'requestId', 'protocol', 'headers', 'foo'],
  trace: ['traceId', 'spanId', 'flags', 'foo'],
} as const;
/** What a missing object starts from, so that the one defect is the only thing wrong. */
const BASES = {
  actor: { type: 'user' },
  resource: { type: 'invoice' },
  http: { method: 'GET' },
  trace: { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7' },
} as const;
const defectValue = fc.oneof(fc.constantFrom(...SECRETS, ...PLAIN), number, odd);
/** A clean input with exactly one field set to something the general path may treat differently. */
const oneDefect = fc
  .tuple(inputs(false), fc.constantFrom(...Object.entries(FIELDS).flatMap(([o, keys]) => keys.map((k) => [o, k] as const))), defectValue)
  .map(([i, [o, k], v]) => {
    const top = { ...(i as Record<string, unknown>) };
    const base = BASES[o as keyof typeof BASES];
    const target = o === '' ? top : (top[o] = { ...base, ...((top[o] as object | undefined) ?? {}) });
    (target as Record<string, unknown>)[k] = v;
    return top;
  });

function general(i: AuditRecordInput, ts: string | undefined, ctx: BodyContext): BuiltBody | Error {
  try {
    return generalBody(i, ts, ctx);
  } catch (err) {
    return err as Error;
  }
}

const CONFIGS: [string, RedactionOptions][] = [
  ['defaults', {}],
  ['keys: [ip, tenant]', { keys: ['ip', 'tenant'] }],
  ['maxStringLength 40', { maxStringLength: 40 }],
  ['no detectors', { detectors: false }],
  ['detectors in hash mode', { detectorMode: 'hash', hashKey: { id: 'r1', secret: `hex:${'11'.repeat(32)}` } }],
  ['no defaults', { defaults: false }],
];

describe('the compiled body path (fast-body.ts) agrees with the general path', () => {
  for (const [name, redact] of CONFIGS) {
    it(`on random input, redaction ${name}`, () => {
      const fastCalls = { n: 0 };
      const generalCalls = { n: 0 };
      const fastCtx = context(redact, fastCalls);
      const generalCtx = context(redact, generalCalls);
      let taken = 0;
      let declined = 0;
      fc.assert(
        fc.property(
          fc.oneof(inputs(false), oneDefect, inputs(true)),
          fc.constantFrom(undefined, TS, undefined, '2026-12-06 10:00:00'),
          (i, ts) => {
            fastCalls.n = 0;
            generalCalls.n = 0;
            const fast = fastBody(i as AuditRecordInput, ts, fastCtx);
            const ref = general(i as AuditRecordInput, ts, generalCtx);
            if (fast === undefined) {
              declined++;
              expect(fastCalls.n).toBe(0); // stepping aside takes no timestamp (the general path takes it)
              return;
            }
            taken++;
            expect(ref).not.toBeInstanceOf(Error);
            const want = ref as BuiltBody;
            expect(JSON.stringify(fast.body)).toBe(JSON.stringify(want.body));
            expect(fast.sorted).toBe(want.sorted);
            expect(fastCalls.n).toBe(generalCalls.n);
            // Sealed, both give the same line, and the fast sealing of it is the general canonical one.
            const a = new HashChain({ id: 'c' }).sealSorted(structuredClone(fast.body));
            const b = new HashChain({ id: 'c' }).seal(structuredClone(want.body));
            expect(a.line).toBe(b.line);
          },
        ),
        { numRuns: 3000, seed: 20261206 },
      );
      // Both outcomes were exercised: a test where the compiled path never runs proves nothing.
      expect(taken).toBeGreaterThan(20);
      expect(declined).toBeGreaterThan(100);
    });
  }

  it('takes the shapes the middleware builds, and steps aside for what must be redacted', () => {
    const ctx = context({}, { n: 0 });
    const access: AuditRecordInput = {
      kind: 'access',
      action: 'GET /invoices/:id',
      outcome: 'success',
      actor: { type: 'user', id: 'usr_1', ip: '203.0.113.42', userAgent: 'curl/8.5.0' },
      resource: { type: 'invoice', id: 'inv_417' },
      http: {
        method: 'GET',
        path: '/invoices/inv_417',
        route: '/invoices/:id',
        status: 200,
        durationMs: 1.25,
        requestId: 'req_1',
        bytesOut: 120,
        protocol: 'HTTP/1.1',
      },
      trace: { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', flags: '01' },
    };
    expect(fastBody(access, undefined, ctx)).toBeDefined();
    expect(fastBody({ ...access, details: { note: 'ok', password: 'x' } }, undefined, ctx)?.body.redacted).toEqual([
      { how: 'remove', path: 'details.password', rule: 'default:credential-key' },
    ]);
    const leaky = { ...access, http: { ...access.http, path: '/invoices?access_token=abcdef123456' } } as AuditRecordInput;
    expect(fastBody(leaky, undefined, ctx)).toBeUndefined();
    expect(generalBody(leaky, undefined, ctx).body.http?.path).not.toContain('abcdef123456');
    const configured = context({ paths: ['http.path'] }, { n: 0 });
    expect(fastBody(access, undefined, configured)).toBeUndefined();
  });

  it('keeps a span id of 16 digits that passes the card checks (it used to turn the access entry into a rejected record)', () => {
    const trace = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '4111111111111111' };
    const input: AuditRecordInput = { kind: 'access', action: 'GET /x', actor: { type: 'user', id: 'u1' }, http: { method: 'GET' }, trace };
    for (const redact of [{}, { paths: ['details.x'] }]) {
      const logger = createAuditLogger({ service: { name: 'svc' }, transports: [createMemoryTransport()], handleSignals: false, redact });
      const e = logger.record(input);
      expect(e.kind).toBe('access');
      expect(e.trace).toEqual(trace);
      void logger.close();
    }
    // The same digits anywhere else are still a card number.
    const ctx = context({}, { n: 0 });
    expect(generalBody({ ...input, trace: undefined, reason: 'card 4111111111111111' }, undefined, ctx).body.reason).toBe(
      'card [REDACTED:card]',
    );
  });
});
