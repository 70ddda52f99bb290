/**
 * The verifier's byte fast path accepts a line only when the full path (decode, JSON.parse, the
 * entry schema, the canonical-form check) would accept it too. A hash that matches proves nothing
 * on a plain SHA-256 chain: anyone can compute it over any bytes. So every line here is crafted
 * with a correct hash and a correct link to the line before, and the fast and full paths must
 * give the same report: lines that are not JSON, not canonical, not valid UTF-8 or not valid
 * entries are reported (never VALID), and valid ones are counted the same way (encrypted ones
 * included).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalize } from '../src/canonical.js';
import { hashLineBytes } from '../src/hash.js';
import { HashChain } from '../src/hash-chain.js';
import { useCompiledScan } from '../src/verify/entry-check.js';
import { Verifier, type VerifyReport, verifyStream, verifySync } from '../src/verify/index.js';
import { type LineScan, scanLine } from '../src/verify/scan.js';
import { patternSteps } from '../src/verify/schema-bytes.js';

const ZEROS = '0'.repeat(64);
const enc = new TextEncoder();

/** Three honest entries, then the head hash. */
function honest(): { lines: Uint8Array[]; head: string } {
  const c = new HashChain({ id: 'c1' });
  const lines: Uint8Array[] = [];
  let head = '';
  for (let i = 0; i < 3; i++) {
    const s = c.sealSorted({
      action: 'invoice.read',
      actor: { id: `u${i}`, type: 'user' },
      kind: 'event',
      outcome: 'success',
      service: { name: 'billing' },
      ts: `2026-12-07T10:00:0${i}.000000Z`,
    } as never);
    lines.push(enc.encode(s.line));
    head = (JSON.parse(s.line) as { hash: string }).hash;
  }
  return { lines, head };
}

/**
 * The text of entry seq 3 (linked to `prev`), its members in canonical order with `"hash":"<zeros>",`
 * in its place; `members` are the ones between `chain` and `hash` (details) and after `kind`.
 */
function entryText(prev: string, o: { details?: string; afterKind?: string; http?: string; actor?: string; action?: string } = {}): string {
  return (
    `{"action":${o.action ?? '"invoice.read"'},"actor":${o.actor ?? '{"id":"u9","type":"user"}'},"chain":"c1",` +
    `${o.details !== undefined ? `"details":${o.details},` : ''}"hash":"${ZEROS}",` +
    `${o.http !== undefined ? `"http":${o.http},` : ''}"kind":"${o.http !== undefined ? 'access' : 'event'}",` +
    `${o.afterKind ?? ''}"outcome":"success","prev":"${prev}","seq":3,"service":{"name":"billing"},"ts":"2026-12-07T10:00:03.000000Z","v":1}`
  );
}

/** Fills in the hash of crafted bytes (over the line without its hash member, as the sealer hashes). */
function rehash(bytes: Uint8Array): { line: Uint8Array; hash: string } {
  const text = Buffer.from(bytes).toString('latin1');
  const at = text.indexOf(`"hash":"${ZEROS}",`);
  if (at < 0) throw new Error('test bug: no hash placeholder');
  const cutEnd = at + `"hash":"${ZEROS}",`.length;
  const hash = hashLineBytes(bytes, 0, at, cutEnd, bytes.length);
  const line = Uint8Array.from(bytes);
  line.set(enc.encode(hash), at + 8);
  return { line, hash };
}

/** A fourth entry (seq 4) linked to the crafted one, so that what follows it is checked too. */
function follower(prev: string): Uint8Array {
  const text = entryText(prev).replace('"seq":3', '"seq":4').replace('10:00:03', '10:00:04');
  return rehash(enc.encode(text)).line;
}

function run(lines: Uint8Array[], fastPath: boolean): VerifyReport {
  const v = new Verifier({ fastPath });
  lines.forEach((l, i) => {
    v.pushBytes(l, 0, l.length, { line: i + 1 });
  });
  return v.finish();
}

/** Verifies honest + crafted + follower by both paths (and as a stream); they must agree. */
async function agree(crafted: Uint8Array): Promise<VerifyReport> {
  const { lines } = honest();
  const { line, hash } = rehash(crafted);
  lastLine = line;
  const all = [...lines, line, follower(hash)];
  const full = run(all, false);
  expect(run(all, true)).toEqual(full);
  const joined = Buffer.concat(all.flatMap((l) => [Buffer.from(l), Buffer.from('\n')]));
  expect(await verifyStream([joined.subarray(0, 500), joined.subarray(500)])).toEqual(full);
  return full;
}

let lastLine: Uint8Array = new Uint8Array();
/** Did the byte check take the last crafted line (it must, for plain valid ones: else the fast path is lost for them)? */
const scanned = () => scanLine(lastLine, 0, lastLine.length) !== undefined;

/** An entry whose content is encrypted (enc): nothing of the content in the clear. */
const sealedText = (ct: string) =>
  enc.encode(
    `{"chain":"c1","enc":{"ct":"${ct}","iv":"${'B'.repeat(16)}","kid":"${'c'.repeat(32)}"},"hash":"${ZEROS}","kind":"event","prev":"${honest().head}","seq":3,"ts":"2026-12-07T10:00:03.000000Z","v":1}`,
  );

/** `s` with the character at `i` replaced, `ch` inserted before it, or it deleted. */
function edit(s: string, i: number, how: 'set' | 'insert' | 'delete', ch: string): string {
  if (how === 'set') return s.slice(0, i) + ch + s.slice(i + 1);
  return how === 'insert' ? s.slice(0, i) + ch + s.slice(i) : s.slice(0, i) + s.slice(i + 1);
}

const text = (o: Parameters<typeof entryText>[1]) => enc.encode(entryText(honest().head, o));
const swap = (from: string, to: string) => enc.encode(entryText(honest().head).replace(from, to));

describe.each([
  ['compiled code', true],
  ['the schema walk', false],
])('verify: the byte fast path (%s) accepts only what the full path accepts', (_, compiled) => {
  beforeAll(() => useCompiledScan(compiled));
  afterAll(() => useCompiledScan(true));

  it('the crafting itself: an honest crafted entry verifies, by both paths', async () => {
    expect((await agree(text({}))).valid).toBe(true);
    expect((await agree(text({ details: '{"a":[1,-2.5,1e+21,1e-7,true,false,null,"x"],"b":{"c":{}},"d":[]}' }))).valid).toBe(true);
    expect((await agree(text({ http: '{"durationMs":12.4,"method":"GET","status":200}' }))).valid).toBe(true);
  });

  const invalid: [string, Uint8Array][] = [
    ['a ciphertext of padding only', sealedText('='.repeat(24))],
    ['a member that is not JSON', text({ afterKind: '"nonsense":nonsense,' })],
    ['a member the schema does not have', text({ afterKind: '"nonsense":1,' })],
    ['details that are not JSON', text({ details: '{"a":tru}' })],
    ['details with whitespace', text({ details: '{"a": 1}' })],
    ['details with keys out of order', text({ details: '{"b":1,"a":2}' })],
    ['details with a duplicate key', text({ details: '{"a":1,"a":1}' })],
    ['details that are not an object', text({ details: '[1]' })],
    ['a trailing comma', text({ details: '{"a":1,}' })],
    ['a number not in canonical form (12.40)', text({ http: '{"durationMs":12.40,"method":"GET"}' })],
    ['a number not in canonical form (1e2)', text({ details: '{"a":1e2}' })],
    ['a number not in canonical form (-0)', text({ details: '{"a":-0}' })],
    ['a number not in canonical form (01)', text({ details: '{"a":01}' })],
    ['a number that is not JSON (.5)', text({ details: '{"a":.5}' })],
    ['a status over the schema maximum', text({ http: '{"method":"GET","status":1000}' })],
    ['a status that is not an integer', text({ http: '{"method":"GET","status":12.5}' })],
    ['a status that is a string', text({ http: '{"method":"GET","status":"200"}' })],
    ['members of the actor out of order', text({ actor: '{"type":"user","id":"u9"}' })],
    ['a member of the actor twice', text({ actor: '{"id":"u9","id":"u9","type":"user"}' })],
    ['a top-level member twice', swap('"outcome":"success",', '"outcome":"success","outcome":"success",')],
    ['an actor type outside the enum', text({ actor: '{"id":"u9","type":"robot"}' })],
    [
      'an actor with more roles than the schema allows',
      text({ actor: `{"id":"u9","roles":[${Array(65).fill('"r"').join(',')}],"type":"user"}` }),
    ],
    ['an actor without its required type', text({ actor: '{"id":"u9"}' })],
    ['an empty actor (its type is required)', text({ actor: '{}' })],
    ['an empty service (its name is required)', swap('"service":{"name":"billing"}', '"service":{}')],
    ['an empty action', text({ action: '""' })],
    ['an action over 256 characters', text({ action: `"${'é'.repeat(257)}"` })],
    ['a method the pattern refuses', text({ http: '{"method":"GE T"}' })],
    ['an access entry without http', swap('"kind":"event"', '"kind":"access"')],
    ['an event without an outcome', swap('"outcome":"success",', '')],
    [
      'encrypted content with content also in the clear',
      swap('"kind":', `"enc":{"ct":"${'A'.repeat(24)}","iv":"${'B'.repeat(16)}","kid":"${'c'.repeat(32)}"},"kind":`),
    ],
    ['a raw control character in a string', text({ details: '{"a":"x\u0001y"}' })],
    ['a raw tab in a string', text({ details: '{"a":"x\ty"}' })],
    ['an escape JSON.stringify would not write (\\u0041)', text({ details: '{"a":"\\u0041"}' })],
    ['an escape JSON.stringify would not write (\\/)', text({ details: '{"a":"\\/"}' })],
    ['an uppercase \\u escape', text({ details: '{"a":"\\u001F"}' })],
    ['a \\u escape for a character with a short form', text({ details: '{"a":"\\u000a"}' })],
    ['an escaped lone surrogate', text({ details: '{"a":"\\ud800"}' })],
    ['bytes after the closing brace', enc.encode(`${entryText(honest().head)} `)],
    ['a closing brace too many', enc.encode(`${entryText(honest().head)}}`)],
    ['a v other than 1', swap('"v":1}', '"v":1.0}')],
    ['a trace id in uppercase', swap('"ts":', '"trace":{"spanId":"00f067aa0ba902b7","traceId":"4BF92F3577B34DA6A3CE929D0E0E4736"},"ts":')],
    ['nesting deeper than the canonical form allows', text({ details: `${'{"a":'.repeat(150)}1${'}'.repeat(150)}` })],
  ];
  for (const [name, bytes] of invalid) {
    it(`reports ${name}, never VALID`, async () => {
      const r = await agree(bytes);
      expect(r.valid).toBe(false);
    });
  }

  const badUtf8: [string, number[]][] = [
    ['a stray continuation byte', [0x80]],
    ['a truncated sequence', [0xc3, 0x28]],
    ['an overlong encoding', [0xc0, 0xaf]],
    ['an encoded surrogate', [0xed, 0xa0, 0x80]],
    ['a code point over U+10FFFF', [0xf4, 0x90, 0x80, 0x80]],
  ];
  for (const [name, seq] of badUtf8) {
    it(`reports invalid UTF-8 (${name}), never VALID`, async () => {
      const t = entryText(honest().head, { details: '{"a":"xQy"}' });
      const b = enc.encode(t);
      const at = b.indexOf(0x51); // Q
      const bytes = new Uint8Array([...b.subarray(0, at), ...seq, ...b.subarray(at + 1)]);
      expect((await agree(bytes)).valid).toBe(false);
    });
  }

  it('valid lines agree too: escapes, non-ASCII text and keys, 256 characters of two bytes', async () => {
    for (const details of [
      '{"a":"\\"\\\\\\b\\f\\n\\r\\t\\u0000\\u001f"}',
      '{"é":"ü","𐀀":1,"":"zero-length key first"}',
      '{"\uE000":1,"𐀀":2}',
      '{"𐀀":1,"\uE000":2}',
      '{"__proto__":{"x":1}}',
      `{"a":"${'€'.repeat(5000)}"}`,
    ])
      await agree(text({ details }));
    expect((await agree(text({ action: `"${'é'.repeat(256)}"` }))).valid).toBe(true);
    expect((await agree(text({ actor: `{"id":"u9","roles":[${Array(64).fill('"r"').join(',')}],"type":"user"}` }))).valid).toBe(true);
  });

  it('bytes that decode to a valid entry but are not its UTF-8 (invalid sequences, a BOM) are reported, never VALID', async () => {
    // The hash is computed over the decoded text's bytes (U+FFFD, no BOM): only the bytes on disk differ.
    const t = text({ details: '{"a":"x\uFFFDy"}' });
    const { line } = rehash(t);
    const at = line.indexOf(0xef);
    const invalid = new Uint8Array([...line.subarray(0, at), 0xc3, ...line.subarray(at + 3)]);
    const bom = new Uint8Array([0xef, 0xbb, 0xbf, ...rehash(text({})).line]);
    for (const bytes of [invalid, bom]) {
      const { lines } = honest();
      const all = [...lines, bytes];
      const full = run(all, false);
      expect(run(all, true)).toEqual(full);
      expect(full.valid).toBe(false);
      expect(full.breaks[0]).toMatchObject({ kind: 'unparseable', line: 4 });
    }
  });

  it('a line given as a string with a lone surrogate (which UTF-8 cannot hold) is not read from its encoded bytes', () => {
    // Encoding turns the surrogate into U+FFFD; a hash over those bytes must not make the string VALID.
    const { lines } = honest();
    const { line } = rehash(text({ details: '{"a":"x\uFFFDy"}' }));
    const asString = new TextDecoder().decode(line).replace('\uFFFD', '\uD800');
    const all = [...lines.map((l) => new TextDecoder().decode(l)), asString];
    const fast = verifySync(all);
    expect(fast).toEqual(verifySync(all, { fastPath: false }));
    expect(fast.valid).toBe(false);
  });

  it('encrypted entries (enc, pii) are counted the same way by both paths', async () => {
    const ct = 'A'.repeat(24);
    const pii = `"pii":{"ct":"${ct}","iv":"${'B'.repeat(16)}","kid":"${'c'.repeat(16)}","paths":["actor.id"],"sid":"${'d'.repeat(32)}"},`;
    const r = await agree(swap('"outcome":"success",', `"outcome":"success",${pii}`));
    expect(r.valid).toBe(true);
    expect(r.sealed?.entries).toBe(1);
    const e = await agree(sealedText(`${'A'.repeat(22)}==`));
    expect(e.valid).toBe(true);
    expect(e.sealed?.entries).toBe(1);
    expect(scanned()).toBe(true);
  });

  it('any byte changed, added or removed in a crafted line (then re-hashed): both paths agree', async () => {
    const alphabet = [...'{}[]",:\\ 0123456789.-+eEtrufalsn', '\u0001', '\u00e9', '\u{10000}'];
    const base = entryText(honest().head, {
      details: '{"a":[1,2.5,"x"],"b":{"c":null,"d":true},"e":"text"}',
      http: '{"durationMs":12.4,"method":"GET","path":"/a","status":200}',
    });
    const holder = base.indexOf(`"hash":"${ZEROS}",`);
    await fc.assert(
      fc.asyncProperty(
        fc.nat(),
        fc.constantFrom<'set' | 'insert' | 'delete'>('set', 'insert', 'delete'),
        fc.constantFrom(...alphabet),
        async (at, how, ch) => {
          // Anywhere but the hash placeholder (it must stay findable).
          let i = at % (base.length - 76);
          if (i >= holder) i += 76;
          await agree(enc.encode(edit(base, i, how, ch)));
        },
      ),
      { numRuns: 600 },
    );
  });

  it('strings for the patterns of the schema (method, trace ids, ciphertext, pii paths): both paths agree', async () => {
    const chars = fc.constantFrom(...'aAzZ09fF+/=._-$:!|~ é\u0000'.split(''), '\\"');
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: chars, maxLength: 40 }), fc.constantFrom('method', 'trace', 'ct', 'paths'), async (v, where) => {
        const q = JSON.stringify(v);
        const bytes =
          where === 'method'
            ? text({ http: `{"method":${q}}` })
            : where === 'trace'
              ? swap('"ts":', `"trace":{"flags":${q},"spanId":"00f067aa0ba902b7","traceId":"4bf92f3577b34da6a3ce929d0e0e4736"},"ts":`)
              : swap(
                  '"kind":"event","outcome":"success",',
                  `"kind":"event","outcome":"success","pii":{"ct":${where === 'ct' ? q : `"${'A'.repeat(24)}"`},"iv":"${'B'.repeat(16)}","kid":"${'c'.repeat(16)}","paths":[${where === 'paths' ? q : '"actor.id"'}],"sid":"${'d'.repeat(32)}"},`,
                );
        const r = await agree(bytes);
        // A valid value without escapes is read by the byte check, not left to the full path.
        if (r.valid && /^[\x20-\x7e]*$/.test(v) && !/["\\]/.test(v)) expect(scanned()).toBe(true);
      }),
      { numRuns: 400 },
    );
  });

  it('patterns become byte steps only where greedy matching is exact', () => {
    for (const p of ['^[0-9a-f]{64}$', '^[A-Za-z0-9+/]+=*$', '^[A-Za-z][A-Za-z0-9_$.-]{0,320}$', "^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,32}$"])
      expect(patternSteps(p)).toBeDefined();
    for (const p of ['^a*a$', '^[ab]+b$', '^a*b*a$', '^[^a]+$', '^\\d+$', 'abc', '^(a|b)$', '^é+$'])
      expect(patternSteps(p)).toBeUndefined();
    expect(patternSteps('^a*b*c$')).toBeDefined();
  });

  it('numbers: the byte check takes exactly the ones written as ECMAScript writes them, with their values', async () => {
    const forms = (x: number, k: number) => [
      String(x),
      x.toFixed(k % 21),
      x.toPrecision(1 + (k % 21)),
      x.toExponential(k % 21),
      String(-x),
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.double({ noNaN: true, noDefaultInfinity: true }),
          fc.integer({ min: -1e6, max: 1e6 }).map((n) => n / 1000),
        ),
        fc.nat(40),
        async (x, k) => {
          for (const tok of forms(x, k)) {
            if (!/^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/.test(tok)) continue;
            const r = await agree(text({ details: `{"a":${tok}}` }));
            const canonical = String(Number(tok)) === tok;
            expect(r.valid).toBe(canonical);
            expect(scanned()).toBe(canonical);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('random JSON in details: both paths agree', async () => {
    await fc.assert(
      fc.asyncProperty(fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 3 })), fc.boolean(), async (d, canonical) => {
        // Canonical text (what a sealer writes) or JSON.stringify's (keys in insertion order).
        const r = await agree(text({ details: canonical ? canonicalize(d) : JSON.stringify(d) }));
        const plainKeys = (x: unknown): boolean =>
          Array.isArray(x)
            ? x.every(plainKeys)
            : x === null ||
              typeof x !== 'object' ||
              Object.entries(x).every(([k, y]) => /^[\x20-\x7e]*$/.test(k) && !/["\\]/.test(k) && plainKeys(y));
        if (r.valid && plainKeys(d)) expect(scanned()).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});

describe('the compiled byte check decides as the schema walk does', () => {
  afterAll(() => useCompiledScan(true));
  /** Both readings of one line: accepted or not, and where every chain member is. */
  const both = (line: Uint8Array): [LineScan | undefined, LineScan | undefined] => {
    const read = (compiled: boolean) => {
      useCompiledScan(compiled);
      const r = scanLine(line, 0, line.length);
      return r === undefined ? undefined : { ...r };
    };
    return [read(true), read(false)];
  };
  const rich = entryText(honest().head, {
    details: '{"a":[1,2.5,"x",{"y":[]}],"b":{"c":null,"d":true},"e":"t\\u0001é\\nxt \\"q\\"","\u00e9":-0.5}',
    http: '{"bytesIn":10,"durationMs":12.4,"method":"GET","path":"/a?b=c","protocol":"HTTP/1.1","requestId":"r-1","route":"/a","status":200}',
  })
    .replace(
      '"prev":',
      `"pii":{"ct":"${'A'.repeat(24)}","iv":"BBBBBBBBBBBBBBBB","kid":"cccccccccccccccc","paths":["actor.id"],"sid":"dddddddddddddddddddddddddddddddd"},"prev":`,
    )
    .replace('"ts":', '"trace":{"flags":"01","spanId":"00f067aa0ba902b7","traceId":"4bf92f3577b34da6a3ce929d0e0e4736"},"ts":');

  it('on a rich valid line, and on any byte of it changed, added or removed', async () => {
    const [c, w] = both(enc.encode(rich));
    const rep = await agree(enc.encode(rich));
    expect(rep.breaks).toEqual([]);
    expect(rep.valid).toBe(true);
    expect(c).toBeDefined();
    expect(c).toEqual(w);
    const alphabet = [...'{}[]",:\\ 0123456789.-+eEtrufalsnxyzT', '\u0001', '\u007f', '\u00e9', '\u{10000}'];
    fc.assert(
      fc.property(
        fc.nat(),
        fc.constantFrom<'set' | 'insert' | 'delete'>('set', 'insert', 'delete'),
        fc.constantFrom(...alphabet),
        (at, how, ch) => {
          const i = at % rich.length;
          const [x, y] = both(enc.encode(edit(rich, i, how, ch)));
          expect(x).toEqual(y);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('on lines cut short or read inside a larger buffer (the bytes after the line are not part of it)', () => {
    const line = enc.encode(rich);
    for (let cut = 1; cut < line.length; cut++) {
      const buf = Uint8Array.from(line);
      const read = (compiled: boolean) => {
        useCompiledScan(compiled);
        const r = scanLine(buf, 0, cut);
        return r === undefined ? undefined : { ...r };
      };
      expect(read(true), `cut at ${cut}`).toEqual(read(false));
      expect(read(true)).toBeUndefined();
    }
  });

  it('on random values in every member', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...[...rich.matchAll(/"([A-Za-z]+)":/g)].map((m) => m[1] as string)),
        fc.jsonValue({ maxDepth: 2 }),
        (key, v) => {
          const t = rich.replace(
            new RegExp(`"${key}":("(?:[^"\\\\]|\\\\.)*"|-?[0-9.e+]+|true|false|null)`),
            `"${key}":${JSON.stringify(v)}`,
          );
          const [x, y] = both(enc.encode(t));
          expect(x).toEqual(y);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
