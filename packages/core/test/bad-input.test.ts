/**
 * One table of bad inputs, looped over every public function: each call either returns a safe
 * result or throws a named AuditError with a stable code; nothing pollutes a prototype; and a
 * logger that was fed all of it still holds every entry recorded before, in a verifiable chain.
 */
import { describe, expect, it } from 'vitest';
import * as core from '../src/index.js';
import { AuditError, checkOptionsObject, enumOption, fnOption, intOption, positiveOption } from '../src/index.js';
import * as testing from '../src/testing.js';
import * as verifyApi from '../src/verify/index.js';

function cyclic() {
  const o: Record<string, unknown> = { a: 1 };
  o.self = o;
  return o;
}

const BAD: [string, () => unknown][] = [
  ['undefined', () => undefined],
  ['null', () => null],
  ['number', () => 42],
  ['string', () => 'just a string'],
  ['array', () => [1, 2, 3]],
  ['function', () => () => 1],
  ['symbol', () => Symbol('s')],
  ['BigInt', () => 10n],
  ['NaN', () => Number.NaN],
  ['Infinity', () => Number.POSITIVE_INFINITY],
  ['cycle', cyclic],
  ['lone surrogate', () => 'a\uD800b'],
  ['10 MB string', () => 'x'.repeat(10 * 1024 * 1024)],
  ['object with BigInt', () => ({ action: 'x', details: { n: 1n } })],
  ['object with NaN', () => ({ action: 'x', details: { n: Number.NaN } })],
  ['object with cycle', () => ({ action: 'x', details: cyclic() })],
  ['object with lone surrogate key', () => ({ action: 'x', details: { 'k\uDC00': 1 } })],
  ['object with 10 MB string', () => ({ action: 'x', details: { blob: 'x'.repeat(10 * 1024 * 1024) } })],
  ['__proto__ key', () => JSON.parse('{"action":"x","details":{"__proto__":{"polluted":true}},"__proto__":{"polluted":true}}')],
  ['constructor.prototype', () => JSON.parse('{"action":"x","details":{"constructor":{"prototype":{"polluted":true}}}}')],
  ['wrong types for fields', () => ({ action: 42, outcome: 'maybe', actor: 'bob', http: [] })],
  ['class instance', () => new Map([['a', 1]])],
  ['Date', () => new Date('invalid')],
];

function callSafely(fn: () => unknown): { threw: unknown; value?: unknown } {
  try {
    const value = fn();
    if (value instanceof Promise) return { threw: undefined, value };
    return { threw: undefined, value };
  } catch (e) {
    return { threw: e };
  }
}

const memory = () => core.createMemoryTransport();
const compiled = core.compileRedaction({});

// Every public function, each called with the bad value in the position that takes user input.
const FUNCTIONS: [string, (bad: unknown) => unknown][] = [
  ['canonicalize', (b) => core.canonicalize(b)],
  ['canonicalBytes', (b) => core.canonicalBytes(b)],
  ['assertCanonicalizable', (b) => core.assertCanonicalizable(b)],
  ['computeEntryHash', (b) => core.computeEntryHash(b as never)],
  ['canonicalUnhashed', (b) => core.canonicalUnhashed(b as never)],
  ['serializeEntry', (b) => core.serializeEntry(b as never)],
  ['hashCanonical', (b) => core.hashCanonical(b as never)],
  ['checkEntry', (b) => core.checkEntry(b)],
  ['assertValidEntry', (b) => core.assertValidEntry(b)],
  ['createAuditLogger', (b) => core.createAuditLogger(b as never)],
  ['createAuditLogger (service)', (b) => core.createAuditLogger({ service: b as never, transports: [memory()], handleSignals: false })],
  [
    'createAuditLogger (redact)',
    (b) => core.createAuditLogger({ service: { name: 's' }, transports: [memory()], redact: b as never, handleSignals: false }),
  ],
  [
    'createAuditLogger (chain)',
    (b) => core.createAuditLogger({ service: { name: 's' }, transports: [memory()], chain: b as never, handleSignals: false }),
  ],
  ['compileRedaction', (b) => core.compileRedaction(b as never)],
  ['redactBody', (b) => core.redactBody(b as never, compiled)],
  ['keyedHashMarker', (b) => core.keyedHashMarker(b, { id: 'k', bytes: new Uint8Array(16) } as never)],
  ['truncateString', (b) => core.truncateString(b as never, 10)],
  ['isCredentialKey', (b) => core.isCredentialKey(b as never)],
  ['luhnValid', (b) => core.luhnValid(b as never)],
  ['HashChain', (b) => new core.HashChain(b as never)],
  ['HashChain.seal', (b) => new core.HashChain({ id: 'c' }).seal(b as never)],
  ['createFixedClock', (b) => core.createFixedClock(b as never)],
  ['formatMicros', (b) => core.formatMicros(b as never)],
  ['parseMicros', (b) => core.parseMicros(b as never)],
  ['createSystemClock', (b) => core.createSystemClock(b as never).nowMicros()],
  ['createMemoryTransport', (b) => core.createMemoryTransport(b as never)],
  ['verifySync', (b) => verifyApi.verifySync(b as never)],
  ['verifySync (item)', (b) => verifyApi.verifySync([b as never])],
  ['verifyText', (b) => verifyApi.verifyText(b as never)],
  ['Verifier (options)', (b) => new verifyApi.Verifier(b as never).finish()],
  ['findSecrets', (b) => testing.findSecrets(b as never)],
  ['createTestAuditLogger', (b) => testing.createTestAuditLogger(b as never)],
];

function expectSafe(name: string, badName: string, outcome: { threw: unknown }) {
  if (outcome.threw !== undefined) {
    expect(outcome.threw, `${name}(${badName}) threw ${String(outcome.threw)}`).toBeInstanceOf(AuditError);
    expect((outcome.threw as AuditError).code).toMatch(/^ERR_AUDIT_[A-Z_]+$/);
  }
  expect(({} as Record<string, unknown>).polluted, `${name}(${badName}) polluted Object.prototype`).toBeUndefined();
}

describe('one table of bad inputs, over every public function', () => {
  for (const [name, fn] of FUNCTIONS) {
    it(name, async () => {
      for (const [badName, make] of BAD) {
        const out = callSafely(() => fn(make()));
        if (out.value instanceof Promise) {
          try {
            await out.value;
          } catch (e) {
            out.threw = e;
          }
        }
        expectSafe(name, badName, out);
      }
    });
  }

  it.each([
    ['verify', (b: unknown) => verifyApi.verify(b as never)],
    ['verifyStream', (b: unknown) => verifyApi.verifyStream(b as never)],
    ['verifyStream (chunk)', (b: unknown) => verifyApi.verifyStream([b as never])],
  ])('%s (async) rejects with a named error or reports', async (name, fn) => {
    for (const [badName, make] of BAD) {
      let threw: unknown;
      try {
        await fn(make());
      } catch (e) {
        threw = e;
      }
      expectSafe(name, badName, { threw });
    }
  });

  it('record() and wrap(): bad input never throws (non-strict), and nothing recorded is lost', async () => {
    const { logger, transport, errors } = setupLogger();
    let expected = 1; // genesis
    for (const [badName, make] of BAD) {
      logger.record({ action: 'good.before', details: { case: badName } });
      const out = callSafely(() => logger.record(make() as never));
      expect(out.threw, `record(${badName})`).toBeUndefined();
      const wrapped = callSafely(() => logger.wrap(make() as never, { action: 'w' }));
      expectSafe('wrap', badName, wrapped);
      const wrapOpts = callSafely(() => logger.wrap(() => 1, make() as never));
      expectSafe('wrap options', badName, wrapOpts);
      expected += 2;
    }
    // A wrapped function whose resolvers get bad input still returns its own result.
    const f = logger.wrap((x: unknown) => x, { action: 'echo', details: (args) => ({ arg: args[0] as never }) });
    for (const [, make] of BAD) {
      const v = make();
      if (typeof v === 'string' && v.length > 1000) continue;
      expect(Object.is(f(v), v)).toBe(true);
      expected += 1;
    }
    await logger.flush();
    const entries = transport.entries();
    expect(entries).toHaveLength(expected);
    expect(entries.filter((e) => e.action === 'good.before')).toHaveLength(BAD.length);
    expect(core.checkEntry(entries[entries.length - 1]).valid).toBe(true);
    const report = verifyApi.verifySync(transport.lines());
    expect(report.valid).toBe(true);
    expect(errors.every((e) => e instanceof AuditError)).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('the shared option checkers (every factory uses them)', () => {
  it.each([
    ['intOption', () => intOption(1.5, 1, 1, 'queue.maxEntries'), 'queue.maxEntries must be a positive integer', 'queue.maxEntries'],
    [
      'intOption (min 0)',
      () => intOption(-1, 0, 0, 'queue.flushIntervalMs'),
      'queue.flushIntervalMs must be an integer >= 0',
      'queue.flushIntervalMs',
    ],
    ['positiveOption', () => positiveOption(0, 1, 'timeoutMs'), 'timeoutMs must be a positive number', 'timeoutMs'],
    ['fnOption', () => fnOption('x' as never, 'auditMiddleware: actor', 'actor'), 'auditMiddleware: actor must be a function', 'actor'],
    ['enumOption', () => enumOption('x', ['a', 'b'], 'a', 'mode'), 'mode must be one of a, b', 'mode'],
    ['checkOptionsObject', () => checkOptionsObject(null, 'createThing'), 'createThing(options): options must be an object', undefined],
  ])('%s throws AuditConfigError naming the option', (_name, fn, message, path) => {
    expect(fn).toThrow(expect.objectContaining({ code: 'ERR_AUDIT_CONFIG', message, path }));
  });

  it('absent options take their default; present ones are returned as given', () => {
    expect(intOption(undefined, 7, 1, 'n')).toBe(7);
    expect(intOption(3, 7, 1, 'n')).toBe(3);
    expect(positiveOption(undefined, undefined, 't')).toBeUndefined();
    expect(positiveOption(0.5, 1, 't')).toBe(0.5);
    expect(enumOption(undefined, ['a', 'b'], 'b', 'm')).toBe('b');
  });
});

function setupLogger(extra: Partial<core.AuditLoggerOptions> = {}) {
  const transport = core.createMemoryTransport();
  const errors: AuditError[] = [];
  const logger = core.createAuditLogger({
    service: { name: 's' },
    transports: [transport],
    handleSignals: false,
    onError: (e) => errors.push(e),
    ...extra,
  });
  return { logger, transport, errors };
}

describe('input that attacks the logger itself: getters that throw, Proxies, odd errors, thenables', () => {
  const throwingActor = () => {
    const input = { action: 'x' } as Record<string, unknown>;
    Object.defineProperty(input, 'actor', {
      enumerable: true,
      get: () => {
        throw new Error('actor getter');
      },
    });
    return input;
  };
  const hostileProxy = () =>
    new Proxy(
      { action: 'p' },
      {
        ownKeys: () => {
          throw new Error('ownKeys trap');
        },
        getPrototypeOf: () => {
          throw new Error('proto trap');
        },
      },
    );

  it('record() with a throwing getter or a Proxy writes a rejected entry and does not throw', async () => {
    const { logger, transport, errors } = setupLogger();
    expect(() => logger.record(throwingActor() as never)).not.toThrow();
    expect(() => logger.record(hostileProxy() as never)).not.toThrow();
    await logger.flush();
    expect(transport.entries().map((e) => [e.kind, e.action])).toEqual([
      ['genesis', undefined],
      ['rejected', 'x'],
      ['rejected', undefined],
    ]);
    expect(errors).toHaveLength(2);
  });

  it('recordLater() with a throwing getter does not crash the process: a rejected entry, even in strict mode', async () => {
    for (const strict of [false, true]) {
      const { logger, transport } = setupLogger({ strict });
      logger.recordLater(throwingActor() as never);
      logger.recordLater({ action: 'after' });
      await logger.flush(); // an uncaught exception from the deferred sealing would fail the run
      expect(transport.entries().map((e) => e.kind)).toEqual(['genesis', 'rejected', 'event']);
    }
  });

  it('wrap(): an error whose name getter throws, or a null-prototype object, is still recorded', async () => {
    const { logger, transport } = setupLogger();
    const e = new Error('boom');
    Object.defineProperty(e, 'name', {
      get: () => {
        throw new Error('name getter');
      },
    });
    const odd = Object.create(null);
    for (const thrown of [e, odd]) {
      const f = logger.wrap(
        () => {
          throw thrown;
        },
        { action: 'job.run' },
      );
      let caught: unknown;
      try {
        f();
      } catch (x) {
        caught = x;
      }
      expect(caught).toBe(thrown); // rethrown unchanged
    }
    await logger.flush();
    const runs = transport.entries().filter((x) => x.action === 'job.run');
    expect(runs.map((x) => [x.outcome, x.reason])).toEqual([
      ['failure', 'boom'],
      ['failure', 'unprintable error'],
    ]);
  });

  it('wrap(): a details resolver that throws leaves a successful call successful, noted in the entry', async () => {
    const { logger, transport } = setupLogger();
    const f = logger.wrap((x: number) => x * 2, {
      action: 'double',
      details: () => {
        throw Object.create(null);
      },
    });
    expect(f(21)).toBe(42);
    await logger.flush();
    expect(transport.entries().at(-1)?.details).toMatchObject({ auditErrors: [expect.stringMatching(/details resolver threw/)] });
  });

  it('wrap(): a thenable that is not a Promise is returned untouched (calling then() could run a query twice)', async () => {
    const { logger, transport } = setupLogger();
    let thens = 0;
    const query = {
      then: (ok: (v: number) => void) => {
        thens++;
        ok(1);
      },
    };
    const f = logger.wrap(() => query, { action: 'db.query' });
    expect(f()).toBe(query);
    expect(thens).toBe(0);
    await logger.flush();
    expect(transport.entries().at(-1)).toMatchObject({ action: 'db.query', outcome: 'success' });
  });
});
